package model

import "github.com/ewsmon/ewsmon/ews"

// The model as a stream: what `ewsmon watch --json`, `ewsmon decode` and
// the dashboard's export need to write events out with their cascades,
// using the same grouping and labels as the event list.

// Newest is the entry logged last (an event, a gap or a reconciled
// change), or nil.
func (s *State) Newest() *Entry {
	if s.entries.len() == 0 {
		return nil
	}
	return s.entries.back()
}

// OpenCascade is the id of the cascade that later events may still join
// (0: none). Only the newest cascade can grow, and only until an event
// starts another, a gap or reconciliation is applied, or CloseCascade. The
// other cascades, and so their labels, change no more, except that a label
// names folders and items as they become known.
func (s *State) OpenCascade() uint64 {
	if s.open == nil {
		return 0
	}
	return s.open.c.ID
}

// CloseCascade ends the open cascade: the next event starts a new one. For
// a consumer that has written the cascade out (watch, once no event came
// for CascadeGap) and so must not see it grow.
func (s *State) CloseCascade() { s.open = nil }

// VisibleEntries are the entries the filtered list shows, oldest first,
// whether or not their cascade is expanded (for the export, with Records).
func (s *State) VisibleEntries() []*Entry {
	var out []*Entry
	for i := 0; i < s.entries.len(); i++ {
		if e := s.entries.at(i); e.match {
			out = append(out, e)
		}
	}
	return out
}

// Records are the JSON lines of entries: an event's fields
// (ews.EventRecord) with its cascade's id and label, the names of its
// folders as the tree knows them now and its item's subject once GetItem
// told it; a gap's entry is its Gap line, a reconciled change its
// Reconciled line. Each cascade is labelled once.
func (s *State) Records(entries []*Entry) []ews.Record {
	out := make([]ews.Record, 0, len(entries))
	labels := make(map[uint64]string)
	for _, e := range entries {
		out = append(out, s.record(e, labels))
	}
	return out
}

// Record is Records of one entry.
func (s *State) Record(e *Entry) ews.Record { return s.record(e, nil) }

func (s *State) record(e *Entry, labels map[uint64]string) ews.Record {
	switch {
	case e == nil:
		return ews.Record{}
	case e.Gap != nil:
		return ews.GapRecord(*e.Gap)
	case e.Recon != nil:
		r := ews.Record{Type: "Reconciled", Change: string(e.Recon.Change), ItemId: e.Recon.ItemId.Id,
			FolderId: e.Recon.FolderId.Id, Subject: e.Recon.Subject, IsRead: e.Recon.IsRead}
		if c := s.byID[e.CascadeID]; c != nil && c.Gap != nil {
			r.Gap = c.Gap.ID
		}
		return r
	}
	ev := &e.Event
	r := ews.EventRecord(*ev)
	if c := s.byID[e.CascadeID]; c != nil {
		r.Cascade = c.ID
		label, ok := labels[c.ID]
		if !ok {
			label = s.Label(c)
			if labels != nil {
				labels[c.ID] = label
			}
		}
		r.CascadeLabel = label
	}
	t := s.tree
	r.FolderName = t.knownName(ev.FolderId.Id)
	r.ParentFolderName = t.knownName(ev.ParentFolderId.Id)
	r.OldParentFolderName = t.knownName(ev.OldParentFolderId.Id)
	for _, id := range []string{ev.ItemId.Id, ev.OldItemId.Id} {
		if it, ok := s.items[id]; ok && it.Subject != "" {
			r.Subject = it.Subject
			break
		}
	}
	return r
}

// KnownName is the folder's display name, "Top of Information Store" for
// the root, or "" when the tree does not know it (Name then shows a short
// form of the id).
func (t *FolderTree) KnownName(id string) string { return t.knownName(id) }
