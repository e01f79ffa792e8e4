package model_test

import (
	"testing"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// LastVisible is the newest entry the filter keeps, not the cascade's last.
func TestLastVisibleFollowsTheFilter(t *testing.T) {
	s := newState(model.Config{})
	mailDay(s)
	c := s.Rows(0, 1)[0].Cascade
	if e := s.LastVisible(c); e == nil || e.Event.Type != ews.ModifiedEvent {
		t.Fatalf("unfiltered: last visible %+v, want the folder's ModifiedEvent", e)
	}
	s.SetFilter(model.Filter{Types: map[ews.EventType]bool{ews.NewMailEvent: true}})
	c = s.Rows(0, 1)[0].Cascade
	if e := s.LastVisible(c); e == nil || e.Event.Type != ews.NewMailEvent {
		t.Fatalf("type:NewMail: last visible %+v, want the NewMailEvent", e)
	}
	s.SetFilter(model.Filter{Types: map[ews.EventType]bool{ews.CopiedEvent: true}})
	if e := s.LastVisible(c); e != nil {
		t.Fatalf("no entry matches, yet last visible is %+v", e)
	}
}

// Matched counts the events that match the filter as they arrive; a new
// filter starts a new count.
func TestMatchedCountsWhatTheFilterShows(t *testing.T) {
	s := newState(model.Config{})
	s.SetFilter(model.Filter{Types: map[ews.EventType]bool{ews.NewMailEvent: true}})
	_, gen := s.Matched()
	mailDay(s) // one NewMailEvent among nine events
	if n, g := s.Matched(); n != 1 || g != gen {
		t.Fatalf("Matched = %d (gen %d), want 1 (gen %d)", n, g, gen)
	}
	s.SetFilter(model.Filter{})
	if n, g := s.Matched(); n != 0 || g == gen {
		t.Fatalf("after SetFilter: Matched = %d (gen %d), want 0 in a new generation", n, g)
	}
}
