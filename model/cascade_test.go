package model_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// cascadeCase is the burst of events one user action produces (as
// DESIGN.md and docs/cascades.md describe them) and what the list must say.
type cascadeCase struct {
	name   string
	events []ews.Event
	label  string
	kind   model.CascadeKind
	// before (optional) prepares the state, e.g. the unread count the
	// folder had before.
	before func(*model.State)
}

func knownUnread(id string, unread int) func(*model.State) {
	return func(s *model.State) {
		s.ApplyFolders([]ews.Folder{{FolderId: fid(id), UnreadCount: unread}})
	}
}

var cascadeCases = []cascadeCase{
	{name: "new mail", label: "New mail in Inbox", kind: model.KindNewMail, events: []ews.Event{
		ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 1),
	}},
	{name: "new mail, NewMailEvent first", label: "New mail in Junk Email", kind: model.KindNewMail, events: []ews.Event{
		INewMail("m9", junk), ICreated("m9", junk), FModified(junk, root, 4),
	}},
	{name: "mark read", label: "Mail marked read in Inbox", kind: model.KindMarkRead, before: knownUnread(inbox, 3), events: []ews.Event{
		IModified("m1", inbox), FModified(inbox, root, 2),
	}},
	{name: "mark unread", label: "Mail marked unread in Inbox", kind: model.KindMarkUnread, before: knownUnread(inbox, 2), events: []ews.Event{
		IModified("m1", inbox), FModified(inbox, root, 3),
	}},
	{name: "move item", label: "Mail moved Inbox → Archive", kind: model.KindMoveItem, events: []ews.Event{
		IMoved("m1b", "m1", archive, inbox), FModified(inbox, root, 0), FModified(archive, root, 1),
	}},
	{name: "move of three items at once", label: "3 items moved Inbox → Archive", kind: model.KindMoveItem, events: []ews.Event{
		IMoved("a2", "a1", archive, inbox), IMoved("b2", "b1", archive, inbox), IMoved("c2", "c1", archive, inbox),
		FModified(inbox, root, 0), FModified(archive, root, 3),
	}},
	{name: "copy item", label: "Mail copied Archive → Inbox", kind: model.KindCopyItem, events: []ews.Event{
		ICopied("m2", "m1b", inbox, archive), FModified(inbox, root, 1),
	}},
	{name: "soft delete", label: "Mail deleted from Inbox (moved to Deleted Items)", kind: model.KindSoftDelete, events: []ews.Event{
		IMoved("m3", "m2", deleted, inbox), FModified(inbox, root, 0), FModified(deleted, root, 1),
	}},
	{name: "hard delete", label: "Mail deleted from Archive (permanently or to Recoverable Items)", kind: model.KindHardDelete, events: []ews.Event{
		IDeleted("m1b", archive), FModified(archive, root, 0),
	}},
	{name: "folder created", label: "Folder 'Projects' created under Inbox", kind: model.KindCreateFolder, events: []ews.Event{
		FCreated(projects, inbox), FModified(inbox, root, -1),
	}},
	{name: "folder moved", label: "Folder 'Projects' moved Inbox → Archive", kind: model.KindMoveFolder, events: []ews.Event{
		FMoved(projects, archive, inbox), FModified(inbox, root, -1), FModified(archive, root, -1),
	}},
	{name: "folder deleted to Deleted Items", label: "Folder 'Projects' deleted from Inbox (moved to Deleted Items)", kind: model.KindFolderToDI, events: []ews.Event{
		FMoved(projects, deleted, inbox), FModified(inbox, root, -1), FModified(deleted, root, -1),
	}},
	{name: "folder deleted permanently with its content", label: "Folder 'Projects' deleted from Inbox", kind: model.KindDeleteFolder, events: []ews.Event{
		FDeleted(projects, inbox), FDeleted("sub-id", projects), IDeleted("p1", projects), IDeleted("s1", "sub-id"), FModified(inbox, root, -1),
	}},
	{name: "meeting request", label: "Meeting request in Inbox", kind: model.KindMeetingRequest, events: []ews.Event{
		ICreated("req", inbox), INewMail("req", inbox), FModified(inbox, root, 1),
		ICreated("appt", calendar), FModified(calendar, root, -1), IFreeBusy("appt", calendar),
	}},
	{name: "send mail", label: "Mail sent", kind: model.KindSendMail, events: []ews.Event{
		ICreated("d1", drafts), FModified(drafts, root, -1),
		IMoved("s1", "d1", sent, drafts), FModified(drafts, root, -1), FModified(sent, root, -1),
	}},
	{name: "folder count change alone", label: "Folder 'Inbox' changed (unread 7)", kind: model.KindFolderChanged, events: []ews.Event{
		FModified(inbox, root, 7),
	}},
	{name: "nothing fits", label: "Unrecognized cascade (3 events)", kind: model.KindUnrecognized, events: []ews.Event{
		ICreated("x1", inbox), IMoved("x2", "x1", inbox, inbox), FModified(inbox, root, -1),
	}},
}

func TestCascadeLabels(t *testing.T) {
	for _, tc := range cascadeCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(model.Config{})
			if tc.before != nil {
				tc.before(s)
			}
			s.Apply(ews.Update{At: t0, State: ews.StateOpen, Events: at(t0, tc.events...)})
			got := labels(s)
			if !slices.Equal(got, []string{tc.label}) {
				t.Fatalf("list shows %q, want one cascade %q", got, tc.label)
			}
			c := s.Rows(0, 1)[0].Cascade
			if c.Kind != tc.kind || len(c.Entries) != len(tc.events) {
				t.Errorf("cascade kind %q with %d events, want %q with %d", c.Kind, len(c.Entries), tc.kind, len(tc.events))
			}
		})
	}
}

// All actions back to back, every event with the same TimeStamp: only
// consistency can separate them, and every action must still be exactly one
// cascade.
func TestCascadesBackToBackSplitByConsistency(t *testing.T) {
	s := newState(model.Config{})
	var want []string
	var all []ews.Event
	for _, tc := range cascadeCases {
		if tc.before != nil || tc.kind == model.KindFolderChanged || tc.kind == model.KindUnrecognized {
			continue // these depend on what came before them
		}
		all = append(all, tc.events...)
		want = append(want, tc.label)
	}
	s.Apply(ews.Update{At: t0, State: ews.StateOpen, Events: at(t0, all...)})
	if got := labels(s); !slices.Equal(got, want) {
		t.Fatalf("back to back:\n got %q\nwant %q", got, want)
	}
}

func TestCascadeGapSplitsSameAction(t *testing.T) {
	s := newState(model.Config{CascadeGap: 2 * time.Second})
	// A move whose folder counts arrive 5s later: two cascades.
	s.Apply(ews.Update{At: t0, Events: at(t0, IMoved("m1b", "m1", archive, inbox))})
	s.Apply(ews.Update{At: t0.Add(5 * time.Second), Events: at(t0.Add(5*time.Second), FModified(inbox, root, 0))})
	// Within the gap, across two updates: one cascade.
	s.Apply(ews.Update{At: t0.Add(20 * time.Second), Events: at(t0.Add(20*time.Second), IDeleted("z", archive))})
	s.Apply(ews.Update{At: t0.Add(21 * time.Second), Events: at(t0.Add(21*time.Second), FModified(archive, root, 0))})
	want := []string{"Mail moved Inbox → Archive", "Folder 'Inbox' changed (unread 0)", "Mail deleted from Archive (permanently or to Recoverable Items)"}
	if got := labels(s); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTwoMessagesInOneNotificationAreTwoCascades(t *testing.T) {
	for _, second := range []string{inbox, junk, calendar} {
		t.Run(second, func(t *testing.T) {
			s := newState(model.Config{})
			s.Apply(ews.Update{At: t0, Events: at(t0,
				ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 1),
				ICreated("m2", second), INewMail("m2", second), FModified(second, root, 1),
			)})
			want := []string{"New mail in Inbox", "New mail in " + s.Tree().Name(second)}
			if got := labels(s); !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// The second message's CreatedEvent first looks like a meeting request's
// calendar item; its NewMailEvent splits it off with what followed it.
func TestSecondMessageSplitsOffWithItsFolderChange(t *testing.T) {
	s := newState(model.Config{})
	s.Apply(ews.Update{At: t0, Events: at(t0,
		ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 1),
		ICreated("m2", "unsynced-id"), FModified("unsynced-id", inbox, 1), INewMail("m2", "unsynced-id"),
	)})
	want := []string{"New mail in Inbox", "New mail in " + s.Tree().Name("unsynced-id")}
	if got := labels(s); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if c := s.Rows(1, 1)[0].Cascade; len(c.Entries) != 3 {
		t.Errorf("second cascade has %d events, want 3", len(c.Entries))
	}
}

// A message arriving in a folder the tree does not know yet, right after
// an item operation, first looks like a sent message's copy.
func TestNewMailInUnknownFolderAfterAMove(t *testing.T) {
	s := newState(model.Config{})
	s.Apply(ews.Update{At: t0, Events: at(t0,
		IMoved("m1b", "m1", archive, inbox), FModified(inbox, root, 0), FModified(archive, root, 1),
		ICreated("m2", "unsynced-id"), INewMail("m2", "unsynced-id"), FModified("unsynced-id", inbox, 1),
	)})
	want := []string{"Mail moved Inbox → Archive", "New mail in " + s.Tree().Name("unsynced-id")}
	if got := labels(s); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestMarkReadRightAfterNewMailIsItsOwnCascade(t *testing.T) {
	s := newState(model.Config{})
	s.Apply(ews.Update{At: t0, Events: at(t0,
		ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 1),
		IModified("m1", inbox), FModified(inbox, root, 0),
		IModified("m1", inbox), FModified(inbox, root, 1),
	)})
	want := []string{"New mail in Inbox", "Mail marked read in Inbox", "Mail marked unread in Inbox"}
	if got := labels(s); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Labels are computed when asked: a folder created before the sync that
// names it shows its id's tail, then its name.
func TestLabelsUseNamesThatArriveLater(t *testing.T) {
	s := newState(model.Config{})
	const newID = "AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAAAgEKAAAA="
	s.Apply(ews.Update{At: t0, Events: at(t0, FCreated(newID, inbox), FModified(inbox, root, -1))})
	c := s.Rows(0, 1)[0].Cascade
	short := s.Tree().Name(newID)
	if !strings.HasPrefix(short, "#") || len(short) != 7 || short == s.Tree().Name(newID+"x") {
		t.Errorf("unknown folder named %q: want # and 6 hex digits that tell ids apart", short)
	}
	if got, want := s.Label(c), "Folder '"+short+"' created under Inbox"; got != want {
		t.Errorf("before sync: %q, want %q", got, want)
	}
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "state-2", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{create(folder(newID, inbox, "Customers"))}})
	if got, want := s.Label(c), "Folder 'Customers' created under Inbox"; got != want {
		t.Errorf("after sync: %q, want %q", got, want)
	}
}

func TestRenameIsRecognizedOnceTheSyncReportsTheNewName(t *testing.T) {
	s := newState(model.Config{})
	// Whether or not the server sent a count: the new name tells.
	s.Apply(ews.Update{At: t0, Events: at(t0, FModified(projects, inbox, 0))})
	c := s.Rows(0, 1)[0].Cascade
	if got, want := s.Label(c), "Folder 'Projects' changed (unread 0)"; got != want {
		t.Errorf("before sync: %q, want %q", got, want)
	}
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "state-2", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{update(folder(projects, inbox, "Projects 2026"))}})
	if got, want := s.Label(c), "Folder 'Projects' renamed to 'Projects 2026'"; got != want {
		t.Errorf("after sync: %q, want %q", got, want)
	}
	if c.Kind != model.KindRenameFolder {
		t.Errorf("kind %q", c.Kind)
	}
}

// A folder change without UnreadCount is a rename (docs/cascades.md); the
// old name comes from the tree when the sync ran before the event arrived.
func TestRenameWithoutCount(t *testing.T) {
	s := newState(model.Config{})
	// A subscription that gets no UnreadCount at all (made at version
	// Exchange2010): a lone folder change is any change until the sync
	// shows a new name.
	s.Apply(ews.Update{At: t0, Events: at(t0, FModified(projects, inbox, -1))})
	c := s.Rows(0, 1)[0].Cascade
	if got, want := s.Label(c), "Folder 'Projects' changed"; got != want {
		t.Errorf("before sync, no counts seen: %q, want %q", got, want)
	}
	// Once counts arrive, a change without one is a property change.
	s = newState(model.Config{})
	s.Apply(ews.Update{At: t0, Events: at(t0.Add(-time.Hour), FModified(inbox, root, 3))})
	s.Apply(ews.Update{At: t0, Events: at(t0, FModified(projects, inbox, -1))})
	c = s.Rows(1, 1)[0].Cascade
	if got, want := s.Label(c), "Folder 'Projects' renamed"; got != want {
		t.Errorf("before sync: %q, want %q", got, want)
	}
	s.ApplySync(syncOf(update(folder(projects, inbox, "Projects 2026"))))
	if got, want := s.Label(c), "Folder 'Projects' renamed to 'Projects 2026'"; got != want {
		t.Errorf("after sync: %q, want %q", got, want)
	}
	// The sync came first (a late poll): the tree remembers the old name.
	t1 := t0.Add(time.Minute)
	s.ApplySync(syncOf(update(folder(projects, inbox, "Projects 2027"))))
	s.Apply(ews.Update{At: t1, Events: at(t1, FModified(projects, inbox, -1))})
	if got, want := s.Label(s.Rows(2, 1)[0].Cascade), "Folder 'Projects 2026' renamed to 'Projects 2027'"; got != want {
		t.Errorf("sync first: %q, want %q", got, want)
	}
}

func TestDeletedFolderKeepsItsNameInOldLabels(t *testing.T) {
	s := newState(model.Config{})
	s.Apply(ews.Update{At: t0, Events: at(t0, FDeleted(projects, inbox), FModified(inbox, root, -1))})
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "state-2", IncludesLastFolderInRange: true, Changes: []ews.FolderChange{remove(projects)}})
	if got, want := labels(s), []string{"Folder 'Projects' deleted from Inbox"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestItemClassNamesTheItem(t *testing.T) {
	s := newState(model.Config{})
	s.ApplyItem(ews.Item{ItemId: iid("t1"), ItemClass: "IPM.Task", Subject: "Call Bob"})
	s.Apply(ews.Update{At: t0, Events: at(t0, IMoved("t2", "t1", archive, inbox), FModified(inbox, root, -1), FModified(archive, root, -1))})
	if got, want := labels(s), []string{"Task moved Inbox → Archive"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// The real published GetStreamingEvents response (CreatedEvent, NewMailEvent,
// ModifiedEvent) read with ews.Decode, against a tree that names its folders.
func TestSampleStreamingNewMail(t *testing.T) {
	f, err := os.Open("../../shared/ews-samples/getstreamingevents-created-newmail-modified.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []ews.Event
	err = ews.Decode(f, func(r ews.Record) {
		et, ok := ews.ParseEventType(r.Type)
		if !ok {
			return
		}
		ts, _ := time.Parse(time.RFC3339, r.TimeStamp)
		evs = append(evs, ews.Event{Type: et, TimeStamp: ts, ItemId: iid(r.ItemId), FolderId: fid(r.FolderId),
			ParentFolderId: fid(r.ParentFolderId), OldParentFolderId: fid(r.OldParentFolderId), UnreadCount: r.UnreadCount})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("decoded %d events, want 3", len(evs))
	}
	const sampleInbox = "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA"
	const sampleRoot = "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA"

	s := model.New(model.Config{Location: time.UTC})
	s.Apply(ews.Update{At: t0, State: ews.StateOpen, Mode: ews.ModeStreaming, Events: evs})
	rows := s.Rows(0, 10)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want one collapsed cascade", len(rows))
	}
	// Before any sync, folders are shown by the tail of their id.
	if got, want := s.Label(rows[0].Cascade), "New mail in "+s.Tree().Name(sampleInbox); got != want || !strings.HasPrefix(got, "New mail in #") {
		t.Errorf("label without tree %q, want %q", got, want)
	}
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "x", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{create(folder(sampleInbox, sampleRoot, "Inbox"))}})
	if got, want := s.Label(rows[0].Cascade), "New mail in Inbox"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
	s.ToggleExpanded(rows[0].Cascade.ID)
	var cols []model.Columns
	for _, r := range s.Rows(0, 10)[1:] {
		cols = append(cols, s.Columns(r.Entry))
	}
	item := "item " + s.Tree().Name(evs[0].ItemId.Id)
	want := []model.Columns{
		{Time: "04:31:29", Type: "Created", Object: item, Folder: "Inbox"},
		{Time: "04:31:29", Type: "NewMail", Object: item, Folder: "Inbox"},
		{Time: "04:31:29", Type: "Modified", Object: "Inbox", Folder: model.RootName, Extras: "unread 1"},
	}
	if !slices.Equal(cols, want) {
		t.Errorf("columns\n got %+v\nwant %+v", cols, want)
	}
}

// Bursts of identical actions stay one cascade per action however many.
func TestManyNewMailsManyCascades(t *testing.T) {
	s := newState(model.Config{})
	var evs []ews.Event
	for i := range 50 {
		id := "m" + strconv.Itoa(i)
		evs = append(evs, ICreated(id, inbox), INewMail(id, inbox), FModified(inbox, root, i+1))
	}
	s.Apply(ews.Update{At: t0, Events: at(t0, evs...)})
	got := labels(s)
	if len(got) != 50 {
		t.Fatalf("%d cascades, want 50", len(got))
	}
	for i, l := range got {
		if l != "New mail in Inbox" {
			t.Fatalf("cascade %d: %q", i, l)
		}
	}
	if s.Cascades() != 50 || s.Len() != 150 {
		t.Errorf("cascades %d events %d", s.Cascades(), s.Len())
	}
	_ = fmt.Sprint()
}
