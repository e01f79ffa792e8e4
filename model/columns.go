package model

import (
	"fmt"

	"github.com/ewsmon/ewsmon/ews"
)

// Columns are the event list's cells for one entry, as text.
type Columns struct {
	Time   string // the event's TimeStamp (else arrival), 15:04:05 in Config.Location
	Type   string // the event type without "Event": NewMail, Created, ...
	Object string // the item's subject once known, else "item …abcd1234"; a folder's name
	Folder string // where: the parent folder's name; moves and copies "Old → New"
	Extras string // "unread 3", "unread 2 → 3", ...
}

// Columns renders an entry's cells with the names known now.
func (s *State) Columns(e *Entry) Columns {
	if e == nil {
		return Columns{}
	}
	if e.Gap != nil || e.Recon != nil {
		return s.gapColumns(e)
	}
	ev := &e.Event
	t := ev.TimeStamp
	if t.IsZero() {
		t = e.Received
	}
	var col Columns
	if !t.IsZero() {
		col.Time = t.In(s.cfg.Location).Format("15:04:05")
	}
	col.Type = ev.Type.Short()
	tree := s.tree
	if ev.IsFolderEvent() {
		col.Object = tree.Name(ev.FolderId.Id)
	} else if !ev.ItemId.IsZero() {
		col.Object = s.subject(ev)
	}
	from, to := ev.OldParentFolderId.Id, ev.ParentFolderId.Id
	switch {
	case from != "" && to != "" && from != to:
		col.Folder = tree.Name(from) + " → " + tree.Name(to)
	case to != "":
		col.Folder = tree.Name(to)
	}
	if ev.UnreadCount != nil {
		if e.prevUnread >= 0 && e.prevUnread != *ev.UnreadCount {
			col.Extras = fmt.Sprintf("unread %d → %d", e.prevUnread, *ev.UnreadCount)
		} else {
			col.Extras = fmt.Sprintf("unread %d", *ev.UnreadCount)
		}
	}
	return col
}

// subject is the item's subject from the GetItem cache (under its id or,
// after a move or copy, its old id), else a short form of its id.
func (s *State) subject(ev *ews.Event) string {
	for _, id := range []string{ev.ItemId.Id, ev.OldItemId.Id} {
		if it, ok := s.items[id]; ok && it.Subject != "" {
			return it.Subject
		}
	}
	return "item " + shortID(ev.ItemId.Id)
}
