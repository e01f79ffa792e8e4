package model

import (
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

func cmpEvent(typ ews.EventType, item, wm string, ts time.Time) ews.Event {
	return ews.Event{Type: typ, ItemId: ews.ItemId{Id: item}, ParentFolderId: ews.FolderId{Id: "inbox"}, Watermark: wm, TimeStamp: ts}
}

func TestCompareDelaysMissesAndRepeats(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := NewCompare([]string{"streaming", "pull", "push"}, 5*time.Second, 100)
	const stream, pull, push = 0, 1, 2
	a := cmpEvent(ews.CreatedEvent, "a", "", t0)
	b := cmpEvent(ews.CreatedEvent, "b", "", t0)

	// a: streaming first, push 40 ms later, pull 900 ms later.
	c.Add(stream, a, t0.Add(10*time.Millisecond))
	pa := a
	pa.Watermark = "push-1"
	c.Add(push, pa, t0.Add(50*time.Millisecond))
	qa := a
	qa.Watermark = "pull-1"
	row, rep := c.Add(pull, qa, t0.Add(910*time.Millisecond))
	if rep || !row.Settled() {
		t.Fatalf("a: repeat %v, settled %v", rep, row.Settled())
	}
	if d, ok := row.Delay(pull); !ok || d != 900*time.Millisecond {
		t.Errorf("pull's delay = %v %v, want 900ms", d, ok)
	}
	if d, _ := row.Delay(stream); d != 0 {
		t.Errorf("the first arrival's delay = %v, want 0", d)
	}
	// pull delivers a again (its answer was lost and it asked again).
	if _, rep := c.Add(pull, qa, t0.Add(2*time.Second)); !rep || row.Count[pull] != 2 {
		t.Errorf("a repeat on pull: repeat %v, count %d", rep, row.Count[pull])
	}

	// b: streaming and pull deliver it, push never does.
	c.Add(stream, b, t0.Add(20*time.Millisecond))
	qb := b
	qb.Watermark = "pull-2"
	rb, _ := c.Add(pull, qb, t0.Add(920*time.Millisecond))
	if got := c.Settle(t0.Add(4 * time.Second)); len(got) != 0 {
		t.Errorf("settled before Settle passed: %d rows", len(got))
	}
	got := c.Settle(t0.Add(6 * time.Second))
	if len(got) != 1 || got[0] != rb || !rb.Missed[push] || rb.Missed[pull] || rb.Missed[stream] {
		t.Fatalf("after Settle: %d rows settled, missed %v", len(got), rb.Missed)
	}

	st := c.Stats()
	if st[push].Missed != 1 || st[pull].Missed != 0 || st[pull].Duplicated != 1 || st[pull].Events != 3 {
		t.Errorf("stats %+v", st)
	}
	if st[stream].First != 2 || st[pull].First != 0 {
		t.Errorf("first arrivals: streaming %d, pull %d", st[stream].First, st[pull].First)
	}
	if st[pull].Median != 900*time.Millisecond || st[stream].Median != 0 {
		t.Errorf("medians: pull %v, streaming %v", st[pull].Median, st[stream].Median)
	}

	// A late arrival after being declared missed is no miss after all.
	pb := b
	pb.Watermark = "push-2"
	c.Add(push, pb, t0.Add(7*time.Second))
	if rb.Missed[push] || c.Stats()[push].Missed != 0 {
		t.Errorf("a late arrival still counts as missed")
	}
}

func TestCompareMatchesAlikeEventsInOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := NewCompare([]string{"streaming", "pull"}, time.Second, 100)
	f := ews.Event{Type: ews.ModifiedEvent, FolderId: ews.FolderId{Id: "cal"}, TimeStamp: t0}
	r1, _ := c.Add(0, f, t0)
	r2, _ := c.Add(0, f, t0.Add(time.Millisecond))
	if r1 == r2 {
		t.Fatal("two alike events on one transport made one row")
	}
	f.Watermark = "w1"
	p1, _ := c.Add(1, f, t0.Add(100*time.Millisecond))
	f.Watermark = "w2"
	p2, _ := c.Add(1, f, t0.Add(101*time.Millisecond))
	if p1 != r1 || p2 != r2 {
		t.Error("pull's alike events did not match streaming's in order")
	}
}

func TestCompareStaysBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := NewCompare([]string{"a", "b"}, time.Second, 50)
	for i := range 10000 {
		e := ews.Event{Type: ews.ModifiedEvent, FolderId: ews.FolderId{Id: "f"}, TimeStamp: t0}
		e.Watermark = "w" + string(rune('0'+i%10)) + time.Duration(i).String()
		c.Add(i%2, e, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(c.Rows()); n > 50 {
		t.Errorf("%d rows kept, want at most 50", n)
	}
	probe := ews.Event{Type: ews.ModifiedEvent, FolderId: ews.FolderId{Id: "f"}, TimeStamp: t0}
	if n := len(c.byKey[CompareKey(&probe)]); n == 0 || n > 50 {
		t.Errorf("%d rows indexed under one key", n)
	}
	for tr := range c.seen {
		if len(c.seen[tr]) > 4*50+1 {
			t.Errorf("transport %d remembers %d watermarks", tr, len(c.seen[tr]))
		}
	}
}
