package ui

import (
	"strings"
	"testing"
	"time"
)

// With FrameInterval, a burst of updates inside one interval is drawn
// once: View returns the last frame until the frameMsg the burst
// scheduled arrives, then draws the newest state; after a quiet interval
// a change is drawn at once.
func TestFramePacing(t *testing.T) {
	h := newHarness(t, 160, 48, true, func(o *Options) { o.FrameInterval = 50 * time.Millisecond })
	h.synced()
	_ = h.screen() // a first frame
	before := h.m.FrameStats()

	h.clock.Advance(time.Second)
	at := t0.Add(10 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(1), 3)...)) // after a quiet second: drawn at once
	if s := h.screen(); !strings.Contains(s, "New mail in Inbox") {
		t.Fatalf("the first change after a quiet spell was not drawn:\n%s", s)
	}
	for i := 2; i <= 5; i++ { // a burst inside the interval (the clock stands still)
		at := t0.Add(time.Duration(10+i) * time.Second)
		h.updates(h.events(at, moveMail(at, itemID(1), itemID(i))...))
	}
	if s := h.screen(); strings.Contains(s, "Mail moved") {
		t.Fatalf("drawn inside the interval:\n%s", s)
	}
	st := h.m.FrameStats()
	if got := st.Frames - before.Frames; got != 1 {
		t.Errorf("%d frames for the burst so far, want 1 (the first change)", got)
	}
	if !h.m.frame.pending {
		t.Fatal("the burst scheduled no frame")
	}
	h.send(frameMsg{})
	if s := h.screen(); !strings.Contains(s, "Mail moved") {
		t.Fatalf("the frame after the burst does not show it:\n%s", s)
	}
	if got := h.m.FrameStats().Frames - before.Frames; got != 2 {
		t.Errorf("%d frames, want 2", got)
	}
	// Nothing changed since: a second frameMsg draws nothing.
	h.send(frameMsg{})
	_ = h.screen()
	if got := h.m.FrameStats().Frames - before.Frames; got != 2 {
		t.Errorf("an unchanged screen was drawn again: %d frames", got)
	}
}
