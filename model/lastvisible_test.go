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
