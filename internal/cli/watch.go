package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/model"
)

const watchUsage = `usage: ewsmon watch --json (--url URL | --sim) [flags]

Runs the subscription engine headless and prints one JSON object per event
(the fields of ewsmon decode) and a {"type":"State",...} object whenever the
connection state changes.

Each event carries its cascade, as the dashboard groups the events one user
action fires: "cascade" (a number, the same for all events of one action)
and "cascade_label" ("New mail in Inbox"), with the names of its folders
(folder_name, parent_folder_name, old_parent_folder_name) and the item's
subject (one GetItem per cascade). A label can change while events still join
a cascade, so an event's line is held until its cascade is complete: a later
event starts another, or none came for 2 s (a gap, or the end of the run,
completes it too). That holds each line back by about 2 s; State, Gap and
Reconciled lines are written at once, so a State line can come before the
held events that arrived ahead of it (a Gap line, and the end, come after
them).

A {"type":"Gap","from":...,"to":...,"reason":...} line says events may have
been missed in that interval, followed by the {"type":"Reconciled",
"change":...,"item_id":...,"folder_id":...} changes found across it and a
{"type":"ReconcileSummary",...} line. Ends after --count events, after
--duration, or on Ctrl-C / SIGTERM, after unsubscribing.

flags:
  --json               JSON lines output (the only format; the default)
  --url URL            the EWS endpoint, https://host/EWS/Exchange.asmx
  --sim                start the embedded simulator on 127.0.0.1 (with demo
                       activity) and watch it; with --auth basic or ntlm it
                       requires that authentication (user ` + demoMailbox + `
                       unless --user says otherwise)
  --sim-rate R         the simulator's demo actions per second (default 2)
  --sim-push-minute D  how long a minute of push StatusFrequency lasts on the
                       simulator (default 1m; e.g. 5s: see ewsmon sim --help)
  --sim-server P       the Exchange the simulator imitates: exchange2010,
                       exchange2013, exchange2016, exchange2019 (default) or
                       online
  --user USER          DOMAIN\user or user@domain
  --auth MODE          none, basic, ntlm or bearer (default ntlm with --user,
                       otherwise none)
  --password-cmd CMD   a shell command that prints the password (or token);
                       otherwise EWSMON_PASSWORD (EWSMON_TOKEN for bearer)
  --token-cmd CMD      a shell command that prints the bearer token (before
                       --password-cmd)
  --mode MODE          streaming, pull or push (default streaming); all
                       subscribes with the three at once and compares them
                       (see "--mode all" below)
  --push-listen ADDR   push: where the listener for the server's notifications
                       listens (default 127.0.0.1 and a free port)
  --push-url URL       push: the base URL the server reaches the listener at,
                       when it differs (NAT, a reverse proxy); the listener
                       adds its random path token
  --push-cert FILE, --push-key FILE
                       push: serve the listener over TLS
  --status-frequency N push: minutes between the server's StatusEvents when
                       nothing happens (1..1440, default 1); a missing one is
                       a lost subscription, resumed from the last watermark
  --poll D             pull: time between GetEvents calls (default 5s)
  --folders LIST       all, or distinguished names / folder ids: inbox,drafts
  --events LIST        all, or NewMail,Created,Deleted,Modified,Moved,Copied,
                       FreeBusyChanged (Status adds pull/push StatusEvents)
  --count N            stop after N events (Gap / Reconciled lines not counted;
                       the cascade of the Nth event is completed first, so
                       its label is final)
  --reconcile=false    do not reconcile gaps (by default a baseline of the
                       watched folders is taken at the start, and after each
                       gap the folders that changed are listed; see
                       docs/reliability.md)
  --duration D         stop after D (e.g. 30s, 5m)
  --no-cascades        write each event the moment it arrives, without
                       cascade, names or subject, and make no
                       SyncFolderHierarchy or GetItem calls: for a consumer
                       that needs the lowest latency or groups events itself
  --insecure           do not verify the server's TLS certificate
  --ca-file FILE       trust this CA (PEM) for the server's certificate

--mode all: three subscriptions to the same folders, streaming, pull and
push (each with its own connections), side by side. Every line gains
"transport"; event lines are written the moment they arrive (no cascade
holding) with "delay_ms", the time since the first transport delivered the
same event. Once every transport delivered an event, or one had not within
the settle time (2 x --poll + 3 s), a {"type":"Compare",...} line gives its
"delays_ms" per transport, "missed_by" and "repeated_by", with its cascade
as grouped by first arrival. At the end, one {"type":"TransportSummary"} line
per transport: events, first, missed, duplicated, median_ms, p99_ms,
requests, bytes_sent, bytes_received (push: the Subscribe calls and the
listener's traffic). --count counts Compare lines.
`

// watchOptions are the parsed flags of `ewsmon watch`.
type watchOptions struct {
	client        ews.Config
	useSim        bool
	simRate       float64
	simServer     string
	simPushMinute time.Duration
	passwordCmd   string
	tokenCmd      string
	watch         ews.WatchConfig
	target        watchTarget // --folders, as watch.Folders and as typed
	showStatus    bool        // print StatusEvents too
	count         int
	duration      time.Duration
	cascades      bool // not --no-cascades
	cascadeGap    time.Duration
	push          ews.PushListenerConfig
	compare       bool // --mode all
}

// watchFlags are the flags whose values do not go straight into
// watchOptions.
type watchFlags struct {
	json                  bool
	auth, mode            string
	folders, events       string
	poll                  time.Duration
	reconcile, noCascades bool
}

func newWatchFlagSet(o *watchOptions, f *watchFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("ewsmon watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&f.json, "json", true, "")
	fs.StringVar(&f.auth, "auth", "", "")
	fs.StringVar(&f.mode, "mode", defaultMode, "")
	fs.StringVar(&f.folders, "folders", "all", "")
	fs.StringVar(&f.events, "events", "all", "")
	fs.DurationVar(&f.poll, "poll", 0, "")
	fs.BoolVar(&f.reconcile, "reconcile", true, "")
	fs.BoolVar(&f.noCascades, "no-cascades", false, "")
	fs.StringVar(&o.client.URL, "url", "", "")
	fs.StringVar(&o.push.Listen, "push-listen", "", "")
	fs.StringVar(&o.push.PublicURL, "push-url", "", "")
	fs.StringVar(&o.push.CertFile, "push-cert", "", "")
	fs.StringVar(&o.push.KeyFile, "push-key", "", "")
	fs.IntVar(&o.watch.StatusFrequency, "status-frequency", 0, "")
	fs.BoolVar(&o.useSim, "sim", false, "")
	fs.Float64Var(&o.simRate, "sim-rate", watchSimRate, "")
	fs.StringVar(&o.simServer, "sim-server", sim.DefaultProfile, "")
	fs.DurationVar(&o.simPushMinute, "sim-push-minute", time.Minute, "")
	fs.StringVar(&o.client.User, "user", "", "")
	fs.StringVar(&o.passwordCmd, "password-cmd", "", "")
	fs.StringVar(&o.tokenCmd, "token-cmd", "", "")
	fs.IntVar(&o.count, "count", 0, "")
	fs.DurationVar(&o.duration, "duration", 0, "")
	fs.BoolVar(&o.client.Insecure, "insecure", false, "")
	fs.StringVar(&o.client.CAFile, "ca-file", "", "")
	return fs
}

func parseWatchArgs(args []string, stdout io.Writer) (watchOptions, error) {
	var (
		o watchOptions
		f watchFlags
	)
	fs := newWatchFlagSet(&o, &f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, watchUsage)
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkWatchFlags(o, f); err != nil {
		return o, err
	}
	if err := o.setAuth(f.auth); err != nil {
		return o, err
	}
	if err := o.setWatch(f); err != nil {
		return o, err
	}
	return o, nil
}

// checkWatchFlags checks the flags that stand alone.
func checkWatchFlags(o watchOptions, f watchFlags) error {
	switch {
	case !f.json:
		return errors.New("--json is the only output format for now")
	case o.useSim && o.client.URL != "":
		return errors.New("give --url or --sim, not both")
	case !o.useSim && o.client.URL == "":
		return errors.New("say what to watch: --url https://host/EWS/Exchange.asmx, or --sim for the embedded simulator")
	case o.count < 0:
		return fmt.Errorf("--count %d: must be positive", o.count)
	case o.duration < 0:
		return fmt.Errorf("--duration %v: must be positive", o.duration)
	}
	if err := checkPoll(f.poll); err != nil {
		return err
	}
	if err := checkSimServer("--sim-server", o.simServer); err != nil {
		return err
	}
	if err := checkSimPushMinute(o.simPushMinute); err != nil {
		return err
	}
	return checkSimRate("--sim-rate", o.simRate)
}

// setAuth settles the authentication and the user: --auth, else the
// default with a user (none without one, or on the simulator).
func (o *watchOptions) setAuth(auth string) error {
	switch auth {
	case "":
		o.client.Auth = ews.AuthNone
		if o.client.User != "" && !o.useSim {
			o.client.Auth = defaultAuth
		}
	case "none", "basic", "ntlm", "bearer":
		o.client.Auth = ews.AuthKind(auth)
	default:
		return fmt.Errorf("--auth %q: use none, basic, ntlm or bearer", auth)
	}
	if o.useSim && o.client.User == "" {
		o.client.User = demoMailbox
	}
	if (o.client.Auth == ews.AuthBasic || o.client.Auth == ews.AuthNTLM) && o.client.User == "" {
		return fmt.Errorf("--auth %s needs --user", o.client.Auth)
	}
	if o.useSim && o.client.Auth == ews.AuthBearer {
		return errors.New("--sim speaks none, basic or ntlm authentication, not bearer")
	}
	return nil
}

// setWatch settles what is watched and how.
func (o *watchOptions) setWatch(f watchFlags) error {
	switch f.mode {
	case "streaming":
		o.watch.Mode = ews.ModeStreaming
	case "pull":
		o.watch.Mode = ews.ModePull
	case "all":
		o.compare = true
		o.watch.Mode = ews.ModeStreaming
	case "push":
		o.watch.Mode = ews.ModePush
		if o.watch.StatusFrequency != 0 && (o.watch.StatusFrequency < 1 || o.watch.StatusFrequency > 1440) {
			return fmt.Errorf("--status-frequency %d: use 1 to 1440 minutes", o.watch.StatusFrequency)
		}
	default:
		return fmt.Errorf("--mode %q: use streaming, pull, push or all", f.mode)
	}
	if o.compare && o.watch.StatusFrequency != 0 && (o.watch.StatusFrequency < 1 || o.watch.StatusFrequency > 1440) {
		return fmt.Errorf("--status-frequency %d: use 1 to 1440 minutes", o.watch.StatusFrequency)
	}
	if o.watch.Mode != ews.ModePush && !o.compare && (o.push != ews.PushListenerConfig{} || o.watch.StatusFrequency != 0) {
		return errors.New("--push-listen, --push-url, --push-cert, --push-key and --status-frequency are for --mode push (or all)")
	}
	o.watch.PollInterval = f.poll
	o.watch.Reconcile = f.reconcile
	o.cascades = !f.noCascades
	o.cascadeGap = model.DefaultCascadeGap

	target, err := watchTargets(splitList(f.folders), nil)
	if err != nil {
		return err
	}
	o.target = target
	o.watch.Folders = target.Folders
	for _, e := range splitList(f.events) {
		if strings.EqualFold(e, "all") {
			continue
		}
		t, ok := ews.ParseEventType(e)
		if !ok {
			return fmt.Errorf("--events: unknown event type %q: use NewMail, Created, Deleted, Modified, Moved, Copied, FreeBusyChanged or Status", e)
		}
		if t == ews.StatusEvent {
			o.showStatus = true
			continue
		}
		o.watch.EventTypes = append(o.watch.EventTypes, t)
	}
	return nil
}

// watchEnv is what tests change: the clock that times CascadeGap (nil:
// the wall clock).
type watchEnv struct {
	clock ews.Clock
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWatchEnv(ctx, args, stdout, stderr, watchEnv{})
}

func runWatchEnv(ctx context.Context, args []string, stdout, stderr io.Writer, env watchEnv) int {
	o, err := parseWatchArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ewsmon watch: %v (see ewsmon watch --help)\n", err)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ewsmon watch: %s\n", oneLine(err.Error()))
		return 1
	}
	client, done, err := connectWatch(ctx, &o, stderr)
	if err != nil {
		return fail(err)
	}
	defer done()

	// --duration bounds the whole run, the checks below included (a
	// server that never answers them).
	runCtx := ctx
	if o.duration > 0 {
		var cancelTimer context.CancelFunc
		runCtx, cancelTimer = context.WithTimeout(ctx, o.duration)
		defer cancelTimer()
	}
	if err := preflight(runCtx, client, o); err != nil {
		switch {
		case ctx.Err() != nil: // interrupted
			return 0
		case runCtx.Err() != nil:
			return fail(fmt.Errorf("no answer from %s within --duration %v", client.URL(), o.duration))
		}
		return fail(err)
	}
	if o.useSim {
		// The runner's silence check uses the simulator's minute.
		o.watch.StatusMinute = o.simPushMinute
	}
	if o.compare {
		return runCompare(runCtx, ctx, o, stdout, stderr, env, fail)
	}
	if o.watch.Mode == ews.ModePush {
		l, err := ews.ListenPush(runCtx, o.push)
		if err != nil {
			return fail(err)
		}
		defer l.Close()
		o.watch.Push = l
		fmt.Fprintf(stderr, "ewsmon watch: push listener on %s; the server is given %s\n", l.Addr(), l.URL())
	}
	r := newWatchRun(runCtx, o, client, stdout, stderr, env)
	defer r.stop()
	r.loop(client.Watch(r.ctx, o.watch))
	return r.exitCode(fail)
}

// connectWatch starts the embedded simulator (--sim) or resolves the
// secret, and builds the client. done releases both.
func connectWatch(ctx context.Context, o *watchOptions, stderr io.Writer) (client *ews.Client, done func(), err error) {
	done = func() {}
	if o.useSim {
		cfg := sim.Config{Rate: o.simRate, Server: o.simServer, PushMinute: o.simPushMinute}
		if o.client.Auth != ews.AuthNone {
			// The simulator's account gets a one-off password that only
			// this process knows; the client uses it.
			var b [12]byte
			_, _ = rand.Read(b[:])
			o.client.Password = base64.RawURLEncoding.EncodeToString(b[:])
			cfg.Auth = sim.AuthConfig{Mode: string(o.client.Auth), User: o.client.User, Password: o.client.Password}
		}
		srv, err := sim.Start(ctx, cfg, "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		done = func() { srv.Close() }
		o.client.URL = srv.URL()
	} else if o.client.Auth != ews.AuthNone {
		s := Settings{Profile: Profile{URL: o.client.URL, User: o.client.User, Auth: string(o.client.Auth),
			PasswordCmd: o.passwordCmd, TokenCmd: o.tokenCmd}}
		secret, err := resolveSecret(ctx, s, os.Getenv, nil, stderr) // no prompt: watch runs headless
		if err != nil {
			return nil, nil, err
		}
		if o.client.Auth == ews.AuthBearer {
			o.client.Token = secret
		} else {
			o.client.Password = secret
		}
	}
	client, err = newClient(o.client, "ewsmon watch", stderr)
	if err != nil {
		done()
		return nil, nil, err
	}
	stopSim := done
	return client, func() { client.CloseIdleConnections(); stopSim() }, nil
}

// preflight makes one ordinary call first, so a wrong password, a wrong URL
// or an unreachable server is one clear sentence and exit status 1 rather
// than a subscription that keeps retrying; then it checks that each folder
// asked for exists, or the subscription would fail with an error that does
// not say which folder is wrong.
func preflight(ctx context.Context, client *ews.Client, o watchOptions) error {
	if _, err := client.GetFolder(ctx, ews.Distinguished("msgfolderroot")); err != nil {
		return err
	}
	return checkFolders(ctx, client, o.target)
}
