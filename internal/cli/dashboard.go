package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/keymap"
	"github.com/ewsmon/ewsmon/ui"
)

func runDashboard(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s, err := parseDashboardArgs(args, os.Getenv, stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errVersion):
		printVersion(stdout)
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 2
	}
	keys, err := dashboardKeys(s)
	if err != nil {
		fmt.Fprintf(stderr, "ewsmon: config %s: %v\n", orNone(s.ConfigPath), err)
		return 2
	}
	target, err := watchTargets(s.Folders, s.Events)
	if err != nil {
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 2
	}
	if f, ok := stdin.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		fmt.Fprintln(stderr, "ewsmon: the dashboard needs a terminal; for scripts use `ewsmon watch --json` (see ewsmon --help)")
		return 2
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, code, err := connectDashboard(ctx, s, target, os.Stdin, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "ewsmon:", err)
		return code
	}
	defer conn.close()

	opts := dashboardOptions(s, target, keys, conn)
	if s.Compare {
		cmp, closeCompare, err := compareOptions(ctx, s, conn, opts.Watch, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "ewsmon:", err)
			return 2
		}
		defer closeCompare()
		opts.Compare = cmp
		if set := opts.SetSecret; set != nil {
			opts.SetSecret = func(secret string) {
				set(secret)
				for _, r := range cmp.Runs {
					r.Client.SetPassword(secret)
				}
			}
		}
		return runProgram(ctx, opts, stdin, stdout, stderr)
	}
	// A push listener: on the simulator always (push works with no flags),
	// against a server when asked for (a listener on 127.0.0.1 is of no use
	// to a remote server).
	if conn.srv != nil || s.Mode == "push" || s.Push != (ews.PushListenerConfig{}) {
		l, err := ews.ListenPush(ctx, s.Push)
		if err != nil {
			fmt.Fprintln(stderr, "ewsmon:", err)
			return 2
		}
		defer l.Close()
		opts.Push = l
		opts.Watch.StatusFrequency = s.StatusFrequency
		if conn.srv != nil {
			opts.Watch.StatusMinute = s.SimPushMinute
		}
	}
	return runProgram(ctx, opts, stdin, stdout, stderr)
}

// runProgram runs the dashboard until it quits.
func runProgram(ctx context.Context, opts ui.Options, stdin io.Reader, stdout, stderr io.Writer) int {
	// 20 frames a second is smooth for a list of events and costs a third of
	// the default 60 when idle; View draws at most once a frame too
	// (docs/performance.md).
	opts.FrameInterval = time.Second / dashboardFPS
	m := ui.New(ctx, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(stdin), tea.WithOutput(stdout), tea.WithFPS(dashboardFPS))
	_, err := p.Run()
	writeFrameStats(m, stderr)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 1
	}
	return 0
}

// dashboardFPS is the frame rate of the renderer and of View.
const dashboardFPS = 20

// writeFrameStats writes what the dashboard drew, as one JSON line, to the
// file $EWSMON_FRAME_STATS names (scripts/perf.sh reads it); nothing when
// it is unset.
func writeFrameStats(m tea.Model, stderr io.Writer) {
	path := os.Getenv("EWSMON_FRAME_STATS")
	fm, ok := m.(interface{ FrameStats() ui.FrameStats })
	if path == "" || !ok {
		return
	}
	st := fm.FrameStats()
	line := fmt.Sprintf(`{"updates":%d,"views":%d,"frames":%d,"arrival_to_frame_p50_ms":%.2f,"arrival_to_frame_p99_ms":%.2f,"arrival_to_frame_max_ms":%.2f}`+"\n",
		st.Updates, st.Views, st.Frames, ms(st.P50), ms(st.P99), ms(st.Max))
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		fmt.Fprintln(stderr, "ewsmon: EWSMON_FRAME_STATS:", err)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// compareOptions are the runners of `ewsmon --compare`: streaming, pull and
// push on the folders of w, each with a client of its own (so that each
// one's requests and bytes are its own; the dashboard's client still syncs
// the tree and fetches subjects) and push on a listener of its own, as
// `watch --mode all` runs them. close ends the listener and the clients'
// idle connections.
func compareOptions(ctx context.Context, s Settings, conn *dashboardConn, w ews.WatchConfig, stderr io.Writer) (*ui.CompareOptions, func(), error) {
	l, err := ews.ListenPush(ctx, s.Push)
	if err != nil {
		return nil, nil, err
	}
	var clients []*ews.Client
	closeAll := func() {
		l.Close()
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}
	o := &ui.CompareOptions{Push: l}
	for _, m := range compareModes {
		c, err := ews.NewClient(conn.cfg) // newClient's warnings were given for the dashboard's
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		clients = append(clients, c)
		cfg := w
		cfg.Mode = m
		if m == ews.ModePush {
			cfg.Push, cfg.StatusFrequency = l, s.StatusFrequency
			if conn.srv != nil {
				cfg.StatusMinute = s.SimPushMinute
			}
		}
		o.Runs = append(o.Runs, ews.SideBySide{Name: string(m), Client: c, Config: cfg})
	}
	o.Settle = compareSettle(w.PollInterval)
	return o, closeAll, nil
}

// dashboardKeys is the default keymap with the config file's overrides.
func dashboardKeys(s Settings) (keymap.KeyMap, error) {
	keys := keymap.DefaultKeyMap()
	if err := keys.Override(s.Keys); err != nil {
		return keys, err
	}
	if c := keys.Conflicts(); len(c) > 0 {
		// Two actions on one key: only one of them could ever run.
		return keys, fmt.Errorf("a key is bound to two actions (%s)", strings.Join(c, "; "))
	}
	return keys, nil
}

// dashboardConn is what the dashboard talks to: the client, and the
// embedded simulator when there is one.
type dashboardConn struct {
	cfg    ews.Config
	client *ews.Client
	srv    *sim.Server // nil: a real server
}

func (c *dashboardConn) close() {
	if c.srv != nil {
		c.srv.Close()
	}
}

// folderCheckWait bounds the check of --folders at the start: a server that
// does not answer in time is left to the dashboard to report.
const folderCheckWait = 15 * time.Second

// connectDashboard starts the embedded simulator or resolves the secret
// for a real server, builds the client, and checks the folders to watch.
// On error it returns the exit status to use.
func connectDashboard(ctx context.Context, s Settings, target watchTarget, tty *os.File, stderr io.Writer) (*dashboardConn, int, error) {
	conn := &dashboardConn{cfg: ews.Config{
		URL:                  s.URL,
		Auth:                 ews.AuthKind(s.Auth),
		User:                 s.User,
		RequestServerVersion: s.ServerVersion,
		ImpersonateSMTP:      s.Impersonate,
		AnchorMailbox:        s.AnchorMailbox,
		CAFile:               s.CAFile,
		Insecure:             s.Insecure,
	}}
	if s.UseSimulator() {
		srv, err := sim.Start(ctx, sim.Config{Rate: s.SimRate, Seed: s.SimSeed, Server: s.SimServer, PushMinute: s.SimPushMinute}, "127.0.0.1:0")
		if err != nil {
			return nil, 1, fmt.Errorf("starting the embedded simulator: %w", err)
		}
		conn.srv = srv
		conn.cfg.URL, conn.cfg.Auth, conn.cfg.User = srv.URL(), ews.AuthNone, demoMailbox
	} else {
		secret, err := resolveSecret(ctx, s, os.Getenv, tty, stderr)
		if err != nil {
			return nil, 2, err
		}
		if conn.cfg.Auth == ews.AuthBearer {
			conn.cfg.Token = secret
		} else {
			conn.cfg.Password = secret
		}
	}
	client, err := newClient(conn.cfg, "ewsmon", stderr)
	if err != nil {
		conn.close()
		return nil, 2, err
	}
	conn.client = client
	if len(target.Folders) > 0 {
		cctx, cancel := context.WithTimeout(ctx, folderCheckWait)
		defer cancel()
		// Only a folder the server says does not exist stops the start;
		// a wrong password or an unreachable server is the dashboard's
		// to show (and `s` retries it).
		if err := checkFolders(cctx, client, target); errors.Is(err, errNoSuchFolder) {
			conn.close()
			return nil, 2, err
		}
	}
	return conn, 0, nil
}

// dashboardOptions are the ui.Options of a dashboard on conn.
func dashboardOptions(s Settings, target watchTarget, keys keymap.KeyMap, conn *dashboardConn) ui.Options {
	mode := ews.ModeStreaming
	switch s.Mode {
	case "pull":
		mode = ews.ModePull
	case "push":
		mode = ews.ModePush
	}
	o := ui.Options{
		Backend:   conn.client,
		URL:       conn.cfg.URL,
		User:      conn.cfg.User,
		Watch:     ews.WatchConfig{Mode: mode, Folders: target.Folders, EventTypes: target.EventTypes, Reconcile: true, PollInterval: s.Poll},
		Keys:      keys,
		ThemeName: s.Theme,
		MaxEvents: s.MaxEvents,
		ExportDir: s.ExportDir,
		SimRate:   simRateOr(s.SimRate),
	}
	if conn.srv != nil {
		o.Sim = simControl{conn.srv}
	}
	if conn.cfg.Auth == ews.AuthBasic || conn.cfg.Auth == ews.AuthNTLM {
		// After "authentication failed", the dashboard asks for the
		// password again and the client uses it from the next request.
		o.SetSecret = conn.client.SetPassword
	}
	return o
}

// simRateOr is the rate the activity key turns the generator on at.
func simRateOr(r float64) float64 {
	if r > 0 {
		return r
	}
	return activityRate
}

// simControl adapts the embedded simulator to the dashboard's demo keys.
type simControl struct{ srv *sim.Server }

func (c simControl) Act(ctx context.Context, action string) error {
	_, err := c.srv.Act(ctx, sim.ActionRequest{Action: action})
	return err
}

func (c simControl) SetActivity(rate float64) { c.srv.SetActivity(rate) }
func (c simControl) Activity() float64        { return c.srv.Activity() }
func (c simControl) Profile() string          { return c.srv.Profile().Name }
