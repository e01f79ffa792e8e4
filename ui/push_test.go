package ui

import (
	"context"
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
