package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/model"
)

// compareHarness is the dashboard in comparison mode on the fake backend,
// its runners' updates delivered by hand (compare* below) on the fake
// clock.
func compareHarness(t *testing.T, w, h int) *harness {
	return newHarness(t, w, h, true, func(o *Options) {
		o.Compare = &CompareOptions{
			Runs: []ews.SideBySide{
				{Name: "streaming", Config: ews.WatchConfig{Mode: ews.ModeStreaming}},
				{Name: "pull", Config: ews.WatchConfig{Mode: ews.ModePull, PollInterval: 5 * time.Second}},
				{Name: "push", Config: ews.WatchConfig{Mode: ews.ModePush, StatusFrequency: 1}},
			},
			Settle: CompareSettle(5 * time.Second),
			Watch: func(ctx context.Context, runs []ews.SideBySide) <-chan ews.TransportUpdate {
				return make(chan ews.TransportUpdate)
			},
			Wire: func(t int) ews.WireStats {
				return []ews.WireStats{{Requests: 21, BytesSent: 21 << 10, BytesReceived: 82 << 10},
					{Requests: 240, BytesSent: 2 << 20, BytesReceived: 3<<20 + 400<<10},
					{Requests: 39, BytesSent: 812, BytesReceived: 91 << 10}}[t]
			},
		}
	})
}

// compareUpdates delivers runner updates on the current comparison.
func (h *harness) compareUpdates(us ...ews.TransportUpdate) {
	h.t.Helper()
	h.send(compareMsg{gen: h.m.gen, ch: h.m.cmp.ch, updates: us})
}

// arrive is transport t delivering evs at at, each with a watermark told
// by the event and the transport (none on streaming, as EWS sends none
// there): delivering an event twice repeats its watermark.
func arrive(t int, at time.Time, evs ...ews.Event) ews.TransportUpdate {
	u := ews.Update{At: at, Mode: []ews.Mode{ews.ModeStreaming, ews.ModePull, ews.ModePush}[t], State: ews.StateOpen}
	for _, e := range evs {
		if t > 0 {
			e.Watermark = fmt.Sprintf("WM-%d-%s", t, model.CompareKey(&e))
		}
		u.Events = append(u.Events, e)
	}
	return ews.TransportUpdate{Transport: t, Update: u}
}

// comparing is a comparison with three cascades: a new mail every
// transport delivered (pull 2.5 s later), a move that pull delivered twice
// but without one of its folder changes (missed, once settled), and a new
// mail pull has not delivered yet (pending).
func (h *harness) comparing() {
	h.t.Helper()
	h.synced()
	open := t0.Add(time.Second)
	h.compareUpdates(arrive(0, open), arrive(1, open), arrive(2, open))

	at := t0.Add(10 * time.Second)
	mail := newMail(at, itemID(1), 3)
	h.compareUpdates(arrive(0, at, mail...), arrive(2, at.Add(4*time.Millisecond), mail...))
	h.compareUpdates(arrive(1, at.Add(2500*time.Millisecond), mail...))

	at = t0.Add(20 * time.Second)
	move := moveMail(at, itemID(1), itemID(3))
	h.compareUpdates(arrive(2, at, move...), arrive(0, at.Add(812*time.Millisecond), move...))
	h.compareUpdates(arrive(1, at.Add(3*time.Second), move[:2]...))
	h.compareUpdates(arrive(1, at.Add(8*time.Second), move[:2]...)) // the same watermarks again

	at = t0.Add(40 * time.Second)
	mail = newMail(at, itemID(2), 4)
	h.compareUpdates(arrive(0, at, mail...), arrive(2, at.Add(1200*time.Millisecond), mail...))

	h.clock.Advance(45 * time.Second)
	h.send(tickMsg{at: h.clock.Now()}) // the move settles: pull missed the Archive's change
	h.items()
}

func TestCompareGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			h := compareHarness(t, size[0], size[1])
			h.comparing()
			requireGoldenScreen(t, h.screen(), size[0], size[1])
		})
	}
}

// What the comparison shows must read without colour: the missed event,
// the repeat, the pending arrival and the figures are words and marks.
func TestCompareShowsMissedRepeatedPending(t *testing.T) {
	h := compareHarness(t, 160, 48)
	h.comparing()
	scr := h.screen()
	row := func(prefix string) string {
		for _, l := range strings.Split(scr, "\n") {
			if strings.Contains(l, prefix) {
				return l
			}
		}
		t.Fatalf("no line with %q:\n%s", prefix, scr)
		return ""
	}
	// Each event once: the move's MovedEvent row has every transport,
	// pull's twice.
	if l := row("Moved "); !strings.Contains(l, "+812ms") || !strings.Contains(l, "+3.00s×2") || !strings.Contains(l, "+0ms") {
		t.Errorf("moved row: %q", l)
	}
	if l := row("Archive "); !strings.Contains(l, "missed") {
		t.Errorf("the Archive's change is not shown missed by pull: %q", l)
	}
	if n := strings.Count(scr, "Moved "); n != 1 {
		t.Errorf("the move is listed %d times, want once:\n%s", n, scr)
	}
	if l := row("New mail in Inbox · Lunch"); !strings.Contains(l, "…") {
		t.Errorf("pull's pending arrival is not shown: %q", l)
	}
	st := h.m.cmp.cmp.Stats()
	if st[1].Missed != 1 || st[1].Duplicated != 2 || st[1].Events != 7 || st[0].Missed != 0 || st[2].Missed != 0 {
		t.Errorf("stats %+v", st)
	}
	if l := row("│ pull "); !strings.Contains(l, " 1 ") || !strings.Contains(l, "3.4 MiB") || !strings.Contains(l, "240") {
		t.Errorf("pull's summary row: %q", l)
	}
	if l := row("Transports"); !strings.Contains(l, "pull every 5s") || !strings.Contains(l, "push StatusFrequency 1 min") {
		t.Errorf("the summary does not say the intervals: %q", l)
	}
	// m has no mode to switch to.
	h.key("m")
	if !strings.Contains(h.screen(), "no mode to switch") {
		t.Errorf("m did not say why it does nothing:\n%s", h.screen())
	}
}

// The pending arrival becomes missed on the tick Settle after the first
// arrival, and not before.
func TestCompareSettlesOnTheClock(t *testing.T) {
	h := compareHarness(t, 80, 24)
	h.comparing()
	last := h.m.cmp.cmp.Rows()[len(h.m.cmp.cmp.Rows())-1]
	settle := h.m.cmp.settle
	h.clock.Advance(last.First.Add(settle - time.Second).Sub(h.clock.Now()))
	h.send(tickMsg{at: h.clock.Now()})
	if last.Missed[1] {
		t.Fatal("missed before Settle had passed")
	}
	h.clock.Advance(time.Second)
	h.send(tickMsg{at: h.clock.Now()})
	if !last.Missed[1] || !last.Settled() {
		t.Fatalf("not missed Settle after the first arrival: %+v", last)
	}
}

// The comparison against the real clients, push listener and the embedded
// simulator over loopback: a demo action's new mail arrives on streaming,
// pull and push, each with its delay on screen, and every transport's
// requests count; q unsubscribes all three.
func TestCompareAgainstSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{Seed: 1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l, err := ews.ListenPush(ctx, ews.PushListenerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := ews.Config{URL: srv.URL(), Auth: "none", User: "alice@example.com"}
	newClient := func() *ews.Client {
		c, err := ews.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	poll := 500 * time.Millisecond
	cmp := &CompareOptions{Push: l, Settle: CompareSettle(poll), Runs: []ews.SideBySide{
		{Name: "streaming", Client: newClient(), Config: ews.WatchConfig{Mode: ews.ModeStreaming, Reconcile: true}},
		{Name: "pull", Client: newClient(), Config: ews.WatchConfig{Mode: ews.ModePull, PollInterval: poll, Reconcile: true}},
		{Name: "push", Client: newClient(), Config: ews.WatchConfig{Mode: ews.ModePush, Push: l, Reconcile: true}},
	}}
	m := newModel(ctx, Options{Backend: newClient(), Sim: simControl{srv}, URL: srv.URL(), User: "alice@example.com",
		ThemeName: "none", Location: time.UTC, Compare: cmp})
	d := newDriver(t, m)
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: 160, Height: 48})
	d.until("all three open", func() bool {
		for _, s := range m.cmp.states {
			if s != ews.StateOpen {
				return false
			}
		}
		return m.st.Tree().Synced()
	})
	d.send(keyMsg("1"))
	var row *model.CompareRow
	d.until("the new mail on every transport", func() bool {
		for _, r := range m.cmp.cmp.Rows() {
			if r.Event.Type != ews.NewMailEvent {
				continue
			}
			for tr := range m.cmp.names {
				if _, ok := r.Delay(tr); !ok {
					return false
				}
			}
			row = r
			return true
		}
		return false
	})
	var line string
	for _, l := range strings.Split(d.screen(), "\n") {
		if strings.Contains(l, " NewMail ") {
			line = l
		}
	}
	fields := strings.Fields(strings.Trim(line, "┃│ "))
	if len(fields) < 3 {
		t.Fatalf("no NewMail row:\n%s", d.screen())
	}
	for i, f := range fields[len(fields)-3:] {
		d, _ := row.Delay(i)
		if f != signedDelay(d) {
			t.Errorf("%s's cell %q, want %q; row %q", m.cmp.names[i], f, signedDelay(d), line)
		}
	}
	d.until("every transport's requests counted", func() bool {
		for _, s := range m.cmp.cmp.Stats() {
			if s.Requests == 0 || s.BytesRecv == 0 {
				return false
			}
		}
		return true
	})
	d.send(keyMsg("q"))
	d.until("quit", func() bool { return d.quit })
	for i, s := range m.cmp.states {
		if s != ews.StateUnsubscribed {
			t.Errorf("%s quit without unsubscribing: %s", m.cmp.names[i], s)
		}
	}
}

// e (event types) resubscribes every runner with the types chosen.
func TestCompareEventTypesApplyToEveryRunner(t *testing.T) {
	h := compareHarness(t, 80, 24)
	var got []ews.SideBySide
	h.m.cmp.opts.Watch = func(ctx context.Context, runs []ews.SideBySide) <-chan ews.TransportUpdate {
		got = runs
		return make(chan ews.TransportUpdate)
	}
	h.synced()
	h.key("e")
	h.key("down")
	h.key("space")
	h.key("enter")
	if len(got) != 3 {
		t.Fatalf("not resubscribed: %v", got)
	}
	want := h.m.watchCfg.EventTypes
	if len(want) == 0 {
		t.Fatal("no event types chosen")
	}
	for _, r := range got {
		if !slices.Equal(r.Config.EventTypes, want) {
			t.Errorf("%s subscribed to %v, want %v", r.Name, r.Config.EventTypes, want)
		}
	}
	if got[1].Config.PollInterval != 5*time.Second || got[2].Config.StatusFrequency != 1 {
		t.Errorf("the runners' own settings were lost: %+v", got)
	}
}

// The detail view of an event in the comparison says when each transport
// delivered it, and follows the comparison: pending becomes missed once
// Settle has passed, with the detail open.
func TestCompareDetailShowsArrivals(t *testing.T) {
	h := compareHarness(t, 160, 48)
	h.comparing()
	h.key("enter") // the newest event: the second mail's folder change
	if !h.m.modes.has(modeDetail) {
		t.Fatal("the detail did not open")
	}
	scr := h.screen()
	for _, want := range []string{"Arrivals", "+0ms (first)", "+1.20s", "pending"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the detail lacks %q:\n%s", want, scr)
		}
	}
	h.clock.Advance(20 * time.Second)
	h.send(tickMsg{at: h.clock.Now()})
	if scr := h.screen(); !strings.Contains(scr, "missed: not there 13s after the first arrival") || strings.Contains(scr, "  pending") {
		t.Errorf("the open detail did not follow pull's miss:\n%s", scr)
	}
}

// A transport's gap is listed as a gap cascade named by its transport,
// what reconciliation found across it under it, and counted in the
// summary; two runners' gaps numbered alike stay two gaps.
func TestCompareGapsNamedByTransport(t *testing.T) {
	h := compareHarness(t, 160, 48)
	h.comparing()
	at := h.clock.Now()
	gap := func(tr int, reason string) ews.TransportUpdate {
		return ews.TransportUpdate{Transport: tr, Update: ews.Update{At: at, State: ews.StateOpen,
			Gap: &ews.Gap{ID: 1, From: at.Add(-5 * time.Second), To: at, Reason: reason}}}
	}
	h.compareUpdates(gap(1, "subscription lost"), gap(0, "stream broke"))
	h.compareUpdates(ews.TransportUpdate{Transport: 1, Update: ews.Update{At: at, State: ews.StateOpen,
		Reconciled: &ews.Reconciliation{GapID: 1, Folders: 3, Changed: 1,
			Changes: []ews.ReconciledChange{{Change: ews.ChangeCreate, ItemId: ews.ItemId{Id: itemID(4)}, FolderId: ews.FolderId{Id: idInbox}, Subject: "Invoice 2026-118"}}}}})
	scr := h.screen()
	// pull's reconciliation came after streaming's gap: a cascade of its
	// own that names pull's gap.
	for _, want := range []string{"Possible gap 09:00:40 – 09:00:45: pull: subscription lost", "streaming: stream broke",
		"Reconciled across the gap 09:00:40 – 09:00:45: pull: subscription lost · 1 reconciled change"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the list lacks %q:\n%s", want, scr)
		}
	}
	st := h.m.cmp.cmp.Stats()
	if st[0].Gaps != 1 || st[1].Gaps != 1 || st[2].Gaps != 0 {
		t.Errorf("gaps per transport: %d %d %d, want 1 1 0", st[0].Gaps, st[1].Gaps, st[2].Gaps)
	}
	if got := h.m.st.Status().GapsSeen; got != 2 {
		t.Errorf("the model saw %d gaps, want 2", got)
	}
}
