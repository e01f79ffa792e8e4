package model

import (
	"sort"
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// Filter narrows the event list. The zero Filter shows everything; the
// conditions that are set must all hold.
type Filter struct {
	// Types: only these event types (empty or nil: all).
	Types map[ews.EventType]bool
	// FolderId: only events about this folder — its ParentFolderId,
	// FolderId or OldParentFolderId is it.
	FolderId string
	// FolderName is the folder's display name, for String ("" writes the
	// id); FolderId alone decides what matches.
	FolderName string
	// Text: case-insensitive substring of the event type, the item's
	// subject, or the name of a folder the event names.
	Text string
}

// IsZero reports whether the filter shows everything.
func (f Filter) IsZero() bool {
	return len(f.Types) == 0 && f.FolderId == "" && strings.TrimSpace(f.Text) == ""
}

// SetFilter changes the filter and rebuilds the list (O(retained events)).
// Folder names and subjects are matched as known at this moment and, for
// later events, when they arrive.
func (s *State) SetFilter(f Filter) {
	g := Filter{FolderId: f.FolderId, FolderName: f.FolderName, Text: f.Text}
	if len(f.Types) > 0 {
		g.Types = make(map[ews.EventType]bool, len(f.Types))
		for t, on := range f.Types {
			if on {
				g.Types[t] = true
			}
		}
	}
	s.filter = g
	s.match = newMatcher(g, s)
	s.matched = 0
	s.filterGen++
	s.rebuildVisible()
}

// Matched counts the events that matched the filter when they arrived,
// since the filter generation FilterGen began (each SetFilter starts a new
// one at 0). The event list's "N new" badge counts with it, so it counts
// only what the list will show.
func (s *State) Matched() (n int, gen uint64) { return s.matched, s.filterGen }

// Filter is the filter in effect.
func (s *State) Filter() Filter {
	f := s.filter
	if f.Types != nil {
		f.Types = make(map[ews.EventType]bool, len(s.filter.Types))
		for t := range s.filter.Types {
			f.Types[t] = true
		}
	}
	return f
}

// VisibleEvents are the events the filtered list shows, oldest first,
// whether or not their cascade is expanded (for the NDJSON export).
func (s *State) VisibleEvents() []ews.Event {
	var out []ews.Event
	for i := 0; i < s.entries.len(); i++ {
		if e := s.entries.at(i); e.match {
			out = append(out, e.Event)
		}
	}
	return out
}

type matcher struct {
	s      *State
	all    bool
	types  map[ews.EventType]bool
	folder string
	text   string
}

func newMatcher(f Filter, s *State) matcher {
	m := matcher{s: s, types: f.Types, folder: f.FolderId, text: strings.ToLower(strings.TrimSpace(f.Text))}
	m.all = len(m.types) == 0 && m.folder == "" && m.text == ""
	return m
}

func (m matcher) matches(e *Entry) bool {
	if m.all || e.Gap != nil || e.Recon != nil {
		return true
	}
	ev := &e.Event
	if len(m.types) > 0 && !m.types[ev.Type] {
		return false
	}
	if m.folder != "" && ev.ParentFolderId.Id != m.folder && ev.FolderId.Id != m.folder && ev.OldParentFolderId.Id != m.folder {
		return false
	}
	if m.text != "" && !m.matchesText(e) {
		return false
	}
	return true
}

func (m matcher) matchesText(e *Entry) bool {
	has := func(s string) bool { return s != "" && strings.Contains(strings.ToLower(s), m.text) }
	ev := &e.Event
	if has(string(ev.Type)) {
		return true
	}
	for _, id := range []string{ev.ItemId.Id, ev.OldItemId.Id} {
		if it, ok := m.s.items[id]; ok && has(it.Subject) {
			return true
		}
	}
	for _, id := range []string{ev.FolderId.Id, ev.ParentFolderId.Id, ev.OldParentFolderId.Id} {
		if id != "" && has(m.s.tree.knownName(id)) {
			return true
		}
	}
	return false
}

// relatedFolders are the folders an event is "in" for the folder filter and
// the per-folder event counts: ParentFolderId, FolderId, OldParentFolderId,
// each once.
func relatedFolders(ev *ews.Event) [3]string {
	var out [3]string
	n := 0
	for _, id := range []string{ev.ParentFolderId.Id, ev.FolderId.Id, ev.OldParentFolderId.Id} {
		if id == "" || id == out[0] || id == out[1] {
			continue
		}
		out[n] = id
		n++
	}
	return out
}

// StepEntry is the retained entry d steps (+1 newer, -1 older) from the
// one numbered seq, among those the filter keeps, in the order they
// arrived; nil past either end, or when seq is no longer retained.
func (s *State) StepEntry(seq uint64, d int) *Entry {
	n := s.entries.len()
	i := sort.Search(n, func(i int) bool { return s.entries.at(i).Seq >= seq })
	if i >= n || s.entries.at(i).Seq != seq || d == 0 {
		return nil
	}
	for i += d; i >= 0 && i < n; i += d {
		if e := s.entries.at(i); e.match {
			return e
		}
	}
	return nil
}
