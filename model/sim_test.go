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
	// parents from the syncs; lastMoved is the folder the last sync
	// reported under a new parent.
	parents   map[string]string
	lastMoved string
	hidden    map[string]bool // folders outside the tree the rig resolved
}

// newSimRigConfig is the simulator (with cfg) on a loopback port, a client
// and a State fed the way the dashboard feeds it.
func newSimRigConfig(t *testing.T, cfg sim.Config) *simRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := ews.NewFakeClock(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	cfg.Clock = clock
	srv, err := sim.Start(ctx, cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: ews.AuthNone, Clock: clock, HTTPTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := rigOn(t, ctx, srv, c)
	r.clock = clock
	return r
}

// rigOn is the rig for a running simulator and client: the tree synced,
// its folders' counts read and the hidden folders resolved, as the
// dashboard starts.
func rigOn(t *testing.T, ctx context.Context, srv *sim.Server, c *ews.Client) *simRig {
	t.Helper()
	r := &simRig{t: t, ctx: ctx, srv: srv, c: c, s: model.New(model.Config{Location: time.UTC}), names: map[string]string{},
		parents: map[string]string{}, hidden: map[string]bool{}}
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
	hidden, err := model.ResolveHiddenDistinguished(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	r.s.ApplyHiddenFolders(hidden)
	for _, h := range hidden {
		if _, ok := r.names[h.Folder.FolderId.Id]; !ok {
			r.hidden[h.Folder.FolderId.Id] = true
		}
	}
	return r
}

// resolve asks GetFolder for the folders events named that nobody knows,
// as the dashboard does.
func (r *simRig) resolve() {
	r.t.Helper()
	fs, err := model.ResolveFolders(r.ctx, r.c, r.s.UnknownFolders(100))
	if err != nil {
		r.t.Fatal(err)
	}
	r.s.ApplyHiddenFolders(fs)
	for _, h := range fs {
		if _, ok := r.names[h.Folder.FolderId.Id]; !ok {
			r.hidden[h.Folder.FolderId.Id] = true
		}
	}
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
			id := ch.Folder.FolderId.Id
			r.names[id] = ch.Folder.DisplayName
			if p, ok := r.parents[id]; ok && p != ch.Folder.ParentFolderId.Id {
				r.lastMoved = id
			}
			r.parents[id] = ch.Folder.ParentFolderId.Id
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
	r.resolve()
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
	fmod := func() string { return first(evs, ews.ModifiedEvent).FolderId.Id } // the first folder change
	firstFolderMod := func() ews.Event {
		for _, e := range evs {
			if e.Type == ews.ModifiedEvent && e.ItemId.IsZero() {
				return e
			}
		}
		return ews.Event{}
	}
	_ = fmod
	deletes := func() (items, folders int, parent string) {
		for _, e := range evs {
			if e.Type != ews.DeletedEvent || r.hidden[e.ParentFolderId.Id] {
				continue
			}
			parent = e.ParentFolderId.Id
			if e.ItemId.IsZero() {
				folders++
			} else {
				items++
			}
		}
		return
	}
	switch action {
	case "new-mail":
		return "New mail in " + name(first(evs, ews.NewMailEvent).ParentFolderId.Id)
	case "mark-read", "mark-unread":
		return "Mail marked " + strings.TrimPrefix(action, "mark-") + " in " + name(evs[0].ParentFolderId.Id)
	case "flag-item":
		return "Mail changed in " + name(evs[0].ParentFolderId.Id)
	case "move-item":
		m := first(evs, ews.MovedEvent)
		return fmt.Sprintf("Mail moved %s → %s", name(m.OldParentFolderId.Id), name(m.ParentFolderId.Id))
	case "copy-item":
		if m := first(evs, ews.CopiedEvent); m.Type != "" {
			return fmt.Sprintf("Mail copied %s → %s", name(m.OldParentFolderId.Id), name(m.ParentFolderId.Id))
		}
		return "Mail created in " + name(first(evs, ews.CreatedEvent).ParentFolderId.Id)
	case "soft-delete":
		if m := first(evs, ews.MovedEvent); m.Type != "" {
			return fmt.Sprintf("Mail deleted from %s (moved to Deleted Items)", name(m.OldParentFolderId.Id))
		}
		return fmt.Sprintf("Mail deleted from %s (moved to Deleted Items)", name(firstFolderMod().FolderId.Id))
	case "dumpster-delete":
		if m := first(evs, ews.MovedEvent); m.Type != "" {
			return fmt.Sprintf("Mail deleted from %s (to Recoverable Items)", name(m.OldParentFolderId.Id))
		}
		return fmt.Sprintf("Mail deleted from %s (permanently or to Recoverable Items)", name(first(evs, ews.DeletedEvent).ParentFolderId.Id))
	case "hard-delete":
		p := name(first(evs, ews.DeletedEvent).ParentFolderId.Id)
		noun := map[string]string{"Calendar": "Appointment", "Contacts": "Contact", "Tasks": "Task"}[p]
		if noun == "" {
			noun = "Mail"
		}
		return fmt.Sprintf("%s deleted from %s (permanently or to Recoverable Items)", noun, p)
	case "empty-deleted-items":
		items, folders, p := deletes()
		switch {
		case items == 1 && folders == 0:
			return fmt.Sprintf("Mail deleted from %s (permanently or to Recoverable Items)", name(p))
		case items == 0 && folders == 1:
			return fmt.Sprintf("Folder '%s' deleted from %s", before[first(evs, ews.DeletedEvent).FolderId.Id], name(p))
		}
		var parts []string
		if items > 0 {
			parts = append(parts, fmt.Sprintf("%d item%s", items, map[bool]string{true: "s"}[items > 1]))
		}
		if folders > 0 {
			parts = append(parts, fmt.Sprintf("%d folder%s", folders, map[bool]string{true: "s"}[folders > 1]))
		}
		return fmt.Sprintf("%s deleted from %s (permanently or to Recoverable Items)", strings.Join(parts, " and "), name(p))
	case "create-folder":
		c := first(evs, ews.CreatedEvent)
		return fmt.Sprintf("Folder '%s' created under %s", name(c.FolderId.Id), name(c.ParentFolderId.Id))
	case "rename-folder":
		id := evs[0].FolderId.Id
		return fmt.Sprintf("Folder '%s' renamed to '%s'", before[id], name(id))
	case "move-folder":
		m := first(evs, ews.MovedEvent)
		return fmt.Sprintf("Folder '%s' moved %s → %s", name(m.FolderId.Id), name(m.OldParentFolderId.Id), name(m.ParentFolderId.Id))
	case "folder-to-deleted-items":
		if m := first(evs, ews.MovedEvent); m.Type != "" {
			return fmt.Sprintf("Folder '%s' deleted from %s (moved to Deleted Items)", name(m.FolderId.Id), name(m.OldParentFolderId.Id))
		}
		return fmt.Sprintf("Folder '%s' deleted from %s (moved to Deleted Items)", name(r.lastMoved), name(firstFolderMod().FolderId.Id))
	case "delete-folder":
		d := first(evs, ews.DeletedEvent)
		return fmt.Sprintf("Folder '%s' deleted from %s", before[d.FolderId.Id], name(d.ParentFolderId.Id))
	case "meeting-request":
		return "Meeting request in " + name(first(evs, ews.NewMailEvent).ParentFolderId.Id)
	case "update-appointment":
		return "Appointment updated in " + name(evs[0].ParentFolderId.Id)
	case "accept-meeting":
		return "Meeting accepted in " + name(evs[0].ParentFolderId.Id) + " (response sent)"
	case "decline-meeting":
		return "Meeting declined in " + name(evs[0].ParentFolderId.Id) + " (response sent)"
	case "save-draft":
		return "Draft saved in " + name(evs[0].ParentFolderId.Id)
	case "send-mail":
		return "Mail sent"
	}
	r.t.Fatalf("no expectation for action %q", action)
	return ""
}

// expectedKind is the kind the dashboard must give an action's cascade
// (subscription on all folders, the rig's): matrixKind, refined for
// emptying a Deleted Items that held only a folder.
func (r *simRig) expectedKind(action string, evs []ews.Event) string {
	if action == "empty-deleted-items" {
		items, folders := 0, 0
		for _, e := range evs {
			if e.Type == ews.DeletedEvent && !r.hidden[e.ParentFolderId.Id] {
				if e.ItemId.IsZero() {
					folders++
				} else {
					items++
				}
			}
		}
		if items == 0 && folders == 1 {
			return "delete-folder"
		}
	}
	return matrixKind(r.srv.Profile().Store(), sim.ScopeAll, action)
}

// Every action the simulator documents becomes exactly one cascade with the
// label that says what happened — with a pause between actions, and with
// all of them inside one second, where only consistency separates them.
// On every server profile.
func TestEverySimulatorActionIsOneCascade(t *testing.T) {
	for _, p := range sim.Profiles {
		for _, pause := range []time.Duration{0, 10 * time.Second} {
			t.Run(fmt.Sprint(p.Name, " pause ", pause), func(t *testing.T) { everyAction(t, p.Name, pause) })
		}
	}
}

func everyAction(t *testing.T, profile string, pause time.Duration) {
	r := newSimRigConfig(t, sim.Config{Server: profile, Seed: 1})
	var want, actions []string
	var fired [][]ews.Event
	for _, action := range sim.Actions {
		before := make(map[string]string, len(r.names))
		for k, v := range r.names {
			before[k] = v
		}
		evs, err := r.act(action)
		if err != nil {
			// Nothing to act on yet (a second meeting request to
			// decline): the matrix scenario's preparation first.
			for _, pr := range sim.MatrixRowFor(action).Prepare {
				pevs, err := r.act(pr.Action)
				if err != nil {
					t.Fatalf("%s: %v", pr.Action, err)
				}
				r.sync()
				actions, fired = append(actions, pr.Action), append(fired, pevs)
				want = append(want, r.expectedLabel(pr.Action, pevs, before))
				r.clock.Advance(pause)
			}
			if evs, err = r.act(action); err != nil {
				t.Fatalf("%s: %v", action, err)
			}
		}
		r.sync()
		actions, fired = append(actions, action), append(fired, evs)
		want = append(want, r.expectedLabel(action, evs, before))
		r.clock.Advance(pause)
	}
	got := labels(r.s)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("list:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for i, row := range r.s.Rows(0, r.s.RowCount()) {
		if k := r.expectedKind(actions[i], fired[i]); string(row.Cascade.Kind) != k {
			t.Errorf("cascade %d (%s) has kind %q, want %q", i, want[i], row.Cascade.Kind, k)
		}
	}
}

// The activity generator's kind of traffic: many random actions inside the
// same few seconds. Each successful action is one cascade of its own kind.
// show describes a cascade for a failure message.
func (r *simRig) show(c *model.Cascade) string {
	var evs []string
	for _, e := range c.Entries {
		evs = append(evs, fmt.Sprintf("%s(%s %s %s)", e.Event.Type.Short(), r.s.Tree().Name(e.Event.ItemId.Id+e.Event.FolderId.Id),
			r.s.Tree().Name(e.Event.ParentFolderId.Id), r.s.Tree().Name(e.Event.OldParentFolderId.Id)))
	}
	return fmt.Sprintf("%q: %s", r.s.Label(c), strings.Join(evs, " "))
}

// On every server profile.
func TestRandomActionBurstsSplitIntoOneCascadePerAction(t *testing.T) {
	for _, p := range sim.Profiles {
		for seed := int64(1); seed <= 5; seed++ {
			t.Run(fmt.Sprint(p.Name, " seed ", seed), func(t *testing.T) { randomActionBurst(t, p.Name, seed) })
		}
	}
}

func randomActionBurst(t *testing.T, profile string, seed int64) {
	r := newSimRigConfig(t, sim.Config{Server: profile, Seed: seed})
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	var done []string
	var kinds []string
	for len(done) < 300 {
		action := sim.Actions[rng.IntN(len(sim.Actions))]
		evs, err := r.act(action)
		if err != nil {
			continue // nothing suitable to act on right now
		}
		done = append(done, action)
		kinds = append(kinds, r.expectedKind(action, evs))
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
			if i >= len(done) || string(row.Cascade.Kind) != kinds[i] {
				show := r.show
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
		if got := string(row.Cascade.Kind); got != kinds[i] {
			t.Errorf("action %d %s shows as %q (%s), want %s; cascades:\n%s\n%s", i, done[i], r.s.Label(row.Cascade), got, kinds[i],
				r.show(rows[max(i-1, 0)].Cascade), r.show(row.Cascade))
		}
	}
}
