package sim_test

// The project's subscription runner (ews.Client.Watch) against the simulator:
// what the dashboard and `ewsmon watch` actually use.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// watcher reads a Watch channel in the test goroutine.
type watcher struct {
	t      *testing.T
	ch     <-chan ews.Update
	cancel context.CancelFunc
	events []ews.Event
	last   ews.Update
}

func (r *rig) watch(cfg ews.WatchConfig) *watcher {
	r.t.Helper()
	ctx, cancel := context.WithCancel(r.ctx)
	w := &watcher{t: r.t, ch: r.c.Watch(ctx, cfg), cancel: cancel}
	r.t.Cleanup(func() {
		cancel()
		for range w.ch { // drain until the runner has unsubscribed and closed
		}
	})
	return w
}

// until reads updates until cond holds, calling tick (e.g. to move the fake
// clock) whenever no update arrived for a moment. It fails after 10 s.
func (w *watcher) until(what string, cond func(u ews.Update) bool, tick func()) ews.Update {
	w.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case u, ok := <-w.ch:
			if !ok {
				w.t.Fatalf("watch ended while waiting for %s (last state %s, err %v)", what, w.last.State, w.last.Err)
			}
			w.last = u
			w.events = append(w.events, u.Events...)
			if u.State == ews.StateError {
				w.t.Fatalf("watch failed while waiting for %s: %v", what, u.Err)
			}
			if cond(u) {
				return u
			}
		case <-time.After(20 * time.Millisecond):
			if tick != nil {
				tick()
			}
		case <-deadline:
			w.t.Fatalf("timed out waiting for %s (last state %s, err %v)", what, w.last.State, w.last.Err)
		}
	}
}

func isOpen(u ews.Update) bool { return u.State == ews.StateOpen }

// Each documented cascade arrives complete and in order through the runner,
// in both modes.
func TestWatchDeliversEveryCascadeInOrder(t *testing.T) {
	t.Parallel()
	for _, mode := range []ews.Mode{ews.ModeStreaming, ews.ModePull} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, sim.Config{})
			w := r.watch(ews.WatchConfig{Mode: mode, PollInterval: 5 * time.Second, Clock: r.clock})
			w.until("open", isOpen, nil)
			tick := func() {
				if mode == ews.ModePull {
					r.clock.Advance(5 * time.Second) // the next poll
				}
			}
			for _, a := range actionsInDocOrder {
				w.events = nil
				want := r.act(a.action, a.folder)
				w.until(a.action+" events", func(ews.Update) bool { return len(sigs(w.events)) >= len(want) }, tick)
				sameSigs(t, a.action+" through Watch("+string(mode)+")", sigs(w.events), sigs(want))
			}
		})
	}
}

func TestWatchStreamingHeartbeatAndEviction(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{HeartbeatInterval: 30 * time.Second})
	w := r.watch(ews.WatchConfig{Mode: ews.ModeStreaming, Clock: r.clock})
	open := w.until("open", isOpen, nil)
	r.clock.WaitForWaiters(2, 5*time.Second)
	w.until("heartbeat", func(u ews.Update) bool { return u.Heartbeat }, func() { r.clock.Advance(30 * time.Second) })

	// Another connection for the same subscription: the runner's stream is
	// ended with ErrorNewEventStreamConnectionOpened.
	st, err := r.c.GetStreamingEvents(r.ctx, ews.GetStreamingEventsRequest{SubscriptionIds: []string{open.SubscriptionId}, ConnectionTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u := w.until("eviction", func(u ews.Update) bool { return u.Err != nil }, nil)
	if !errors.Is(u.Err, ews.ErrorCode("ErrorNewEventStreamConnectionOpened")) && !strings.Contains(u.Err.Error(), "ErrorNewEventStreamConnectionOpened") {
		t.Fatalf("runner error after a second connection: %v", u.Err)
	}
}

func TestWatchPullRecoversFromExpiry(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{})
	w := r.watch(ews.WatchConfig{Mode: ews.ModePull, PollInterval: 5 * time.Second, Timeout: 1, Clock: r.clock})
	first := w.until("open", isOpen, nil)
	if n := r.s.Faults().ExpireAll(); n != 1 {
		t.Fatalf("ExpireAll expired %d subscriptions, want 1", n)
	}
	tick := func() { r.clock.Advance(5 * time.Second) }
	u := w.until("expired", func(u ews.Update) bool { return u.State == ews.StateExpired }, tick)
	if !errors.Is(u.Err, ews.ErrorCode("ErrorExpiredSubscription")) && !strings.Contains(u.Err.Error(), "ErrorExpiredSubscription") {
		t.Errorf("expiry error: %v", u.Err)
	}
	again := w.until("open again", func(u ews.Update) bool { return isOpen(u) && u.SubscriptionId != first.SubscriptionId }, tick)
	w.events = nil
	want := r.act("new-mail", "inbox")
	w.until("events after resubscribing", func(ews.Update) bool { return len(sigs(w.events)) >= len(want) }, tick)
	sameSigs(t, "new mail after recovery on "+again.SubscriptionId, sigs(w.events), sigs(want))
}
