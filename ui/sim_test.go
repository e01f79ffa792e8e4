package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// simControl adapts *sim.Server to SimControl (main does the same).
type simControl struct{ s *sim.Server }

func (a simControl) Act(ctx context.Context, action string) error {
	_, err := a.s.Act(ctx, sim.ActionRequest{Action: action})
	return err
}
func (a simControl) SetActivity(r float64) { a.s.SetActivity(r) }
func (a simControl) Activity() float64     { return a.s.Activity() }
func (a simControl) Profile() string       { return a.s.Profile().Name }

// driver is a small Bubble Tea runtime for tests: commands run in
// goroutines, their messages go through Update one at a time.
type driver struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
	quit bool
}

func newDriver(t *testing.T, m *Model) *driver {
	return &driver{t: t, m: m, msgs: make(chan tea.Msg, 1024)}
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				d.run(c)
			}
			return
		}
		if msg != nil {
			d.msgs <- msg
		}
	}()
}

func (d *driver) send(msg tea.Msg) {
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		return
	}
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

func (d *driver) screen() string { return ansi.Strip(d.m.View().Content) }

// until handles messages until cond holds (checked after each), or fails
// after a generous real-time deadline.
func (d *driver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.screen())
		}
	}
}

// The dashboard against the real client and the embedded simulator over
// loopback: events arrive, a demo key fires an action whose cascade shows,
// u / s resubscribe, q unsubscribes and quits.
func TestDashboardAgainstSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, m, d := openOnSimulator(ctx, t)
	d.send(keyMsg("1"))
	d.until("the new-mail cascade", func() bool { return strings.Contains(d.screen(), "New mail in Inbox") })
	if tot := m.st.Status().Totals; tot[ews.NewMailEvent] < 1 || tot[ews.CreatedEvent] < 1 {
		t.Fatalf("totals %v", tot)
	}

	d.send(keyMsg("u"))
	d.until("unsubscribed", func() bool { return strings.Contains(d.screen(), "○ unsubscribed") })
	d.send(keyMsg("s"))
	d.until("open again", func() bool { return m.st.Status().State == ews.StateOpen })
	d.send(keyMsg("m"))
	d.until("pull mode open", func() bool {
		st := m.st.Status()
		return st.State == ews.StateOpen && st.Mode == ews.ModePull
	})
	d.send(keyMsg("q"))
	d.until("quit", func() bool { return d.quit })
	if st := m.st.Status().State; st != ews.StateUnsubscribed {
		t.Fatalf("quit without unsubscribing: state %s", st)
	}
}

// A refused login is one clear sentence on screen with what to do; the
// dashboard stays up, and s retries.
func TestLoginRefusedShowsAnErrorState(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{Seed: 1, Auth: sim.AuthConfig{Mode: "basic", User: "alice@example.com", Password: "right"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: "basic", User: "alice@example.com", Password: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(ctx, Options{Backend: client, URL: srv.URL(), User: "alice@example.com", ThemeName: "none", Location: time.UTC})
	d := newDriver(t, m)
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.until("the error state", func() bool { return m.st.Status().State == ews.StateError && !m.watching })
	scr := d.screen()
	lines := strings.Split(scr, "\n")
	banner := strings.Join(lines[2:5], " ")
	if !strings.Contains(banner, "✖ ") || !strings.Contains(banner, "s to retry, q to quit") {
		t.Fatalf("no error banner:\n%s", scr)
	}
	if msg := m.st.Status().Err; !strings.Contains(banner, strings.Fields(msg)[0]) {
		t.Fatalf("banner does not carry the error %q:\n%s", msg, scr)
	}
	d.send(keyMsg("s"))
	if m.st.Status().State != ews.StateSubscribing {
		t.Fatalf("s did not retry: %s", m.st.Status().State)
	}
	d.until("the error again", func() bool { return m.st.Status().State == ews.StateError && !m.watching })
}

// openOnSimulator runs the dashboard on the real client against a simulator
// on loopback at 160x48 and waits for the subscription to open and the
// tree to sync; both stop when ctx ends.
func openOnSimulator(ctx context.Context, t *testing.T) (*sim.Server, *Model, *driver) {
	t.Helper()
	srv, err := sim.Start(ctx, sim.Config{Seed: 1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: "none", User: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(ctx, Options{Backend: client, Sim: simControl{srv}, URL: srv.URL(), User: "alice@example.com",
		ThemeName: "none", Location: time.UTC, ExportDir: t.TempDir()})
	d := newDriver(t, m)
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: 160, Height: 48})
	d.until("the subscription to open and the tree to sync", func() bool {
		return m.st.Status().State == ews.StateOpen && m.st.Tree().Synced() && strings.Contains(d.screen(), "Inbox")
	})
	return srv, m, d
}
