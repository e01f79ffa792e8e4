package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
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
                       requires that authentication (user alice@example.com
                       unless --user says otherwise)
  --sim-rate R         the simulator's demo actions per second (default 2)
  --sim-server P       the Exchange the simulator imitates: exchange2010,
                       exchange2013, exchange2016, exchange2019 (default) or
                       online
  --user USER          DOMAIN\user or user@domain
  --auth MODE          none, basic, ntlm or bearer (default ntlm with --user,
                       otherwise none)
  --password-cmd CMD   a shell command that prints the password (or token);
                       otherwise EWSMON_PASSWORD (EWSMON_TOKEN for bearer)
  --mode MODE          streaming or pull (default streaming)
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
`

// minPoll is the shortest --poll accepted.
const minPoll = 100 * time.Millisecond

// watchOptions are the parsed flags of `ewsmon watch`.
type watchOptions struct {
	client      ews.Config
	useSim      bool
	simRate     float64
	simServer   string
	passwordCmd string
	watch       ews.WatchConfig
	showStatus  bool // print StatusEvents too
	count       int
	duration    time.Duration
	folderNames []string // --folders as typed, matching watch.Folders
	cascades    bool     // not --no-cascades
	cascadeGap  time.Duration
}

func parseWatchArgs(args []string, stdout io.Writer) (watchOptions, error) {
	fs := flag.NewFlagSet("ewsmon watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		o       watchOptions
		jsonOut = fs.Bool("json", true, "")
		auth    = fs.String("auth", "", "")
		mode    = fs.String("mode", "streaming", "")
		folders = fs.String("folders", "all", "")
		events  = fs.String("events", "all", "")
		poll    = fs.Duration("poll", 0, "")
		recon   = fs.Bool("reconcile", true, "")
		noCasc  = fs.Bool("no-cascades", false, "")
	)
	fs.StringVar(&o.client.URL, "url", "", "")
	fs.BoolVar(&o.useSim, "sim", false, "")
	fs.Float64Var(&o.simRate, "sim-rate", 2, "")
	fs.StringVar(&o.simServer, "sim-server", sim.DefaultProfile, "")
	fs.StringVar(&o.client.User, "user", "", "")
	fs.StringVar(&o.passwordCmd, "password-cmd", "", "")
	fs.IntVar(&o.count, "count", 0, "")
	fs.DurationVar(&o.duration, "duration", 0, "")
	fs.BoolVar(&o.client.Insecure, "insecure", false, "")
	fs.StringVar(&o.client.CAFile, "ca-file", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, watchUsage)
		}
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case !*jsonOut:
		return o, errors.New("--json is the only output format for now")
	case o.useSim && o.client.URL != "":
		return o, errors.New("give --url or --sim, not both")
	case !o.useSim && o.client.URL == "":
		return o, errors.New("say what to watch: --url https://host/EWS/Exchange.asmx, or --sim for the embedded simulator")
	case o.count < 0:
		return o, fmt.Errorf("--count %d: must be positive", o.count)
	case o.duration < 0:
		return o, fmt.Errorf("--duration %v: must be positive", o.duration)
	case !validProfile(o.simServer):
		return o, fmt.Errorf("--sim-server %q: use one of %s", o.simServer, strings.Join(sim.ProfileNames(), ", "))
	case !(o.simRate >= 0 && o.simRate <= maxSimRate): // NaN too
		return o, fmt.Errorf("--sim-rate %v: must be 0 (off) up to %v actions per second", o.simRate, maxSimRate)
	case *poll < 0:
		return o, fmt.Errorf("--poll %v: must be positive", *poll)
	case *poll > 0 && *poll < minPoll:
		return o, fmt.Errorf("--poll %v: must be at least %v (shorter would hammer the server)", *poll, minPoll)
	}

	switch *auth {
	case "":
		o.client.Auth = ews.AuthNone
		if o.client.User != "" && !o.useSim {
			o.client.Auth = ews.AuthNTLM
		}
	case "none", "basic", "ntlm", "bearer":
		o.client.Auth = ews.AuthKind(*auth)
	default:
		return o, fmt.Errorf("--auth %q: use none, basic, ntlm or bearer", *auth)
	}
	if o.useSim && o.client.User == "" {
		o.client.User = "alice@example.com"
	}
	if (o.client.Auth == ews.AuthBasic || o.client.Auth == ews.AuthNTLM) && o.client.User == "" {
		return o, fmt.Errorf("--auth %s needs --user", o.client.Auth)
	}
	if o.useSim && o.client.Auth == ews.AuthBearer {
		return o, errors.New("--sim speaks none, basic or ntlm authentication, not bearer")
	}

	switch *mode {
	case "streaming":
		o.watch.Mode = ews.ModeStreaming
	case "pull":
		o.watch.Mode = ews.ModePull
	default:
		return o, fmt.Errorf("--mode %q: use streaming or pull", *mode)
	}
	o.watch.PollInterval = *poll
	o.watch.Reconcile = *recon
	o.cascades = !*noCasc
	o.cascadeGap = model.DefaultCascadeGap

	target, err := watchTargets(splitList(*folders), nil)
	if err != nil {
		return o, err
	}
	o.watch.Folders = target.Folders
	for _, f := range splitList(*folders) {
		if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "all") {
			o.folderNames = append(o.folderNames, f)
		}
	}
	for _, e := range splitList(*events) {
		if strings.EqualFold(e, "all") {
			continue
		}
		t, ok := ews.ParseEventType(e)
		if !ok {
			return o, fmt.Errorf("--events: unknown event type %q: use NewMail, Created, Deleted, Modified, Moved, Copied, FreeBusyChanged or Status", e)
		}
		if t == ews.StatusEvent {
			o.showStatus = true
			continue
		}
		o.watch.EventTypes = append(o.watch.EventTypes, t)
	}
	return o, nil
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

	if o.useSim {
		cfg := sim.Config{Rate: o.simRate, Server: o.simServer}
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
			return fail(err)
		}
		defer srv.Close()
		o.client.URL = srv.URL()
	} else if o.client.Auth != ews.AuthNone {
		secret, err := watchSecret(ctx, o)
		if err != nil {
			return fail(err)
		}
		if o.client.Auth == ews.AuthBearer {
			o.client.Token = secret
		} else {
			o.client.Password = secret
		}
	}

	client, err := ews.NewClient(o.client)
	if err != nil {
		return fail(err)
	}
	defer client.CloseIdleConnections()
	if w := client.Warning(); w != "" {
		fmt.Fprintf(stderr, "ewsmon watch: %s\n", w)
	}
	if w := cleartextWarning(o.client.URL, o.client.Auth); w != "" {
		fmt.Fprintf(stderr, "ewsmon watch: warning: %s\n", w)
	}

	// --duration bounds the whole run, the checks below included (a
	// server that never answers them).
	runCtx := ctx
	if o.duration > 0 {
		var cancelTimer context.CancelFunc
		runCtx, cancelTimer = context.WithTimeout(ctx, o.duration)
		defer cancelTimer()
	}
	checkFailed := func(err error) int {
		switch {
		case ctx.Err() != nil: // interrupted
			return 0
		case runCtx.Err() != nil:
			return fail(fmt.Errorf("no answer from %s within --duration %v", client.URL(), o.duration))
		}
		return fail(err)
	}
	// One ordinary call first, so a wrong password, a wrong URL or an
	// unreachable server is one clear sentence and exit status 1 rather
	// than a subscription that keeps retrying.
	if _, err := client.GetFolder(runCtx, ews.Distinguished("msgfolderroot")); err != nil {
		return checkFailed(err)
	}
	// Each folder asked for must exist, or the subscription would fail
	// with an error that does not say which folder is wrong.
	for i, ref := range o.watch.Folders {
		if _, err := client.GetFolder(runCtx, ref); err != nil {
			name := ref.Id.Id
			if i < len(o.folderNames) {
				name = o.folderNames[i]
			}
			return checkFailed(fmt.Errorf("--folders %s: %w", name, err))
		}
	}

	watchCtx, stop := context.WithCancel(runCtx)
	defer stop()
	// A reader that goes away (`| head -3`) ends the run quietly, after
	// the unsubscribe, even while the mailbox is quiet and nothing is
	// being written.
	var closed atomic.Bool
	if f, ok := stdout.(*os.File); ok {
		go watchClosed(watchCtx, f, func() { closed.Store(true); stop() })
	}

	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	var (
		printed   int
		lastState ews.ConnState
		lastSub   string
		lastMsg   string
		fatal     error
		outErr    error // stdout failed: stop after the runner unsubscribed
	)
	// write writes one line; events beyond --count are dropped (the runner
	// is being stopped).
	write := func(rec ews.Record) error {
		if outErr != nil {
			return outErr
		}
		isEvent := strings.HasSuffix(rec.Type, "Event")
		if isEvent && o.count > 0 && printed >= o.count {
			return nil
		}
		if err := enc.Encode(rec); err != nil {
			// Stop, but let the runner unsubscribe first.
			outErr = fmt.Errorf("writing output: %w", err)
			stop()
			return outErr
		}
		if isEvent {
			printed++
			if o.count > 0 && printed == o.count {
				stop() // the runner unsubscribes and closes the channel
			}
		}
		return nil
	}
	var cw *cascadeWriter
	if o.cascades {
		cw = newCascadeWriter(o.cascadeGap, write)
		namer := &watchNamer{ctx: watchCtx, client: client, st: cw.st, stderr: stderr}
		cw.named = namer.cascade
		namer.syncFolders(true)
		namer.resolveHidden()
	}
	clock := env.clock
	if clock == nil {
		clock = ews.RealClock{}
	}
	updates := client.Watch(watchCtx, o.watch)
	var quiet <-chan time.Time // CascadeGap after the last event, while one is held
	for {
		var u ews.Update
		var ok bool
		select {
		case u, ok = <-updates:
		case <-quiet:
			// No event joined the open cascade for CascadeGap: it is
			// complete.
			quiet = nil
			_ = cw.close()
			continue
		}
		if !ok {
			break
		}
		msg := ""
		if u.Err != nil {
			msg = oneLine(u.Err.Error())
		}
		final := u.State == ews.StateUnsubscribed || u.State == ews.StateError
		if cw != nil && (final || u.Gap != nil || u.Reconciled != nil) {
			// The run ends, or events may have been missed: the open
			// cascade is complete as far as anyone will know, and written
			// before the line that says so. (Events after a gap never
			// join a cascade from before it.)
			_ = cw.close()
		}
		// A new reason while still reconnecting (the stream broke, then
		// the server is unreachable) is news too.
		if u.State != lastState || u.SubscriptionId != lastSub || msg != lastMsg {
			lastState, lastSub, lastMsg = u.State, u.SubscriptionId, msg
			_ = write(ews.Record{Type: "State", State: string(u.State), Mode: string(u.Mode), SubscriptionId: u.SubscriptionId, Message: msg})
		}
		if u.State == ews.StateError && u.Err != nil {
			fatal = u.Err
		}
		if u.Gap != nil {
			_ = write(ews.GapRecord(*u.Gap))
		}
		if u.Reconciled != nil {
			for _, rec := range ews.ReconciledRecords(u.Reconciled) {
				_ = write(rec)
			}
		}
		events := false
		for _, e := range u.Events {
			if outErr != nil || (o.count > 0 && printed >= o.count) {
				break // stopping; the rest of this batch is not asked for
			}
			switch {
			case e.Type == ews.StatusEvent:
				if !o.showStatus {
					continue
				}
				if cw != nil {
					_ = cw.line(ews.EventRecord(e))
				} else {
					_ = write(ews.EventRecord(e))
				}
			case cw != nil:
				events = true
				_ = cw.event(e, u.At)
			default:
				_ = write(ews.EventRecord(e))
			}
		}
		if events {
			quiet = nil
			if cw.holding() {
				quiet = clock.After(o.cascadeGap)
			}
		}
	}
	if cw != nil {
		_ = cw.close() // the end of the run
	}
	if closed.Load() || errors.Is(outErr, syscall.EPIPE) {
		return 0 // the reader is gone: nothing to say, and no one to say it to
	}
	if outErr != nil {
		return fail(outErr)
	}
	if fatal != nil {
		return fail(fatal)
	}
	return 0
}

// watchSecret finds the password (or bearer token): EWSMON_PASSWORD /
// EWSMON_TOKEN, then --password-cmd. It never comes from a flag value.
func watchSecret(ctx context.Context, o watchOptions) (string, error) {
	env, what := "EWSMON_PASSWORD", "password"
	if o.client.Auth == ews.AuthBearer {
		env, what = "EWSMON_TOKEN", "token"
	}
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	if o.passwordCmd != "" {
		return runSecretCmd(ctx, o.passwordCmd, "--password-cmd")
	}
	return "", fmt.Errorf("no %s: set %s or give --password-cmd", what, env)
}
