package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// referenceRows computes the list from scratch: every retained cascade with
// an entry matching f, its header, then (expanded) those entries.
func referenceRows(s *State, f Filter) []Row {
	var out []Row
	for i := 0; i < s.cascades.len(); i++ {
		c := s.cascades.at(i)
		var m []*Entry
		for _, e := range c.Entries {
			ev := e.Event
			if len(f.Types) > 0 && !f.Types[ev.Type] {
				continue
			}
			if f.FolderId != "" && ev.ParentFolderId.Id != f.FolderId && ev.FolderId.Id != f.FolderId && ev.OldParentFolderId.Id != f.FolderId {
				continue
			}
			m = append(m, e)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, Row{Cascade: c})
		if c.expanded {
			for _, e := range m {
				out = append(out, Row{Cascade: c, Entry: e})
			}
		}
	}
	return out
}

func sameRows(a, b []Row) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d rows, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("row %d differs: got cascade %d entry %v, want cascade %d entry %v", i, a[i].Cascade.ID, a[i].Entry, b[i].Cascade.ID, b[i].Entry)
		}
	}
	return nil
}

// The incremental row bookkeeping (appends, eviction, toggles, filters,
// split meeting requests) must always equal a from-scratch computation.
func TestRowsMatchReferenceUnderRandomOperations(t *testing.T) {
	folders := []string{"inbox", "archive", "drafts", "calendar"}
	types := []ews.EventType{ews.CreatedEvent, ews.NewMailEvent, ews.ModifiedEvent, ews.MovedEvent, ews.DeletedEvent, ews.CopiedEvent, ews.FreeBusyChangedEvent}
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		s := New(Config{MaxEvents: 40 + r.IntN(40), Location: time.UTC})
		now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
		var f Filter
		for step := 0; step < 600; step++ {
			switch op := r.IntN(20); {
			case op < 14:
				var evs []ews.Event
				for k := r.IntN(6); k >= 0; k-- {
					now = now.Add(time.Duration(r.IntN(1500)) * time.Millisecond)
					ev := ews.Event{Type: types[r.IntN(len(types))], TimeStamp: now,
						ParentFolderId: ews.FolderId{Id: folders[r.IntN(len(folders))]}}
					if r.IntN(3) == 0 {
						ev.FolderId = ews.FolderId{Id: folders[r.IntN(len(folders))]}
					} else {
						ev.ItemId = ews.ItemId{Id: fmt.Sprint("i", r.IntN(8))}
					}
					if ev.Type == ews.MovedEvent || ev.Type == ews.CopiedEvent {
						ev.OldParentFolderId = ews.FolderId{Id: folders[r.IntN(len(folders))]}
						ev.OldItemId = ews.ItemId{Id: fmt.Sprint("i", r.IntN(8))}
					}
					evs = append(evs, ev)
				}
				s.Apply(ews.Update{At: now, Events: evs})
			case op < 16:
				if n := s.cascades.len(); n > 0 {
					s.ToggleExpanded(s.cascades.at(r.IntN(n)).ID)
				}
			case op < 18:
				// Two messages in different folders: the second one's
				// CreatedEvent first joins as a meeting's calendar item, then
				// splits off when its NewMailEvent arrives. Expanding the
				// newest cascade in between exercises the row accounting.
				a, b := fmt.Sprint("n", step), fmt.Sprint("n", step, "b")
				now = now.Add(time.Second)
				evs := []ews.Event{
					{Type: ews.CreatedEvent, TimeStamp: now, ItemId: ews.ItemId{Id: a}, ParentFolderId: ews.FolderId{Id: "inbox"}},
					{Type: ews.NewMailEvent, TimeStamp: now, ItemId: ews.ItemId{Id: a}, ParentFolderId: ews.FolderId{Id: "inbox"}},
					{Type: ews.CreatedEvent, TimeStamp: now, ItemId: ews.ItemId{Id: b}, ParentFolderId: ews.FolderId{Id: "calendar"}},
				}
				if r.IntN(2) == 0 { // a folder change between the second message's events
					one := 1
					evs = append(evs, ews.Event{Type: ews.ModifiedEvent, TimeStamp: now, FolderId: ews.FolderId{Id: "calendar"}, ParentFolderId: ews.FolderId{Id: "root"}, UnreadCount: &one})
				}
				s.Apply(ews.Update{At: now, Events: evs})
				if r.IntN(2) == 0 {
					s.ToggleExpanded(s.cascades.back().ID)
				}
				s.Apply(ews.Update{At: now, Events: []ews.Event{
					{Type: ews.NewMailEvent, TimeStamp: now, ItemId: ews.ItemId{Id: b}, ParentFolderId: ews.FolderId{Id: "calendar"}},
				}})
				if c := s.cascades.back(); len(c.Entries) == len(evs)-1 && s.Label(c) != "New mail in "+s.tree.Name("calendar") {
					t.Fatalf("second message labelled %q", s.Label(c))
				}
			case op < 19:
				f = Filter{}
				if r.IntN(2) == 0 {
					f.Types = map[ews.EventType]bool{types[r.IntN(len(types))]: true, types[r.IntN(len(types))]: true}
				}
				if r.IntN(2) == 0 {
					f.FolderId = folders[r.IntN(len(folders))]
				}
				s.SetFilter(f)
			default:
				if r.IntN(10) == 0 {
					s.Clear()
				}
			}
			want := referenceRows(s, f)
			if err := sameRows(s.Rows(0, s.RowCount()), want); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			if len(want) > 0 {
				start, n := r.IntN(len(want)), 1+r.IntN(10)
				end := min(start+n, len(want))
				if err := sameRows(s.Rows(start, n), want[start:end]); err != nil {
					t.Fatalf("seed %d step %d window %d+%d: %v", seed, step, start, n, err)
				}
			}
			if s.entries.len() > s.cfg.MaxEvents {
				t.Fatalf("retains %d events, max %d", s.entries.len(), s.cfg.MaxEvents)
			}
			shown := 0
			for i := 0; i < s.entries.len(); i++ {
				if s.match.matches(s.entries.at(i)) {
					shown++
				}
			}
			if s.Shown() != shown {
				t.Fatalf("seed %d step %d: Shown() = %d, %d retained events match", seed, step, s.Shown(), shown)
			}
			for i := 0; i < s.cascades.len(); i++ {
				c := s.cascades.at(i)
				if len(c.Entries) == 0 {
					t.Fatalf("empty cascade %d retained", c.ID)
				}
				if row, ok := s.RowOf(c.ID); ok && (row >= len(want) || want[row] != (Row{Cascade: c})) {
					t.Fatalf("RowOf(%d) = %d is not its header", c.ID, row)
				}
			}
		}
	}
}
