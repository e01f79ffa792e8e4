package model_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// screen renders the rows like the event list: headers with their event
// count, expanded entries indented with their columns.
func screen(s *model.State, start, n int) []string {
	var out []string
	for _, r := range s.Rows(start, n) {
		if r.IsHeader() {
			mark := "▸"
			if s.Expanded(r.Cascade.ID) {
				mark = "▾"
			}
			out = append(out, fmt.Sprintf("%s %s (%d)", mark, s.Label(r.Cascade), s.VisibleCount(r.Cascade)))
			continue
		}
		c := s.Columns(r.Entry)
		out = append(out, strings.TrimRight(fmt.Sprintf("  %s %-8s %-14s %-22s %s", c.Time, c.Type, c.Object, c.Folder, c.Extras), " "))
	}
	return out
}

func mailDay(s *model.State) {
	s.ApplyItem(ews.Item{ItemId: iid("m1"), Subject: "Quarterly report", ItemClass: "IPM.Note"})
	s.Apply(ews.Update{At: t0, Events: at(t0, ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 1))})
	t1 := t0.Add(time.Minute)
	s.Apply(ews.Update{At: t1, Events: at(t1, IMoved("m1b", "m1", archive, inbox), FModified(inbox, root, 0), FModified(archive, root, 1))})
	t2 := t0.Add(2 * time.Minute)
	s.Apply(ews.Update{At: t2, Events: at(t2, FCreated(projects, inbox), FModified(inbox, root, 0))})
}

func TestEventListExpandCollapse(t *testing.T) {
	s := newState(model.Config{})
	mailDay(s)
	want := []string{
		"▸ New mail in Inbox (3)",
		"▸ Mail moved Inbox → Archive (3)",
		"▸ Folder 'Projects' created under Inbox (2)",
	}
	if got := screen(s, 0, 100); !slices.Equal(got, want) {
		t.Fatalf("collapsed:\n%s", strings.Join(got, "\n"))
	}
	s.ToggleExpanded(s.Rows(1, 1)[0].Cascade.ID)
	want = []string{
		"▸ New mail in Inbox (3)",
		"▾ Mail moved Inbox → Archive (3)",
		"  01:01:00 Moved    Quarterly report Inbox → Archive",
		"  01:01:00 Modified Inbox          Top of Information Store unread 1 → 0",
		"  01:01:00 Modified Archive        Top of Information Store unread 0 → 1",
		"▸ Folder 'Projects' created under Inbox (2)",
	}
	if got := screen(s, 0, 100); !slices.Equal(got, want) {
		t.Fatalf("expanded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.RowCount() != len(want) {
		t.Errorf("RowCount %d, want %d", s.RowCount(), len(want))
	}
	// A window in the middle is the same rows.
	if got := screen(s, 2, 3); !slices.Equal(got, want[2:5]) {
		t.Errorf("window:\n%s", strings.Join(got, "\n"))
	}
	if row, ok := s.RowOf(s.Rows(5, 1)[0].Cascade.ID); !ok || row != 5 {
		t.Errorf("RowOf last header = %d %v", row, ok)
	}
	s.ToggleExpanded(s.Rows(1, 1)[0].Cascade.ID)
	if s.RowCount() != 3 {
		t.Errorf("collapsed again: %d rows", s.RowCount())
	}
	// Out-of-range windows are empty, not a panic.
	if s.Rows(3, 10) != nil || s.Rows(-5, 1) == nil || s.Rows(0, 0) != nil {
		t.Error("bad windows")
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		name   string
		filter model.Filter
		want   []string
		events int
	}{
		{"none", model.Filter{}, []string{"▸ New mail in Inbox (3)", "▸ Mail moved Inbox → Archive (3)", "▸ Folder 'Projects' created under Inbox (2)"}, 8},
		{"type", model.Filter{Types: map[ews.EventType]bool{ews.MovedEvent: true, ews.NewMailEvent: true}},
			[]string{"▸ New mail in Inbox (1)", "▸ Mail moved Inbox → Archive (1)"}, 2},
		{"folder Archive (moved into)", model.Filter{FolderId: archive}, []string{"▸ Mail moved Inbox → Archive (2)"}, 2},
		{"folder Inbox (moved out of)", model.Filter{FolderId: inbox}, []string{"▸ New mail in Inbox (3)", "▸ Mail moved Inbox → Archive (2)", "▸ Folder 'Projects' created under Inbox (2)"}, 7},
		{"text: subject", model.Filter{Text: "quarterly"}, []string{"▸ New mail in Inbox (2)", "▸ Mail moved Inbox → Archive (1)"}, 3},
		{"text: folder name", model.Filter{Text: "PROJ"}, []string{"▸ Folder 'Projects' created under Inbox (1)"}, 1},
		{"text: type", model.Filter{Text: "newmail"}, []string{"▸ New mail in Inbox (1)"}, 1},
		{"all three", model.Filter{Types: map[ews.EventType]bool{ews.ModifiedEvent: true}, FolderId: archive, Text: "archive"}, []string{"▸ Mail moved Inbox → Archive (1)"}, 1},
		{"nothing matches", model.Filter{Text: "zebra"}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(model.Config{})
			mailDay(s)
			s.SetFilter(tc.filter)
			if got := screen(s, 0, 100); !slices.Equal(got, tc.want) {
				t.Errorf("list:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if got := len(s.VisibleEvents()); got != tc.events {
				t.Errorf("export has %d events, want %d", got, tc.events)
			}
			// New events are filtered as they arrive.
			t3 := t0.Add(time.Hour)
			s.Apply(ews.Update{At: t3, Events: at(t3, IDeleted("gone", archive), FModified(archive, root, 0))})
			s.SetFilter(s.Filter()) // same filter, rebuilt from scratch
			rebuilt := screen(s, 0, 100)
			s2 := newState(model.Config{})
			s2.SetFilter(tc.filter)
			mailDay(s2)
			s2.Apply(ews.Update{At: t3, Events: at(t3, IDeleted("gone", archive), FModified(archive, root, 0))})
			if inc := screen(s2, 0, 100); !slices.Equal(inc, rebuilt) {
				t.Errorf("filtering on arrival:\n%s\ndiffers from rebuilding:\n%s", strings.Join(inc, "\n"), strings.Join(rebuilt, "\n"))
			}
		})
	}
}

func TestExportIsOldestFirstAndUnfilteredByExpansion(t *testing.T) {
	s := newState(model.Config{})
	mailDay(s)
	evs := s.VisibleEvents()
	if len(evs) != 8 || evs[0].Type != ews.CreatedEvent || evs[0].ItemId.Id != "m1" || evs[7].Type != ews.ModifiedEvent || evs[7].FolderId.Id != inbox {
		t.Errorf("export order wrong: %v", evs)
	}
}

func TestEvictionKeepsTheNewest(t *testing.T) {
	s := newState(model.Config{MaxEvents: 5})
	mailDay(s) // 8 events: the first 3 (the whole new-mail cascade) go
	want := []string{"▸ Mail moved Inbox → Archive (3)", "▸ Folder 'Projects' created under Inbox (2)"}
	if got := screen(s, 0, 100); !slices.Equal(got, want) {
		t.Fatalf("after eviction:\n%s", strings.Join(got, "\n"))
	}
	t3 := t0.Add(time.Hour)
	s.Apply(ews.Update{At: t3, Events: at(t3, IDeleted("gone", archive))})
	// The move cascade loses its oldest event but keeps its label's facts.
	if got := screen(s, 0, 100); got[0] != "▸ Mail moved Inbox → Archive (partly evicted) (2)" {
		t.Errorf("partly evicted cascade: %q", got[0])
	}
	if s.Len() != 5 || s.Cascades() != 3 {
		t.Errorf("%d events in %d cascades", s.Len(), s.Cascades())
	}
	if s.Cascade(1) != nil {
		t.Error("evicted cascade still reachable")
	}
}

// Odd input (no ids, unknown types, no times, negative windows) is shown,
// not a panic.
func TestOddEventsAreListedNotFatal(t *testing.T) {
	s := model.New(model.Config{MaxEvents: 3})
	s.Apply(ews.Update{})
	s.Apply(ews.Update{Events: []ews.Event{{}, {Type: "MysteryEvent"}, {Type: ews.MovedEvent}, {Type: ews.ModifiedEvent, FolderId: fid("f")}}})
	s.ApplySync(nil)
	s.ApplySync(syncOf(remove(""), remove("unknown"), update(ews.Folder{})))
	s.ApplyFolders([]ews.Folder{{}})
	s.ApplyItem(ews.Item{})
	if s.Len() != 3 {
		t.Fatalf("%d events retained, want 3", s.Len())
	}
	for _, r := range s.Rows(-1, 100) {
		_ = s.Label(r.Cascade)
		s.ToggleExpanded(r.Cascade.ID)
	}
	for _, r := range s.Rows(0, 100) {
		if r.Entry != nil {
			_ = s.Columns(r.Entry)
		}
	}
	if got := s.Status().Totals["MysteryEvent"]; got != 1 {
		t.Errorf("unknown type counted %d times", got)
	}
	s.ToggleExpanded(12345)
	if s.Label(nil) != "" || s.Columns(nil) != (model.Columns{}) {
		t.Error("nil cascade or entry")
	}
}

// Shown counts the retained events the filter keeps; Evicted those dropped
// at the bound.
func TestShownAndEvicted(t *testing.T) {
	s := newState(model.Config{MaxEvents: 5})
	mailDay(s) // 8 events: 3 go
	if s.Shown() != 5 || s.Evicted() != 3 {
		t.Fatalf("Shown %d, Evicted %d; want 5, 3", s.Shown(), s.Evicted())
	}
	s.SetFilter(model.Filter{Types: map[ews.EventType]bool{ews.MovedEvent: true}})
	if s.Shown() != 1 {
		t.Fatalf("Shown %d with type:Moved, want 1", s.Shown())
	}
	s.Clear()
	if s.Shown() != 0 || s.Evicted() != 0 {
		t.Fatalf("after Clear: Shown %d, Evicted %d", s.Shown(), s.Evicted())
	}
}
