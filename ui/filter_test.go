package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/keymap"
)

// The filter prompt filters as the user types, edits anywhere in the line
// (home/end, ctrl+a/e, ←/→), and ↑/↓ bring back earlier filters.
func TestFilterLiveEditingAndHistory(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "type:Moved" {
		h.key(string(r))
	}
	// Live: applied before enter.
	if scr := h.screen(); !strings.Contains(scr, "Mail moved Inbox → Archive") || strings.Contains(scr, "New mail in Inbox") {
		t.Fatalf("typing type:Moved did not filter the list as typed:\n%s", scr)
	}
	// Home, then insert at the start of the line.
	h.send(tea.KeyPressMsg{Code: tea.KeyHome})
	for _, r := range "quarterly " {
		h.key(string(r))
	}
	if got := h.m.filterIn.Value(); got != "quarterly type:Moved" {
		t.Fatalf("after home and typing: %q", got)
	}
	// ctrl+e goes to the end again; ctrl+a to the start.
	h.send(tea.KeyPressMsg{Code: 'e', Mod: tea.ModCtrl})
	h.key("x")
	h.send(tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl})
	h.key("y")
	if got := h.m.filterIn.Value(); got != "yquarterly type:Movedx" {
		t.Fatalf("after ctrl+e x, ctrl+a y: %q", got)
	}
	// A term that does not parse keeps the last filter that did, and says why.
	if !strings.Contains(h.screen(), `unknown event type "Movedx"`) {
		t.Fatalf("no error for a half-typed type:\n%s", h.screen())
	}
	if f := h.m.st.Filter(); f.Text != "quarterly" || len(f.Types) != 1 {
		t.Fatalf("filter while the text does not parse: %+v, want the last good one", f)
	}
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // delete to the start (nothing before the cursor)
	h.send(tea.KeyPressMsg{Code: 'k', Mod: tea.ModCtrl}) // delete to the end
	for _, r := range "type:NewMail" {
		h.key(string(r))
	}
	h.key("enter")
	// esc in the prompt goes back to the filter it opened with.
	h.key("/")
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	for _, r := range "lunch" {
		h.key(string(r))
	}
	h.key("esc")
	if got := h.m.st.Filter().String(); got != "type:NewMail" {
		t.Fatalf("esc left the filter at %q, want type:NewMail back", got)
	}
	// History: ↑ shows the filters applied before, newest first; ↓ comes
	// back to the line being typed.
	h.key("/")
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	h.key("z")
	h.key("up")
	if got := h.m.filterIn.Value(); got != "type:NewMail" {
		t.Fatalf("↑ shows %q, want the last filter", got)
	}
	h.key("down")
	if got := h.m.filterIn.Value(); got != "z" {
		t.Fatalf("↓ after ↑ shows %q, want the line being typed", got)
	}
}

// The help bar and the ? screen name the keys as remapped.
func TestHelpShowsRemappedKeys(t *testing.T) {
	h := newHarness(t, 160, 48, false, func(o *Options) {
		o.Keys = keymap.DefaultKeyMap()
		if err := o.Keys.Override(map[string][]string{"copy": {"Y"}, "next-event": {"ctrl+n"}}); err != nil {
			t.Fatal(err)
		}
	})
	h.flowing()
	if !strings.Contains(h.screen(), "Y copy ids") {
		t.Fatalf("the help bar does not show the remapped copy key:\n%s", h.screen())
	}
	h.key("?")
	scr := h.screen()
	if !strings.Contains(scr, "Y     copy ids") || !strings.Contains(scr, "ctrl+n next event") {
		t.Fatalf("the ? screen does not show the remapped keys:\n%s", scr)
	}
}

// A paste (the terminal's bracketed paste) goes into the filter and is
// applied like typing.
func TestPasteIntoFilter(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	h.send(tea.PasteMsg{Content: "type:Moved"})
	if got := h.m.filterIn.Value(); got != "type:Moved" {
		t.Fatalf("after the paste the prompt holds %q", got)
	}
	if !strings.Contains(h.screen(), "filtered: type:Moved") {
		t.Fatalf("the pasted filter is not applied:\n%s", h.screen())
	}
}
