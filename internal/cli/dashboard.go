package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/keymap"
	"github.com/ewsmon/ewsmon/ui"
)

// simUser is the demo mailbox the embedded simulator serves.
const simUser = "alice@example.com"

func runDashboard(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s, err := parseDashboardArgs(args, os.Getenv, stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "ewsmon", Version)
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 2
	}
	keys := keymap.DefaultKeyMap()
	if err := keys.Override(s.Keys); err != nil {
		fmt.Fprintf(stderr, "ewsmon: config %s: %v\n", orNone(s.ConfigPath), err)
		return 2
	}
	if c := keys.Conflicts(); len(c) > 0 {
		// Two actions on one key: only one of them could ever run.
		fmt.Fprintf(stderr, "ewsmon: config %s: a key is bound to two actions (%s)\n", orNone(s.ConfigPath), strings.Join(c, "; "))
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

	cfg := ews.Config{
		URL:                  s.URL,
		Auth:                 ews.AuthKind(s.Auth),
		User:                 s.User,
		RequestServerVersion: s.ServerVersion,
		ImpersonateSMTP:      s.Impersonate,
		AnchorMailbox:        s.AnchorMailbox,
		CAFile:               s.CAFile,
		Insecure:             s.Insecure,
	}
	var simCtl ui.SimControl
	if s.UseSimulator() {
		srv, err := sim.Start(ctx, sim.Config{Rate: s.SimRate, Seed: s.SimSeed, Server: s.SimServer}, "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(stderr, "ewsmon: starting the embedded simulator:", err)
			return 1
		}
		defer srv.Close()
		simCtl = simControl{srv}
		cfg.URL, cfg.Auth, cfg.User = srv.URL(), ews.AuthNone, simUser
	} else {
		secret, err := resolveSecret(ctx, s, os.Getenv, os.Stdin, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "ewsmon:", err)
			return 2
		}
		if s.Auth == "bearer" {
			cfg.Token = secret
		} else {
			cfg.Password = secret
		}
	}
	client, err := ews.NewClient(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 2
	}
	if w := client.Warning(); w != "" {
		fmt.Fprintln(stderr, "ewsmon: warning:", strings.TrimPrefix(w, "warning: ")) // it says "warning: " itself
	}
	if w := cleartextWarning(cfg.URL, cfg.Auth); w != "" {
		fmt.Fprintln(stderr, "ewsmon: warning:", w)
	}

	mode := ews.ModeStreaming
	if s.Mode == "pull" {
		mode = ews.ModePull
	}
	m := ui.New(ctx, ui.Options{
		Backend:   client,
		Sim:       simCtl,
		URL:       cfg.URL,
		User:      cfg.User,
		Watch:     ews.WatchConfig{Mode: mode, Folders: target.Folders, EventTypes: target.EventTypes, Reconcile: true},
		Keys:      keys,
		ThemeName: s.Theme,
		MaxEvents: s.MaxEvents,
		ExportDir: s.ExportDir,
		SimRate:   simRateOr(s.SimRate),
	})
	// 20 frames a second is smooth for a list of events and costs a third of
	// the default 60 when idle (docs/performance.md).
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(stdin), tea.WithOutput(stdout), tea.WithFPS(20))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 1
	}
	return 0
}

// simRateOr is the rate the activity key turns the generator on at.
func simRateOr(r float64) float64 {
	if r > 0 {
		return r
	}
	return 0.5
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
