package ews_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// watcher reads a runner's updates, advancing the shared fake clock a
// second at a time while it waits, so that backoffs and heartbeats pass.
type watcher struct {
	t     *testing.T
	ch    <-chan ews.Update
	clock *ews.FakeClock
	last  ews.Update
}

func (w *watcher) until(what string, match func(ews.Update) bool) ews.Update {
	w.t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case u, ok := <-w.ch:
			if !ok {
				w.t.Fatalf("updates ended waiting for %s (last %s %v)", what, w.last.State, w.last.Err)
			}
			w.last = u
			if u.State == ews.StateError {
				w.t.Fatalf("fatal error waiting for %s: %v", what, u.Err)
			}
			if match(u) {
				return u
			}
		case <-tick.C:
			w.clock.Advance(time.Second)
		case <-deadline:
			w.t.Fatalf("timed out waiting for %s (last %s %v)", what, w.last.State, w.last.Err)
		}
	}
}

// The streaming runner recovers from what the simulator's faults do to a
// real connection, and new mail arrives after each.
func TestStreamingRecoversFromSimulatorFaults(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := ews.NewFakeClock(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	s, err := sim.Start(ctx, sim.Config{Clock: clock}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := ews.NewClient(ews.Config{URL: s.URL(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	wctx, stop := context.WithCancel(ctx)
	w := &watcher{t: t, ch: c.Watch(wctx, ews.WatchConfig{}), clock: clock}
	open := func(u ews.Update) bool { return u.State == ews.StateOpen }
	first := w.until("open", open)

	newMail := func(step string) {
		t.Helper()
		res, err := s.Act(ctx, sim.ActionRequest{Action: "new-mail"})
		if err != nil {
			t.Fatal(err)
		}
		var id string
		for _, e := range res.Events {
			if e.Type == ews.NewMailEvent {
				id = e.ItemId.Id
			}
		}
		w.until(step+": new mail", func(u ews.Update) bool {
			for _, e := range u.Events {
				if e.Type == ews.NewMailEvent && e.ItemId.Id == id {
					return true
				}
			}
			return false
		})
	}
	newMail("start")

	// A load balancer drops the connection halfway through an envelope.
	s.Faults().CutNextStream()
	_, _ = s.Act(ctx, sim.ActionRequest{Action: "mark-read"})
	w.until("reconnecting after the cut", func(u ews.Update) bool { return u.State == ews.StateReconnecting })
	if u := w.until("open after the cut", open); u.SubscriptionId != first.SubscriptionId {
		t.Errorf("the cut made a new subscription (%s)", u.SubscriptionId)
	}
	newMail("after the cut")

	// Garbage on the stream.
	s.Faults().CorruptNext()
	_, _ = s.Act(ctx, sim.ActionRequest{Action: "mark-unread"})
	w.until("reconnecting after garbage", func(u ews.Update) bool { return u.State == ews.StateReconnecting })
	w.until("open after garbage", open)
	newMail("after garbage")

	// The subscription expires on the server.
	s.Faults().ExpireAll()
	u := w.until("expired", func(u ews.Update) bool { return u.State == ews.StateExpired })
	if !errors.Is(u.Err, ews.ErrExpiredSubscription) {
		t.Errorf("expired: %v", u.Err)
	}
	u = w.until("open on a new subscription", open)
	if u.SubscriptionId == first.SubscriptionId || u.SubscriptionId == "" {
		t.Errorf("still %q", u.SubscriptionId)
	}
	newMail("after expiry")

	// The server is busy when the runner reconnects.
	s.Faults().ServerBusy(1, 30*time.Second)
	s.Faults().CutNextStream()
	_, _ = s.Act(ctx, sim.ActionRequest{Action: "mark-read"})
	u = w.until("busy", func(u ews.Update) bool {
		return u.State == ews.StateReconnecting && errors.Is(u.Err, ews.ErrServerBusy)
	})
	busyAt := u.At
	u = w.until("open after busy", open)
	if u.At.Sub(busyAt) < 30*time.Second {
		t.Errorf("reconnected %s after ErrorServerBusy with BackOffMilliseconds 30000", u.At.Sub(busyAt))
	}
	newMail("after busy")

	stop()
	for u := range w.ch {
		w.last = u
	}
	if w.last.State != ews.StateUnsubscribed {
		t.Errorf("final %+v", w.last)
	}
}
