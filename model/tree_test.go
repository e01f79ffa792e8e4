package model_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// outline renders the tree as a user reads it: indentation, name, unread
// count (when known and non-zero), events seen.
func outline(tr *model.FolderTree, collapsed func(string) bool) string {
	var b strings.Builder
	for _, n := range tr.Flatten(collapsed) {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", n.Depth), n.Folder.DisplayName)
		if n.UnreadKnown && n.Unread > 0 {
			fmt.Fprintf(&b, " (%d)", n.Unread)
		}
		if n.Events > 0 {
			fmt.Fprintf(&b, " [%d]", n.Events)
		}
		if n.HasChildren {
			b.WriteString(" +")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func syncOf(changes ...ews.FolderChange) *ews.SyncFolderHierarchyResult {
	return &ews.SyncFolderHierarchyResult{SyncState: "next", IncludesLastFolderInRange: true, Changes: changes}
}

func TestFolderTreeUpdates(t *testing.T) {
	const initial = `Inbox +
  Projects
Drafts
Sent Items
Deleted Items
Junk Email
Archive
Calendar
`
	tests := []struct {
		name string
		sync *ews.SyncFolderHierarchyResult
		want string
	}{
		{"full sync in well-known order", syncOf(), initial},
		{"create under Inbox, sorted by name", syncOf(create(folder("c-id", inbox, "Customers")), create(folder("a-id", inbox, "accounts"))), `Inbox +
  accounts
  Customers
  Projects
Drafts
Sent Items
Deleted Items
Junk Email
Archive
Calendar
`},
		{"rename keeps the place in the tree", syncOf(update(folder(projects, inbox, "Alpha project"))), `Inbox +
  Alpha project
Drafts
Sent Items
Deleted Items
Junk Email
Archive
Calendar
`},
		{"move is an update with a new parent", syncOf(update(folder(projects, archive, "Projects"))), `Inbox
Drafts
Sent Items
Deleted Items
Junk Email
Archive +
  Projects
Calendar
`},
		{"user folder at the top sorts after the well-known ones", syncOf(create(folder("z-id", root, "Zeta")), create(folder("b-id", root, "Beta"))), `Inbox +
  Projects
Drafts
Sent Items
Deleted Items
Junk Email
Archive
Calendar
Beta
Zeta
`},
		{"delete removes the subtree", syncOf(create(folder("sub-id", projects, "Sub")), remove(inbox)), `Drafts
Sent Items
Deleted Items
Junk Email
Archive
Calendar
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(model.Config{})
			s.ApplySync(tc.sync)
			if got := outline(s.Tree(), nil); got != tc.want {
				t.Errorf("tree:\n%s\nwant:\n%s", got, tc.want)
			}
			if s.Tree().SyncState() != "next" {
				t.Errorf("SyncState %q, want the latest", s.Tree().SyncState())
			}
		})
	}
}

func TestFolderTreeDeleteThenSubtreeIsGone(t *testing.T) {
	s := newState(model.Config{})
	s.ApplySync(syncOf(create(folder("sub-id", projects, "Sub"))))
	s.ApplySync(syncOf(remove(projects)))
	if _, ok := s.Tree().Folder("sub-id"); ok {
		t.Error("subfolder of a deleted folder is still in the tree")
	}
	if got := s.Tree().Name("sub-id"); got != "Sub" {
		t.Errorf("a deleted folder's name for old events: %q", got)
	}
}

// Moving a folder out of a folder that the same sync then deletes keeps
// the moved folder (the order of changes within one sync matters).
func TestFolderTreeMoveOutThenDeleteParentInOneSync(t *testing.T) {
	s := newState(model.Config{})
	s.ApplySync(syncOf(update(folder(projects, archive, "Projects")), remove(inbox)))
	if got, want := outline(s.Tree(), nil), "Drafts\nSent Items\nDeleted Items\nJunk Email\nArchive +\n  Projects\nCalendar\n"; got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}

// Some servers report msgfolderroot itself: it is not shown, its children
// are the top level.
func TestFolderTreeRootReportedBySync(t *testing.T) {
	s := model.New(model.Config{})
	top := folder("msgroot-id", "mailbox-root", model.RootName)
	top.FolderClass = ""
	s.ApplySync(syncOf(create(top), create(folder("x-id", "msgroot-id", "Xylophones")), create(folder(inbox, "msgroot-id", "Inbox"))))
	if got, want := outline(s.Tree(), nil), "Inbox\nXylophones\n"; got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	if got := s.Tree().Name("msgroot-id"); got != model.RootName {
		t.Errorf("root named %q", got)
	}
}

func TestFolderTreeCollapse(t *testing.T) {
	s := newState(model.Config{})
	got := outline(s.Tree(), func(id string) bool { return id == inbox })
	if strings.Contains(got, "Projects") || !strings.Contains(got, "Inbox +") {
		t.Errorf("collapsed Inbox still shows its children or lost its marker:\n%s", got)
	}
}

func TestUnreadAndEventCounts(t *testing.T) {
	s := newState(model.Config{})
	s.ApplyFolders([]ews.Folder{{FolderId: fid(inbox), UnreadCount: 4, TotalCount: 10}, {FolderId: fid(archive), UnreadCount: 0}})
	if n, ok := s.Tree().Unread(inbox); !ok || n != 4 {
		t.Fatalf("unread from GetFolder: %d %v", n, ok)
	}
	s.Apply(ews.Update{At: t0, Events: at(t0,
		ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 5),
		IMoved("m2", "m1", archive, inbox), FModified(inbox, root, 4), FModified(archive, root, 1),
	)})
	want := `Inbox (4) [5] +
  Projects
Drafts
Sent Items
Deleted Items
Junk Email
Archive (1) [2]
Calendar
`
	if got := outline(s.Tree(), nil); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	// The per-folder count is what the folder filter shows.
	s.SetFilter(model.Filter{FolderId: inbox})
	if got := len(s.VisibleEvents()); got != s.Tree().Events(inbox) {
		t.Errorf("filter shows %d events, tree counts %d", got, s.Tree().Events(inbox))
	}
	// A sync with counts (the contract asks for them) updates them too.
	f := folder(inbox, root, "Inbox")
	f.UnreadCount = 9
	s.ApplySync(syncOf(update(f)))
	if n, _ := s.Tree().Unread(inbox); n != 9 {
		t.Errorf("unread after sync %d, want 9", n)
	}
}

func TestSyncDebounce(t *testing.T) {
	quiet := 2 * time.Second
	s := newState(model.Config{})
	tr := s.Tree()
	if tr.Stale() || tr.SyncDue(t0.Add(time.Hour), quiet) {
		t.Fatal("a fresh tree is not stale")
	}
	// Item events do not change the hierarchy.
	s.Apply(ews.Update{At: t0, Events: at(t0, IModified("m1", inbox))})
	if tr.Stale() {
		t.Fatal("an item event made the tree stale")
	}
	// A burst of folder events: due only once they stop for `quiet`.
	for i := 0; i < 5; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		s.Apply(ews.Update{At: at, Events: at1(at, FCreated(fmt.Sprint("new", i), inbox))})
		if tr.SyncDue(at.Add(time.Second), quiet) {
			t.Fatalf("due 1s after folder event %d", i)
		}
	}
	last := t0.Add(4 * time.Second)
	if !tr.Stale() || !tr.SyncDue(last.Add(quiet), quiet) {
		t.Fatal("not due after the burst went quiet")
	}
	tr.MarkSynced()
	if tr.Stale() || tr.SyncDue(last.Add(time.Hour), quiet) {
		t.Fatal("still due after MarkSynced")
	}
	// A never-ending stream of folder events still syncs every 15*quiet.
	start := t0.Add(time.Hour)
	due := false
	for i := 0; i < 40 && !due; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		s.Apply(ews.Update{At: at, Events: at1(at, FModified(inbox, root, i))})
		due = tr.SyncDue(at, quiet)
		if due && at.Sub(start) != 15*quiet {
			t.Fatalf("due after %v of constant events, want %v", at.Sub(start), 15*quiet)
		}
	}
	if !due {
		t.Fatal("constant folder events starve the sync")
	}
	// An incomplete sync is due again at once.
	tr.MarkSynced()
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "partial", IncludesLastFolderInRange: false})
	if !tr.SyncDue(start, quiet) {
		t.Fatal("a sync with more changes waiting is not due")
	}
}

func at1(t time.Time, e ews.Event) []ews.Event { return at(t, e) }

// Bad data from a server (a parent cycle) neither hangs nor panics.
func TestFolderTreeCycle(t *testing.T) {
	s := newState(model.Config{})
	s.ApplySync(syncOf(create(folder("a-id", "b-id", "A")), create(folder("b-id", "a-id", "B"))))
	_ = s.Tree().Flatten(nil)
	s.ApplySync(syncOf(remove("a-id")))
	if _, ok := s.Tree().Folder("b-id"); ok {
		t.Error("B survived deleting A, its parent")
	}
	if got := outline(s.Tree(), nil); !strings.HasPrefix(got, "Inbox +\n") {
		t.Errorf("tree after the cycle:\n%s", got)
	}
}

// A full sync replaces the tree, even when its answer comes in pages: the
// folders it does not report go once the last page is in, not before.
func TestFullSyncReplacesTheTree(t *testing.T) {
	s := newState(model.Config{}) // the standard mailbox, Projects under Inbox
	s.ApplyFullSync(&ews.SyncFolderHierarchyResult{SyncState: "p1", IncludesLastFolderInRange: false,
		Changes: []ews.FolderChange{create(folder("inbox-2", root, "Inbox")), create(folder("drafts-2", root, "Drafts"))}})
	if _, ok := s.Tree().Folder(projects); !ok {
		t.Fatal("a folder went before the full sync's last page")
	}
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "p2", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{create(folder("team-2", "inbox-2", "Team"))}})
	want := "Inbox +\n  Team\nDrafts\n"
	if got := outline(s.Tree(), nil); got != want {
		t.Errorf("tree after the full sync:\n%s\nwant:\n%s", got, want)
	}
	if got := s.Tree().Name(projects); got != "Projects" {
		t.Errorf("a folder gone is named %q, want its last name for old events", got)
	}
	// Later incremental syncs change the tree as usual, and remove nothing
	// they do not name.
	s.ApplySync(syncOf(create(folder("x-id", "inbox-2", "X"))))
	if got := outline(s.Tree(), nil); got != "Inbox +\n  Team\n  X\nDrafts\n" {
		t.Errorf("tree after an incremental sync:\n%s", got)
	}
}

// DropSyncState makes the next sync a full one.
func TestDropSyncState(t *testing.T) {
	s := newState(model.Config{})
	if s.Tree().SyncState() == "" {
		t.Fatal("the standard mailbox has no SyncState")
	}
	s.Tree().DropSyncState()
	if s.Tree().SyncState() != "" || !s.Tree().Synced() {
		t.Fatalf("after DropSyncState: state %q, synced %v; want none, still synced", s.Tree().SyncState(), s.Tree().Synced())
	}
}
