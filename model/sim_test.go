package model_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/model"
)

// simRig is the simulator on a loopback port, a client for the folder
// tree (SyncFolderHierarchy, GetFolder), and a State fed the way the
// dashboard feeds it.
type simRig struct {
	t     *testing.T
	ctx   context.Context
	clock *ews.FakeClock
	srv   *sim.Server
	c     *ews.Client
	s     *model.State
	names map[string]string // folder id -> display name, from the syncs
}

func newSimRig(t *testing.T, seed int64) *simRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := ews.NewFakeClock(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	srv, err := sim.Start(ctx, sim.Config{Clock: clock, Seed: seed}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: ews.AuthNone, Clock: clock, HTTPTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := &simRig{t: t, ctx: ctx, clock: clock, srv: srv, c: c, s: model.New(model.Config{Location: time.UTC}), names: map[string]string{}}
	r.sync()
	var refs []ews.FolderRef
	for id := range r.names {
		refs = append(refs, ews.FolderRefOf(ews.FolderId{Id: id}))
	}
	fs, err := c.GetFolder(ctx, refs...)
	if err != nil {
		t.Fatal(err)
	}
	r.s.ApplyFolders(fs)
	return r
}

// sync runs an incremental SyncFolderHierarchy, as the dashboard does after
// folder events.
func (r *simRig) sync() {
	r.t.Helper()
	tree := r.s.Tree()
	tree.MarkSynced()
	res, err := r.c.SyncFolderHierarchy(r.ctx, tree.SyncState())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, ch := range res.Changes {
		if ch.Kind != ews.ChangeDelete {
			r.names[ch.Folder.FolderId.Id] = ch.Folder.DisplayName
		}
	}
	r.s.ApplySync(res)
}

// act fires one action and applies its events as one runner update.
func (r *simRig) act(action string) ([]ews.Event, error) {
	res, err := r.srv.Act(r.ctx, sim.ActionRequest{Action: action})
	if err != nil {
		return nil, err
	}
	r.s.Apply(ews.Update{At: r.clock.Now(), State: ews.StateOpen, Mode: ews.ModeStreaming, Events: res.Events})
	return res.Events, nil
}

func first(evs []ews.Event, typ ews.EventType) ews.Event {
	for _, e := range evs {
		if e.Type == typ && (e.FolderId.IsZero() || !e.ItemId.IsZero() || typ != ews.ModifiedEvent) {
			return e
		}
	}
	return ews.Event{}
}

// expectedLabel says, from the events the simulator reports for an action
// and the folder names its syncs reported (before and after), what the
// dashboard must show.
func (r *simRig) expectedLabel(action string, evs []ews.Event, before map[string]string) string {
	name := func(id string) string { return r.names[id] }
	switch action {
	case "new-mail":
		return "New mail in " + name(first(evs, ews.NewMailEvent).ParentFolderId.Id)
	case "mark-read", "mark-unread":
		return "Mail marked " + strings.TrimPrefix(action, "mark-") + " in " + name(evs[0].ParentFolderId.Id)
	case "move-item":
		m := first(evs, ews.MovedEvent)
		return fmt.Sprintf("Mail moved %s → %s", name(m.OldParentFolderId.Id), name(m.ParentFolderId.Id))
	case "copy-item":
		m := first(evs, ews.CopiedEvent)
		return fmt.Sprintf("Mail copied %s → %s", name(m.OldParentFolderId.Id), name(m.ParentFolderId.Id))
	case "soft-delete":
		return fmt.Sprintf("Mail deleted from %s (moved to Deleted Items)", name(first(evs, ews.MovedEvent).OldParentFolderId.Id))
	case "hard-delete":
		p := name(first(evs, ews.DeletedEvent).ParentFolderId.Id)
		noun := map[string]string{"Calendar": "Appointment", "Contacts": "Contact", "Tasks": "Task"}[p]
		if noun == "" {
			noun = "Mail"
		}
		return fmt.Sprintf("%s deleted permanently from %s", noun, p)
	case "create-folder":
		c := first(evs, ews.CreatedEvent)
		return fmt.Sprintf("Folder '%s' created under %s", name(c.FolderId.Id), name(c.ParentFolderId.Id))
	case "rename-folder":
		id := evs[0].FolderId.Id
		return fmt.Sprintf("Folder '%s' renamed to '%s'", before[id], name(id))
	case "move-folder":
		m := first(evs, ews.MovedEvent)
		return fmt.Sprintf("Folder '%s' moved %s → %s", name(m.FolderId.Id), name(m.OldParentFolderId.Id), name(m.ParentFolderId.Id))
	case "delete-folder":
		d := first(evs, ews.DeletedEvent)
		return fmt.Sprintf("Folder '%s' deleted from %s", before[d.FolderId.Id], name(d.ParentFolderId.Id))
	case "meeting-request":
		return "Meeting request in " + name(first(evs, ews.NewMailEvent).ParentFolderId.Id)
	case "send-mail":
		return "Mail sent"
	}
	r.t.Fatalf("no expectation for action %q", action)
	return ""
}

// Every action the simulator documents becomes exactly one cascade with the
// label that says what happened — with a pause between actions, and with
// all of them inside one second, where only consistency separates them.
func TestEverySimulatorActionIsOneCascade(t *testing.T) {
	for _, pause := range []time.Duration{0, 10 * time.Second} {
		t.Run(fmt.Sprint("pause ", pause), func(t *testing.T) {
			r := newSimRig(t, 1)
			var want []string
			for _, action := range sim.Actions {
				before := make(map[string]string, len(r.names))
				for k, v := range r.names {
					before[k] = v
				}
				evs, err := r.act(action)
				if err != nil {
					t.Fatalf("%s: %v", action, err)
				}
				r.sync()
				want = append(want, r.expectedLabel(action, evs, before))
				r.clock.Advance(pause)
			}
			got := labels(r.s)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("list:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for i, row := range r.s.Rows(0, r.s.RowCount()) {
				if string(row.Cascade.Kind) != sim.Actions[i] {
					t.Errorf("cascade %d (%s) has kind %q", i, want[i], row.Cascade.Kind)
				}
			}
		})
	}
}

// The activity generator's kind of traffic: many random actions inside the
// same few seconds. Each successful action is one cascade of its own kind.
func TestRandomActionBurstsSplitIntoOneCascadePerAction(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { randomActionBurst(t, seed) })
	}
}

func randomActionBurst(t *testing.T, seed int64) {
	r := newSimRig(t, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	var done []string
	for len(done) < 300 {
		action := sim.Actions[rng.IntN(len(sim.Actions))]
		_, err := r.act(action)
		if err != nil {
			continue // nothing suitable to act on right now
		}
		done = append(done, action)
		if rng.IntN(10) == 0 {
			r.sync()
		}
		if rng.IntN(4) == 0 {
			r.clock.Advance(time.Second)
		}
	}
	r.sync()
	rows := r.s.Rows(0, r.s.RowCount())
	for _, row := range rows {
		r.s.Label(row.Cascade) // brings Kind up to date with the names now known
	}
	if len(rows) != len(done) {
		for i, row := range rows {
			if i >= len(done) || string(row.Cascade.Kind) != done[i] {
				show := func(c *model.Cascade) string {
					var evs []string
					for _, e := range c.Entries {
						evs = append(evs, fmt.Sprintf("%s(%s %s %s)", e.Event.Type.Short(), r.s.Tree().Name(e.Event.ItemId.Id+e.Event.FolderId.Id),
							r.s.Tree().Name(e.Event.ParentFolderId.Id), r.s.Tree().Name(e.Event.OldParentFolderId.Id)))
					}
					return fmt.Sprintf("%q: %s", r.s.Label(c), strings.Join(evs, " "))
				}
				prev := ""
				if i > 0 {
					prev = show(rows[i-1].Cascade)
				}
				t.Fatalf("%d actions made %d cascades; first difference at %d: actions %s, %s; cascades\n%s\n%s",
					len(done), len(rows), i, done[max(i-1, 0)], done[i], prev, show(row.Cascade))
			}
		}
		t.Fatalf("%d actions made %d cascades", len(done), len(rows))
	}
	for i, row := range rows {
		if got := string(row.Cascade.Kind); got != done[i] {
			t.Errorf("action %d %s shows as %q (%s)", i, done[i], r.s.Label(row.Cascade), got)
		}
	}
}
