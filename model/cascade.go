package model

import (
	"fmt"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// CascadeKind is what a cascade was recognized as. Where it matches one of
// the simulator's actions it has the action's name.
type CascadeKind string

const (
	KindNewMail        CascadeKind = "new-mail"
	KindMeetingRequest CascadeKind = "meeting-request"
	KindMarkRead       CascadeKind = "mark-read"
	KindMarkUnread     CascadeKind = "mark-unread"
	KindReadChanged    CascadeKind = "read-changed" // read state changed, direction unknown
	KindItemChanged    CascadeKind = "item-changed"
	KindItemCreated    CascadeKind = "item-created"
	KindMoveItem       CascadeKind = "move-item"
	KindCopyItem       CascadeKind = "copy-item"
	KindSoftDelete     CascadeKind = "soft-delete"
	KindHardDelete     CascadeKind = "hard-delete"
	KindSendMail       CascadeKind = "send-mail"
	KindCreateFolder   CascadeKind = "create-folder"
	KindRenameFolder   CascadeKind = "rename-folder"
	KindFolderChanged  CascadeKind = "folder-changed"
	KindMoveFolder     CascadeKind = "move-folder"
	KindCopyFolder     CascadeKind = "copy-folder"
	KindDeleteFolder   CascadeKind = "delete-folder"
	KindFreeBusy       CascadeKind = "free-busy"
	KindUnrecognized   CascadeKind = "unrecognized"
)

// Cascade is the group of events one user action produced, oldest first.
// First and Last are the times of its first and last events (the server's
// TimeStamp, else the arrival time).
type Cascade struct {
	ID      uint64
	Kind    CascadeKind
	Entries []*Entry
	First   time.Time
	Last    time.Time

	expanded bool
	visible  bool
	vis      []*Entry // entries matching the filter
	row      int      // absolute first row while visible
}

// maxClassified bounds the work of recognizing a cascade; larger ones are
// unrecognized.
const maxClassified = 64

type verdict struct {
	kind  CascadeKind
	label string
}

// Label says what happened, with folder names as the tree knows them now:
// "New mail in Inbox", "Mail moved Inbox → Archive", "Folder 'Projects'
// created under Inbox", "Meeting request in Inbox", ..., "Unrecognized
// cascade (4 events)". It also refreshes c.Kind, which can change as names
// become known (a move to a folder later known as Deleted Items is a soft
// delete).
func (s *State) Label(c *Cascade) string {
	if c == nil {
		return ""
	}
	v := s.classify(c)
	c.Kind = v.kind
	return v.label
}

func (s *State) classify(c *Cascade) verdict {
	n := len(c.Entries)
	unrec := verdict{KindUnrecognized, fmt.Sprintf("Unrecognized cascade (%d events)", n)}
	if n == 0 || n > maxClassified {
		return unrec
	}
	var prims, fmods, fbs []*ews.Event
	var fmodEntries []*Entry
	for _, e := range c.Entries {
		ev := &e.Event
		switch {
		case ev.Type == ews.FreeBusyChangedEvent:
			fbs = append(fbs, ev)
		case ev.Type == ews.ModifiedEvent && ev.IsFolderEvent():
			fmods = append(fmods, ev)
			fmodEntries = append(fmodEntries, e)
		default:
			prims = append(prims, ev)
		}
	}
	if len(prims) == 0 {
		return s.classifyFolderChanges(fmodEntries, fbs, unrec)
	}
	var itemPrims, folderPrims []*ews.Event
	for _, ev := range prims {
		if !ev.ItemId.IsZero() {
			itemPrims = append(itemPrims, ev)
		} else {
			folderPrims = append(folderPrims, ev)
		}
	}
	if len(folderPrims) > 0 {
		return s.classifyFolderAction(folderPrims, itemPrims, unrec)
	}
	return s.classifyItemAction(itemPrims, fmodEntries, fbs, unrec)
}

func (s *State) classifyFolderChanges(fmods []*Entry, fbs []*ews.Event, unrec verdict) verdict {
	t := s.tree
	if len(fmods) == 0 {
		if len(fbs) > 0 {
			if p := fbs[0].ParentFolderId.Id; p != "" {
				return verdict{KindFreeBusy, "Free/busy changed in " + t.Name(p)}
			}
			return verdict{KindFreeBusy, "Free/busy changed"}
		}
		return unrec
	}
	if len(fbs) > 0 {
		return unrec
	}
	f := fmods[0].Event.FolderId.Id
	for _, e := range fmods[1:] {
		if e.Event.FolderId.Id != f {
			return unrec
		}
	}
	was, now := fmods[0].folderName, t.knownName(f)
	if was != "" && now != "" && was != now {
		return verdict{KindRenameFolder, fmt.Sprintf("Folder '%s' renamed to '%s'", was, now)}
	}
	label := fmt.Sprintf("Folder '%s' changed", t.Name(f))
	if last := fmods[len(fmods)-1].Event.UnreadCount; last != nil {
		label += fmt.Sprintf(" (unread %d)", *last)
	}
	return verdict{KindFolderChanged, label}
}

func (s *State) classifyFolderAction(folderPrims, itemPrims []*ews.Event, unrec verdict) verdict {
	t := s.tree
	top := folderPrims[0]
	deleted := map[string]bool{}
	if top.Type == ews.DeletedEvent {
		deleted[top.FolderId.Id] = true
	}
	// Everything after the first folder event must be the deletion of what
	// the deleted folder held.
	for _, ev := range folderPrims[1:] {
		if ev.Type != ews.DeletedEvent || !deleted[ev.ParentFolderId.Id] {
			return unrec
		}
		deleted[ev.FolderId.Id] = true
	}
	for _, ev := range itemPrims {
		if ev.Type != ews.DeletedEvent || !deleted[ev.ParentFolderId.Id] {
			return unrec
		}
	}
	name := t.Name(top.FolderId.Id)
	switch top.Type {
	case ews.CreatedEvent:
		return verdict{KindCreateFolder, fmt.Sprintf("Folder '%s' created under %s", name, t.Name(top.ParentFolderId.Id))}
	case ews.MovedEvent:
		if t.is(top.ParentFolderId.Id, "deleteditems") {
			return verdict{KindDeleteFolder, fmt.Sprintf("Folder '%s' deleted from %s (moved to Deleted Items)", name, t.Name(top.OldParentFolderId.Id))}
		}
		return verdict{KindMoveFolder, fmt.Sprintf("Folder '%s' moved %s → %s", name, t.Name(top.OldParentFolderId.Id), t.Name(top.ParentFolderId.Id))}
	case ews.CopiedEvent:
		return verdict{KindCopyFolder, fmt.Sprintf("Folder '%s' copied %s → %s", name, t.Name(top.OldParentFolderId.Id), t.Name(top.ParentFolderId.Id))}
	case ews.DeletedEvent:
		return verdict{KindDeleteFolder, fmt.Sprintf("Folder '%s' deleted from %s", name, t.Name(top.ParentFolderId.Id))}
	}
	return unrec
}

func (s *State) classifyItemAction(prims []*ews.Event, fmods []*Entry, fbs []*ews.Event, unrec verdict) verdict {
	t := s.tree
	var newMails []*ews.Event
	for _, ev := range prims {
		if ev.Type == ews.NewMailEvent {
			newMails = append(newMails, ev)
		}
	}
	if len(newMails) > 1 {
		return unrec
	}
	if len(newMails) == 1 {
		x, dir := newMails[0].ItemId.Id, newMails[0].ParentFolderId.Id
		others := 0
		for _, ev := range prims {
			if ev.ItemId.Id == x {
				if ev.Type != ews.CreatedEvent && ev.Type != ews.NewMailEvent {
					return unrec
				}
				continue
			}
			if ev.Type != ews.CreatedEvent && ev.Type != ews.ModifiedEvent {
				return unrec
			}
			others++
		}
		it, known := s.items[x]
		if others > 0 || len(fbs) > 0 || (known && strings.HasPrefix(it.ItemClass, "IPM.Schedule.Meeting.Request")) {
			return verdict{KindMeetingRequest, "Meeting request in " + t.Name(dir)}
		}
		return verdict{KindNewMail, "New mail in " + t.Name(dir)}
	}
	if len(fbs) > 0 && !s.onlyCalendarWork(prims) {
		return unrec
	}

	// Sending: the message ends up in Sent Items, coming from Drafts or
	// Outbox (or saved there directly).
	landsInSent, fromOutgoing, allCreatedInSent := false, false, true
	for _, ev := range prims {
		p, op := ev.ParentFolderId.Id, ev.OldParentFolderId.Id
		if t.is(p, "sentitems") && ev.Type != ews.DeletedEvent && ev.Type != ews.ModifiedEvent {
			landsInSent = true
		}
		if !(t.is(p, "sentitems") && ev.Type == ews.CreatedEvent) {
			allCreatedInSent = false
		}
		for _, id := range []string{p, op} {
			if t.is(id, "drafts") || t.is(id, "outbox") {
				fromOutgoing = true
			}
		}
	}
	if landsInSent && (fromOutgoing || allCreatedInSent) {
		return verdict{KindSendMail, "Mail sent"}
	}

	// The operation: the events that are not follow-up changes of an item
	// this action created or moved.
	seen := map[string]bool{}
	var core []*ews.Event
	for _, ev := range prims {
		if ev.Type == ews.ModifiedEvent && seen[ev.ItemId.Id] {
			continue
		}
		seen[ev.ItemId.Id] = true
		core = append(core, ev)
	}
	op := core[0]
	for _, ev := range core[1:] {
		if ev.Type != op.Type || ev.ParentFolderId.Id != op.ParentFolderId.Id || ev.OldParentFolderId.Id != op.OldParentFolderId.Id {
			return unrec
		}
	}
	from, to := op.OldParentFolderId.Id, op.ParentFolderId.Id
	what := s.noun(op.ItemId.Id, op.OldItemId.Id, to)
	if len(core) > 1 {
		what = fmt.Sprintf("%d items", len(core))
	}
	switch op.Type {
	case ews.MovedEvent:
		if t.is(to, "deleteditems") {
			return verdict{KindSoftDelete, fmt.Sprintf("%s deleted from %s (moved to Deleted Items)", what, t.Name(from))}
		}
		return verdict{KindMoveItem, fmt.Sprintf("%s moved %s → %s", what, t.Name(from), t.Name(to))}
	case ews.CopiedEvent:
		return verdict{KindCopyItem, fmt.Sprintf("%s copied %s → %s", what, t.Name(from), t.Name(to))}
	case ews.DeletedEvent:
		return verdict{KindHardDelete, fmt.Sprintf("%s deleted permanently from %s", what, t.Name(to))}
	case ews.CreatedEvent:
		return verdict{KindItemCreated, fmt.Sprintf("%s created in %s", what, t.Name(to))}
	case ews.ModifiedEvent:
		if len(core) > 1 {
			return verdict{KindItemChanged, fmt.Sprintf("%s changed in %s", what, t.Name(to))}
		}
		return s.readState(what, to, fmods)
	}
	return unrec
}

// onlyCalendarWork: free/busy may accompany creating or changing a calendar
// item.
func (s *State) onlyCalendarWork(prims []*ews.Event) bool {
	for _, ev := range prims {
		if ev.Type != ews.CreatedEvent && ev.Type != ews.ModifiedEvent {
			return false
		}
	}
	return true
}

// readState tells marking read from marking unread by the folder's unread
// count before and after.
func (s *State) readState(what, folder string, fmods []*Entry) verdict {
	name := s.tree.Name(folder)
	for _, e := range fmods {
		ev := &e.Event
		if ev.FolderId.Id != folder || ev.UnreadCount == nil {
			continue
		}
		switch now := *ev.UnreadCount; {
		case e.prevUnread < 0:
			return verdict{KindReadChanged, fmt.Sprintf("%s read state changed in %s (unread %d)", what, name, now)}
		case now < e.prevUnread:
			return verdict{KindMarkRead, fmt.Sprintf("%s marked read in %s", what, name)}
		case now > e.prevUnread:
			return verdict{KindMarkUnread, fmt.Sprintf("%s marked unread in %s", what, name)}
		}
	}
	return verdict{KindItemChanged, fmt.Sprintf("%s changed in %s", what, name)}
}

// noun names an item for a label: by its class when GetItem told us, else
// by the folder it is in.
func (s *State) noun(id, oldID, folder string) string {
	for _, k := range []string{id, oldID} {
		if it, ok := s.items[k]; ok && it.ItemClass != "" {
			c := it.ItemClass
			switch {
			case strings.HasPrefix(c, "IPM.Schedule.Meeting"):
				return "Meeting message"
			case strings.HasPrefix(c, "IPM.Appointment"):
				return "Appointment"
			case strings.HasPrefix(c, "IPM.Contact"):
				return "Contact"
			case strings.HasPrefix(c, "IPM.Task"):
				return "Task"
			case strings.HasPrefix(c, "IPM.StickyNote"):
				return "Note"
			}
			return "Mail"
		}
	}
	switch {
	case s.tree.is(folder, "calendar"):
		return "Appointment"
	case s.tree.is(folder, "contacts"):
		return "Contact"
	case s.tree.is(folder, "tasks"):
		return "Task"
	}
	return "Mail"
}
