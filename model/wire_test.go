package model_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// The whole path: the simulator on loopback, the real client's Watch
// (streaming and pull), its updates applied to the State as the dashboard
// does. All actions are fired back to back, so pull delivers several in one
// GetEvents batch; each must still be one cascade with its label.
func TestEveryActionThroughTheWire(t *testing.T) {
	for _, mode := range []ews.Mode{ews.ModeStreaming, ews.ModePull} {
		t.Run(string(mode), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			srv, err := sim.Start(ctx, sim.Config{Seed: 3}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: ews.AuthNone, HTTPTimeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := rigOn(t, ctx, srv, c)

			watchCtx, stop := context.WithCancel(ctx)
			updates := c.Watch(watchCtx, ews.WatchConfig{Mode: mode, PollInterval: 20 * time.Millisecond})
			defer func() {
				// The runner unsubscribes and closes the channel.
				stop()
				for range updates {
				}
			}()
			// apply feeds updates to the State until want events arrived.
			got := 0
			apply := func(want int) {
				t.Helper()
				for got < want {
					select {
					case u, ok := <-updates:
						if !ok {
							t.Fatalf("updates closed after %d of %d events", got, want)
						}
						if u.State == ews.StateError {
							t.Fatalf("runner error: %v", u.Err)
						}
						r.s.Apply(u)
						for _, e := range u.Events {
							if e.Type != ews.StatusEvent {
								got++
							}
						}
					case <-ctx.Done():
						t.Fatalf("%d of %d events arrived before the deadline", got, want)
					}
				}
			}
			for r.s.Status().State != ews.StateOpen {
				select {
				case u := <-updates:
					r.s.Apply(u)
				case <-ctx.Done():
					t.Fatal("subscription never opened")
				}
			}

			var want []string
			sent := 0
			type fired struct {
				action string
				evs    []ews.Event
				before map[string]string
			}
			var all []fired
			fire := func(action string) error {
				before := make(map[string]string, len(r.names))
				for k, v := range r.names {
					before[k] = v
				}
				res, err := srv.Act(ctx, sim.ActionRequest{Action: action})
				if err != nil {
					return err
				}
				sent += len(res.Events)
				all = append(all, fired{action, res.Events, before})
				if action == "rename-folder" || action == "create-folder" || action == "folder-to-deleted-items" {
					r.sync() // the dashboard's debounced sync learns the names
				}
				return nil
			}
			for _, action := range sim.Actions {
				if err := fire(action); err != nil {
					// Nothing to act on yet: the matrix scenario's
					// preparation first (a second meeting request).
					for _, pr := range sim.MatrixRowFor(action).Prepare {
						if err := fire(pr.Action); err != nil {
							t.Fatalf("%s: %v", pr.Action, err)
						}
					}
					if err := fire(action); err != nil {
						t.Fatalf("%s: %v", action, err)
					}
				}
			}
			apply(sent)
			r.resolve()
			r.sync()
			for _, f := range all {
				want = append(want, r.expectedLabel(f.action, f.evs, f.before))
			}
			if got := labels(r.s); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("list:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			// The raw notification XML travels with each entry (for the
			// detail view), and the columns name the folders.
			rows := r.s.Rows(0, r.s.RowCount())
			first := rows[0].Cascade.Entries[0]
			if !strings.Contains(string(first.Event.RawXML), "Notification") {
				t.Errorf("first entry has no notification XML: %q", first.Event.RawXML)
			}
			if col := r.s.Columns(first); col.Folder != "Inbox" || col.Type != "Created" {
				t.Errorf("first entry's columns %+v", col)
			}
		})
	}
}
