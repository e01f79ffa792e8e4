package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// With a push listener, `m` cycles streaming → pull → push → streaming,
// and in push mode the status pane shows the listener, the callback URL the
// server was given and when the subscription counts as lost.
func TestModeCyclesThroughPush(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := ews.ListenPush(ctx, ews.PushListenerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := newHarness(t, 160, 48, true, func(o *Options) { o.Push = l })
	want := []ews.Mode{ews.ModePull, ews.ModePush, ews.ModeStreaming}
	for i, mode := range want {
		h.key("m")
		w := h.be.watch(h.be.numWatches() - 1)
		if w.cfg.Mode != mode {
			t.Fatalf("after %d presses: mode %s, want %s", i+1, w.cfg.Mode, mode)
		}
		if mode == ews.ModePush {
			if w.cfg.Push != l {
				t.Fatal("push mode without the listener")
			}
			now := h.clock.Now()
			h.updates(ews.Update{At: now, Mode: ews.ModePush, State: ews.StateOpen, SubscriptionId: "sub-push",
				Deadlines: ews.Deadlines{NextStatus: now.Add(2 * time.Minute)}})
			scr := h.screen()
			for _, s := range []string{"Mode     push", "Listener " + l.Addr(), "Callback", "lost if silent in 2:00"} {
				if !strings.Contains(scr, s) {
					t.Fatalf("push status lacks %q:\n%s", s, scr)
				}
			}
		}
	}
	// Without a listener, m only toggles streaming ↔ pull.
	h2 := newHarness(t, 80, 24, true)
	h2.key("m")
	h2.key("m")
	if w := h2.be.watch(h2.be.numWatches() - 1); w.cfg.Mode != ews.ModeStreaming {
		t.Errorf("without a listener: %s", w.cfg.Mode)
	}
}

// The dashboard in push mode at both sizes: the status pane's listener,
// callback URL and the countdown to "lost if silent", with events flowing.
// The listener's port and path token are random, so the session shows
// fixed stand-ins for them.
func TestPushGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l, err := ews.ListenPush(ctx, ews.PushListenerConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			h := newHarness(t, size[0], size[1], true, func(o *Options) {
				o.Push = l
				o.Watch.Mode, o.Watch.Push, o.Watch.StatusFrequency = ews.ModePush, l, 1
			})
			h.synced()
			sess := h.m.st.Status().Session
			sess.PushListen, sess.PushURL = "127.0.0.1:41873", "http://127.0.0.1:41873/ewsmon-push/3f9c2a7e5b1d4c8f"
			h.m.st.SetSession(sess)
			push := func(at time.Time, evs ...ews.Event) ews.Update {
				return ews.Update{At: at, Mode: ews.ModePush, State: ews.StateOpen, SubscriptionId: "SUBpush7781",
					Deadlines: ews.Deadlines{NextStatus: at.Add(2 * time.Minute)}, Events: evs}
			}
			h.updates(push(t0.Add(time.Second)))
			at := t0.Add(10 * time.Second)
			h.updates(push(at, newMail(at, itemID(1), 3)...))
			at = t0.Add(20 * time.Second)
			h.updates(push(at, moveMail(at, itemID(1), itemID(3))...))
			at = t0.Add(80 * time.Second)
			h.updates(push(at, ews.Event{Type: ews.StatusEvent, TimeStamp: at}))
			h.clock.Advance(118 * time.Second) // 1:22 before the subscription counts as lost
			h.send(tickMsg{at: h.clock.Now()})
			h.items()
			requireGoldenScreen(t, h.screen(), size[0], size[1])
		})
	}
}
