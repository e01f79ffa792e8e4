package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// gapRig is the real client's runner against the simulator, polling on a
// fake clock so that the test decides when each GetEvents happens.
// exists reports whether an item or folder is in the store now.
func (s *Server) exists(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, item := s.items[id]
	_, folder := s.folders[id]
	return item || folder
}

type gapRig struct {
	t     *testing.T
	e     *env
	clock *ews.FakeClock
	ch    <-chan ews.Update
	seen  []ews.Update
}

func newGapRig(t *testing.T, mode ews.Mode, folders ...ews.FolderRef) *gapRig {
	e := newEnv(t, Config{})
	c, err := ews.NewClient(ews.Config{URL: e.s.URL(), Auth: ews.AuthNone, User: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	clk := ews.NewFakeClock(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	ch := c.Watch(ctx, ews.WatchConfig{Mode: mode, Folders: folders, PollInterval: time.Second, Reconcile: true, Clock: clk, BaselineEvery: 5 * time.Second})
	t.Cleanup(func() {
		cancel()
		for range ch {
		}
	})
	return &gapRig{t: t, e: e, clock: clk, ch: ch}
}

// until reads updates, advancing the poll clock whenever the runner waits,
// until match is true (or a real-time deadline that only bounds a hang).
func (g *gapRig) until(what string, match func(ews.Update) bool) ews.Update {
	g.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case u, ok := <-g.ch:
			if !ok {
				g.t.Fatalf("updates ended waiting for %s", what)
			}
			g.seen = append(g.seen, u)
			if match(u) {
				return u
			}
		case <-time.After(20 * time.Millisecond):
			if g.clock.Waiters() > 0 {
				g.clock.Advance(time.Second)
			}
		case <-deadline:
			g.t.Fatalf("no %s within 30s; saw %d updates", what, len(g.seen))
		}
	}
}

// changed reports whether reconciliation listed the id, as an item or as
// the folder a change belongs to.
func changed(rc *ews.Reconciliation, id string) bool {
	for _, ch := range rc.Changes {
		if ch.ItemId.Id == id || ch.FolderId.Id == id {
			return true
		}
	}
	return false
}

// covered: a missed event's item or folder is among the reconciled
// changes, or the item is gone by now (created and moved on or deleted
// within the gap: SyncFolderItems reports neither) and its folder changed.
func covered(rc *ews.Reconciliation, ev ews.Event, exists func(id string) bool) bool {
	if ev.ItemId.Id == "" {
		return changed(rc, ev.FolderId.Id)
	}
	if changed(rc, ev.ItemId.Id) || (ev.OldItemId.Id != "" && changed(rc, ev.OldItemId.Id)) {
		return true
	}
	return !exists(ev.ItemId.Id) && changed(rc, ev.ParentFolderId.Id)
}

// visibleFolderOf is the visible folder an action is about: the parent of
// its first item event in a visible folder, else the first folder whose
// change it reports.
func visibleFolderOf(s *Server, a ActionResult) ews.FolderId {
	for _, ev := range a.Events {
		if ev.ItemId.Id != "" && !s.HiddenFolder(ev.ParentFolderId.Id) {
			return ev.ParentFolderId
		}
	}
	for _, ev := range a.Events {
		if ev.ItemId.Id == "" && ev.Type == ews.ModifiedEvent {
			return ev.FolderId
		}
	}
	return ews.FolderId{}
}

// Pull: the event history is lost (every watermark refused), actions happen
// before the runner polls again. The runner starts afresh, reports one gap
// and reconciliation lists every item and folder those actions touched.
func TestPullGapIsReconciled(t *testing.T) {
	g := newGapRig(t, ews.ModePull)
	b := g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() })
	// Covered for a while after the baseline: a gap that begins within
	// the baseline margin of it is (rightly) reported as possibly incomplete.
	g.until("a poll after the baseline", func(u ews.Update) bool { return u.At.After(b.BaselineAt.Add(3 * time.Second)) })

	g.e.s.Faults().LoseHistory()
	var acts []ActionResult
	for _, a := range [][2]string{
		{"new-mail", "inbox"}, {"mark-read", "inbox"}, {"move-item", "inbox"}, {"hard-delete", "inbox"},
		{"copy-item", "inbox"}, {"create-folder", "inbox"}, {"rename-folder", "Alpha"}, {"delete-folder", "Projects"},
	} {
		acts = append(acts, g.e.act(a[0], a[1]))
	}
	gu := g.until("a gap", func(u ews.Update) bool { return u.Gap != nil })
	if gu.Gaps != 1 || gu.Gap.ID != 1 || !strings.Contains(gu.Gap.Reason, "ErrorInvalidWatermark") || gu.Gap.To.Before(gu.Gap.From) {
		t.Fatalf("gap %+v (gaps %d)", gu.Gap, gu.Gaps)
	}
	ru := g.until("its reconciliation", func(u ews.Update) bool { return u.Reconciled != nil })
	rc := ru.Reconciled
	if rc.GapID != 1 || rc.Err != nil || rc.Folders == 0 || rc.Changed == 0 {
		t.Fatalf("reconciliation %+v", rc)
	}
	for _, a := range acts {
		for _, ev := range a.Events {
			if g.e.s.HiddenFolder(ev.ParentFolderId.Id) {
				// The AllItems search folder (Exchange 2013 store) repeats
				// a deletion or reports a move: the item's state lives in
				// the visible folders the action changed.
				ev.ParentFolderId = visibleFolderOf(g.e.s, a)
			}
			if !covered(rc, ev, g.e.s.exists) {
				t.Errorf("%s: %s of %s%s not among the %d reconciled changes", a.Action, ev.Type, ev.ItemId.Id, ev.FolderId.Id, len(rc.Changes))
			}
		}
	}
	// The next gap, more than a second later, compares with the state
	// after this one: nothing new. (A gap within a second of it would be
	// compared with the baseline before, listing this gap's changes again.)
	polls := 0
	g.until("a few polls", func(u ews.Update) bool { polls++; return polls >= 4 })
	g.e.s.Faults().LoseHistory()
	ru = g.until("the second reconciliation", func(u ews.Update) bool { return u.Reconciled != nil })
	if rc := ru.Reconciled; rc.GapID != 2 || len(rc.Changes) != 0 || rc.Err != nil {
		t.Fatalf("second reconciliation, nothing changed: %+v", rc)
	}
}

// Pull loses nothing the server still has: an EWS restart drops the
// subscription, the runner resubscribes from its watermark, and the events
// of the meantime arrive once each, with no gap.
func TestPullRestartIsNoGap(t *testing.T) {
	g := newGapRig(t, ews.ModePull)
	g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() })
	g.e.s.Faults().Restart()
	want := map[string]int{}
	for range 3 {
		for _, ev := range g.e.act("new-mail", "inbox").Events {
			want[ev.Watermark]++
		}
	}
	got := map[string]int{}
	g.until("the events after the restart", func(u ews.Update) bool {
		if u.Gap != nil {
			t.Fatalf("a gap where the server kept the events: %+v", u.Gap)
		}
		for _, ev := range u.Events {
			if ev.Type != ews.StatusEvent {
				got[ev.Watermark]++
			}
		}
		return len(got) >= len(want)
	})
	for wm := range want {
		if got[wm] != 1 {
			t.Errorf("event %s delivered %d times", wm, got[wm])
		}
	}
}

// Streaming: a restart drops the subscription; the runner resubscribes at
// once (no back-off: the fake clock never has to move), and the gap runs
// from the last envelope to the new subscription. The new mail of the
// meantime is reconciled, for the watched folder only.
func TestStreamingGapIsReconciled(t *testing.T) {
	g := newGapRig(t, ews.ModeStreaming, ews.Distinguished("inbox"))
	g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() && u.State == ews.StateOpen })
	g.e.s.mu.Lock()
	g.e.s.restartLocked()
	mail, err := g.e.s.act(ActionRequest{Action: "new-mail", Folder: "inbox"})
	g.e.s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	other := g.e.act("new-mail", "Projects")
	gu := g.until("a gap", func(u ews.Update) bool { return u.Gap != nil })
	if gu.Gap.To.Before(gu.Gap.From) || gu.Gap.To.Sub(gu.Gap.From) > time.Minute {
		t.Errorf("gap %v – %v", gu.Gap.From, gu.Gap.To)
	}
	rc := g.until("its reconciliation", func(u ews.Update) bool { return u.Reconciled != nil }).Reconciled
	if rc.Folders != 1 {
		t.Errorf("%d folders compared, want the inbox only", rc.Folders)
	}
	if !changed(rc, mail.Events[0].ItemId.Id) {
		t.Errorf("the new mail of the gap not reconciled: %+v", rc.Changes)
	}
	if changed(rc, other.Events[0].ItemId.Id) {
		t.Errorf("a mail outside the watched folder reconciled: %+v", rc.Changes)
	}
}

// While covered, the baseline is brought up to date (BaselineEvery), so a
// later gap does not list again what was notified long before it.
func TestBaselineIsRefreshed(t *testing.T) {
	g := newGapRig(t, ews.ModePull)
	first := g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() }).BaselineAt
	before := g.e.act("new-mail", "inbox").Events[0].ItemId.Id
	g.until("the mail notified", func(u ews.Update) bool {
		for _, ev := range u.Events {
			if ev.ItemId.Id == before {
				return true
			}
		}
		return false
	})
	g.until("a refreshed baseline", func(u ews.Update) bool { return u.BaselineAt.After(first) })
	g.e.s.Faults().LoseHistory()
	during := g.e.act("new-mail", "inbox").Events[0].ItemId.Id
	rc := g.until("the reconciliation", func(u ews.Update) bool { return u.Reconciled != nil }).Reconciled
	if !changed(rc, during) {
		t.Errorf("the mail of the gap not reconciled: %+v", rc.Changes)
	}
	for _, ch := range rc.Changes {
		if ch.ItemId.Id == before {
			t.Errorf("the mail notified before the refresh listed again: %+v", ch)
		}
	}
}

// A folder created after the baseline (and notified) and deleted inside a
// gap leaves no trace in SyncFolderHierarchy from the baseline's state; the
// notification that created it lets reconciliation report its deletion and
// its parent's change.
func TestFolderCreatedThenDeletedInGap(t *testing.T) {
	g := newGapRig(t, ews.ModePull)
	g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() })
	ev := g.e.act("create-folder", "inbox").Events[0]
	g.until("the folder notified", func(u ews.Update) bool {
		for _, e := range u.Events {
			if e.FolderId.Id == ev.FolderId.Id {
				return true
			}
		}
		return false
	})
	g.e.s.Faults().LoseHistory()
	g.e.act("delete-folder", ev.FolderId.Id)
	rc := g.until("the reconciliation", func(u ews.Update) bool { return u.Reconciled != nil }).Reconciled
	var del, parent bool
	for _, ch := range rc.Changes {
		del = del || (ch.Change == ews.ChangeDelete && ch.FolderId.Id == ev.FolderId.Id && ch.ItemId.IsZero())
		parent = parent || ch.FolderId.Id == ev.ParentFolderId.Id
	}
	if !del || !parent {
		t.Fatalf("deleted folder %v, parent changed %v: %+v", del, parent, rc.Changes)
	}
}

// A folder created after the baseline (and notified) and moved inside a
// gap: SyncFolderHierarchy from the baseline's state reports it as created
// under its new parent and says nothing of where it was. The notification
// that created it names the parent it left, whose ModifiedEvent the gap
// hid: that parent is reported changed too.
func TestFolderCreatedThenMovedInGap(t *testing.T) {
	g := newGapRig(t, ews.ModePull)
	g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() })
	ev := g.e.act("create-folder", "inbox").Events[0]
	g.until("the folder notified", func(u ews.Update) bool {
		for _, e := range u.Events {
			if e.FolderId.Id == ev.FolderId.Id {
				return true
			}
		}
		return false
	})
	g.e.s.Faults().LoseHistory()
	mv := g.e.act("move-folder", ev.FolderId.Id)
	rc := g.until("the reconciliation", func(u ews.Update) bool { return u.Reconciled != nil }).Reconciled
	for _, e := range mv.Events {
		if !covered(rc, e, g.e.s.exists) {
			t.Errorf("%s of folder %s (parent %s) not among the reconciled changes %+v", e.Type, e.FolderId.Id, e.ParentFolderId.Id, rc.Changes)
		}
	}
}

// A folder the baseline knows, moved after it (notified) and deleted
// inside a gap: the parent it was deleted from is the one the move
// notification named, not the baseline's.
func TestFolderMovedThenDeletedInGap(t *testing.T) {
	g := newGapRig(t, ews.ModePull)
	g.until("a baseline", func(u ews.Update) bool { return !u.BaselineAt.IsZero() })
	mv := g.e.act("move-folder", "Alpha").Events[0]
	g.until("the move notified", func(u ews.Update) bool {
		for _, e := range u.Events {
			if e.Type == ews.MovedEvent && e.FolderId.Id == mv.FolderId.Id {
				return true
			}
		}
		return false
	})
	g.e.s.Faults().LoseHistory()
	del := g.e.act("delete-folder", mv.FolderId.Id)
	rc := g.until("the reconciliation", func(u ews.Update) bool { return u.Reconciled != nil }).Reconciled
	for _, e := range del.Events {
		if !covered(rc, e, g.e.s.exists) {
			t.Errorf("%s of folder %s (parent %s) not among the reconciled changes %+v", e.Type, e.FolderId.Id, e.ParentFolderId.Id, rc.Changes)
		}
	}
}
