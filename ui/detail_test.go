package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// openNewestEvent opens the detail of the newest cascade's last event.
func (h *harness) openNewestEvent() {
	h.t.Helper()
	h.key("enter") // expand the newest cascade
	h.key("G")
	h.key("enter")
	if !h.m.modes.has(modeDetail) {
		h.t.Fatal("the detail did not open")
	}
}

// y copies the selected event's ids to the clipboard through OSC 52, in
// the list and in the detail view.
func TestCopyIDs(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	cmd := h.key("y")
	if cmd == nil {
		t.Fatal("y gives no command")
	}
	msg := cmd()
	if fmt.Sprintf("%T", msg) != "tea.setClipboardMsg" {
		t.Fatalf("y gives %T, want tea.SetClipboard's message", msg)
	}
	text := fmt.Sprint(msg)
	for _, want := range []string{"ItemId AAMkItem0004", "ParentFolderId " + idInbox, "SubscriptionId SUBabc123def456"} {
		if !strings.Contains(text, want) {
			t.Errorf("clipboard %q lacks %q", text, want)
		}
	}
	if !strings.Contains(h.screen(), "copied ItemId, ParentFolderId, SubscriptionId to the clipboard") {
		t.Fatalf("y does not say what it copied:\n%s", h.screen())
	}
	h.openNewestEvent()
	if cmd := h.key("y"); cmd == nil || !strings.Contains(fmt.Sprint(cmd()), "SubscriptionId") {
		t.Fatal("y in the detail view copies nothing")
	}
}

// n and p step to the next and the previous event inside the detail view.
func TestDetailNextPrevious(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("n")
	if !strings.Contains(h.screen(), "n/p step through the events in the detail view") {
		t.Fatalf("n in the list says nothing:\n%s", h.screen())
	}
	h.openNewestEvent()
	last := h.m.detail.Seq()
	h.key("p")
	if got := h.m.detail.Seq(); got != last-1 {
		t.Fatalf("p shows event #%d, want #%d", got, last-1)
	}
	if !h.m.modes.has(modeDetail) || !strings.Contains(h.screen(), fmt.Sprintf("#%d", last-1)) {
		t.Fatalf("p left the detail view:\n%s", h.screen())
	}
	h.key("n")
	if got := h.m.detail.Seq(); got != last {
		t.Fatalf("n shows event #%d, want #%d", got, last)
	}
	h.key("n")
	if got := h.m.detail.Seq(); got != last || !strings.Contains(h.screen(), "this is the newest event") {
		t.Fatalf("n on the newest event: #%d\n%s", got, h.screen())
	}
	// With a filter, n and p step over what it hides.
	h.key("esc")
	h.key("/")
	for _, r := range "type:NewMail" {
		h.key(string(r))
	}
	h.key("enter")
	h.key("G")
	h.key("enter") // the newest NewMail cascade's header: expand
	h.key("down")
	h.key("enter")
	h.key("p")
	if ev := h.m.detail.entry.Event; string(ev.Type) != "NewMailEvent" {
		t.Fatalf("p with type:NewMail shows a %s", ev.Type)
	}
}

// `/` in the detail view searches its text, the raw XML included; enter
// goes to the next match.
func TestDetailSearch(t *testing.T) {
	h := newHarness(t, 100, 20, false)
	h.flowing()
	h.openNewestEvent()
	h.key("p") // the NewMailEvent: it carries its envelope
	h.key("/")
	if h.m.modes.top() != modeSearch {
		t.Fatalf("/ in the detail view opened mode %v", h.m.modes.top())
	}
	for _, r := range "folder" {
		h.key(string(r))
	}
	if n := len(h.m.detail.matches); n < 2 {
		t.Fatalf("%d lines hold folder, want FolderId and ParentFolderId", n)
	}
	content := strings.Split(h.m.detail.sc.vp.GetContent(), "\n")
	inXML := false
	for _, i := range h.m.detail.matches {
		inXML = inXML || strings.Contains(stripped(content[i]), "<t:ParentFolderId")
	}
	if !inXML {
		t.Fatal("the search does not look in the raw XML")
	}
	first := h.m.detail.cur
	h.key("enter")
	if h.m.detail.cur == first {
		t.Fatal("enter did not go to the next match")
	}
	if !strings.Contains(h.screen(), fmt.Sprintf(`"folder" %d/%d`, h.m.detail.cur+1, len(h.m.detail.matches))) {
		t.Fatalf("the search's place is not shown:\n%s", h.screen())
	}
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	for _, r := range "nosuchtext" {
		h.key(string(r))
	}
	if !strings.Contains(h.screen(), "no match") {
		t.Fatalf("a search with no match does not say so:\n%s", h.screen())
	}
	h.key("esc")
	if h.m.modes.top() != modeDetail {
		t.Fatal("esc did not close the search")
	}
}
