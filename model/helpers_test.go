package model_test

import (
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// The test mailbox: ids are short words so failures read well.
const (
	root     = "root" // msgfolderroot: never reported by a sync
	inbox    = "inbox-id"
	drafts   = "drafts-id"
	sent     = "sent-id"
	deleted  = "deleted-id"
	junk     = "junk-id"
	archive  = "archive-id"
	calendar = "calendar-id"
	projects = "projects-id" // under Inbox
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func folder(id, parent, name string) ews.Folder {
	return ews.Folder{FolderId: ews.FolderId{Id: id}, ParentFolderId: ews.FolderId{Id: parent}, DisplayName: name, FolderClass: "IPF.Note"}
}

func create(f ews.Folder) ews.FolderChange {
	return ews.FolderChange{Kind: ews.ChangeCreate, Folder: f}
}
func update(f ews.Folder) ews.FolderChange {
	return ews.FolderChange{Kind: ews.ChangeUpdate, Folder: f}
}
func remove(id string) ews.FolderChange {
	return ews.FolderChange{Kind: ews.ChangeDelete, Folder: ews.Folder{FolderId: ews.FolderId{Id: id}}}
}

// standardSync is the full first sync of the test mailbox (given in an
// order unlike the display order, as a server may).
func standardSync() *ews.SyncFolderHierarchyResult {
	return &ews.SyncFolderHierarchyResult{SyncState: "state-1", IncludesLastFolderInRange: true, Changes: []ews.FolderChange{
		create(folder(archive, root, "Archive")),
		create(folder(calendar, root, "Calendar")),
		create(folder(deleted, root, "Deleted Items")),
		create(folder(projects, inbox, "Projects")),
		create(folder(sent, root, "Sent Items")),
		create(folder(inbox, root, "Inbox")),
		create(folder(junk, root, "Junk Email")),
		create(folder(drafts, root, "Drafts")),
	}}
}

func newState(cfg model.Config) *model.State {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	s := model.New(cfg)
	s.ApplySync(standardSync())
	return s
}

func fid(id string) ews.FolderId { return ews.FolderId{Id: id} }
func iid(id string) ews.ItemId   { return ews.ItemId{Id: id} }
func n(i int) *int               { return &i }

// Event builders: item events (I*), folder events (F*).
func ICreated(item, parent string) ews.Event {
	return ews.Event{Type: ews.CreatedEvent, ItemId: iid(item), ParentFolderId: fid(parent)}
}
func INewMail(item, parent string) ews.Event {
	return ews.Event{Type: ews.NewMailEvent, ItemId: iid(item), ParentFolderId: fid(parent)}
}
func IModified(item, parent string) ews.Event {
	return ews.Event{Type: ews.ModifiedEvent, ItemId: iid(item), ParentFolderId: fid(parent)}
}
func IMoved(item, oldItem, parent, oldParent string) ews.Event {
	return ews.Event{Type: ews.MovedEvent, ItemId: iid(item), OldItemId: iid(oldItem), ParentFolderId: fid(parent), OldParentFolderId: fid(oldParent)}
}
func ICopied(item, oldItem, parent, oldParent string) ews.Event {
	return ews.Event{Type: ews.CopiedEvent, ItemId: iid(item), OldItemId: iid(oldItem), ParentFolderId: fid(parent), OldParentFolderId: fid(oldParent)}
}
func IDeleted(item, parent string) ews.Event {
	return ews.Event{Type: ews.DeletedEvent, ItemId: iid(item), ParentFolderId: fid(parent)}
}
func IFreeBusy(item, parent string) ews.Event {
	return ews.Event{Type: ews.FreeBusyChangedEvent, ItemId: iid(item), ParentFolderId: fid(parent)}
}

// FModified is a folder's ModifiedEvent; unread < 0 leaves UnreadCount out.
func FModified(f, parent string, unread int) ews.Event {
	e := ews.Event{Type: ews.ModifiedEvent, FolderId: fid(f), ParentFolderId: fid(parent)}
	if unread >= 0 {
		e.UnreadCount = n(unread)
	}
	return e
}
func FCreated(f, parent string) ews.Event {
	return ews.Event{Type: ews.CreatedEvent, FolderId: fid(f), ParentFolderId: fid(parent)}
}
func FMoved(f, parent, oldParent string) ews.Event {
	return ews.Event{Type: ews.MovedEvent, FolderId: fid(f), OldFolderId: fid(f), ParentFolderId: fid(parent), OldParentFolderId: fid(oldParent)}
}
func FDeleted(f, parent string) ews.Event {
	return ews.Event{Type: ews.DeletedEvent, FolderId: fid(f), ParentFolderId: fid(parent)}
}

// at stamps events with one TimeStamp, as one notification of one action.
func at(t time.Time, evs ...ews.Event) []ews.Event {
	out := make([]ews.Event, len(evs))
	for i, e := range evs {
		e.TimeStamp = t
		out[i] = e
	}
	return out
}

// labels are the header labels of the list, oldest first.
func labels(s *model.State) []string {
	var out []string
	for _, r := range s.Rows(0, s.RowCount()) {
		if r.IsHeader() {
			out = append(out, s.Label(r.Cascade))
		}
	}
	return out
}
