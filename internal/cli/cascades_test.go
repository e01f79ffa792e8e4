package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

func itemEvent(typ ews.EventType, item, parent string, at time.Time) ews.Event {
	return ews.Event{Type: typ, TimeStamp: at, ItemId: ews.ItemId{Id: item}, ParentFolderId: ews.FolderId{Id: parent}}
}

func folderModified(folder, parent string, unread int, at time.Time) ews.Event {
	return ews.Event{Type: ews.ModifiedEvent, TimeStamp: at, FolderId: ews.FolderId{Id: folder}, ParentFolderId: ews.FolderId{Id: parent}, UnreadCount: &unread}
}

// A label changes while events join, and the model can even split a
// cascade: what looked like a meeting request (new mail plus an item in a
// folder that may be the calendar) turns out to be two messages when the
// second item's NewMailEvent arrives. Nothing is written while that can
// happen, and what is written carries the final cascades and labels.
func TestCascadeWriterSplit(t *testing.T) {
	var out []ews.Record
	w := newCascadeWriter(model.DefaultCascadeGap, func(r ews.Record) error { out = append(out, r); return nil })
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	for _, e := range []ews.Event{
		itemEvent(ews.CreatedEvent, "x", "inbox", at),
		itemEvent(ews.NewMailEvent, "x", "inbox", at),
		folderModified("inbox", "root", 1, at),
		itemEvent(ews.CreatedEvent, "y", "other", at),
	} {
		if err := w.event(e, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) != 0 {
		t.Fatalf("written while the cascade is open: %+v", out)
	}
	if c := w.st.Cascade(w.st.OpenCascade()); !strings.HasPrefix(w.st.Label(c), "Meeting request in ") {
		t.Fatalf("the open cascade reads %q: the test no longer shows a label that changes", w.st.Label(c))
	}
	_ = w.line(ews.Record{Type: "ConnectionStatus", Status: "OK"})
	_ = w.event(itemEvent(ews.NewMailEvent, "y", "other", at), time.Time{})
	var got []string
	for _, r := range out {
		got = append(got, fmt.Sprintf("%s %s %d %s", r.Type, r.ItemId+r.FolderId, r.Cascade, r.CascadeLabel))
	}
	inbox := model.New(model.Config{}).Tree().Name("inbox")
	want := []string{
		"CreatedEvent x 1 New mail in " + inbox,
		"NewMailEvent x 1 New mail in " + inbox,
		"ModifiedEvent inbox 1 New mail in " + inbox,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after the split:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out = nil
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range out {
		got = append(got, fmt.Sprintf("%s %s %d", r.Type, r.ItemId, r.Cascade))
	}
	// The line queued behind the held events keeps its place.
	if g := strings.Join(got, ", "); g != "CreatedEvent y 2, ConnectionStatus  0, NewMailEvent y 2" {
		t.Fatalf("at the end: %s", g)
	}
	if out[0].CascadeLabel != "New mail in "+model.New(model.Config{}).Tree().Name("other") {
		t.Errorf("second message labelled %q", out[0].CascadeLabel)
	}
}

// A cascade that never ends (a bulk move of thousands of items) is written
// once it holds maxHeld+1 events, so memory stays bounded.
func TestCascadeWriterBound(t *testing.T) {
	n := 0
	cascades := map[uint64]bool{}
	w := newCascadeWriter(model.DefaultCascadeGap, func(r ews.Record) error { n++; cascades[r.Cascade] = true; return nil })
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	for i := 0; i <= maxHeld; i++ {
		e := itemEvent(ews.MovedEvent, fmt.Sprintf("new-%d", i), "archive", at)
		e.OldItemId, e.OldParentFolderId = ews.ItemId{Id: fmt.Sprintf("old-%d", i)}, ews.FolderId{Id: "inbox"}
		if err := w.event(e, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if i < maxHeld && n != 0 {
			t.Fatalf("written after %d events of one cascade", i+1)
		}
	}
	if n != maxHeld+1 || len(cascades) != 1 || w.holding() {
		t.Fatalf("%d lines in %d cascades, still holding %v", n, len(cascades), w.holding())
	}
}

// Lines queued behind a held event are bounded too: the cascade is closed
// and written.
func TestCascadeWriterBoundsLines(t *testing.T) {
	n := 0
	w := newCascadeWriter(model.DefaultCascadeGap, func(ews.Record) error { n++; return nil })
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	_ = w.event(itemEvent(ews.CreatedEvent, "x", "inbox", at), time.Time{})
	for i := 1; i < maxHeldLines; i++ { // the event is held too
		_ = w.line(ews.Record{Type: "Folder"})
	}
	if n != 0 || !w.holding() {
		t.Fatalf("%d lines written early", n)
	}
	_ = w.line(ews.Record{Type: "Folder"})
	if n != maxHeldLines+1 || w.holding() { // the event and the lines
		t.Fatalf("%d lines written, holding %v", n, w.holding())
	}
}
