package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// After "authentication failed", s asks for the password (masked), hands it
// to SetSecret and subscribes again; esc cancels.
func TestPasswordPromptAfterAuthFailure(t *testing.T) {
	var got []string
	h := newHarness(t, 100, 30, false, func(o *Options) { o.SetSecret = func(s string) { got = append(got, s) } })
	h.synced()
	authErr := &ews.TransportError{URL: "https://mail.example.com/EWS/Exchange.asmx", StatusCode: 401,
		Msg: "authentication failed for alice@example.com at https://mail.example.com/EWS/Exchange.asmx: check user and password"}
	h.send(updatesMsg{gen: h.m.gen, ch: h.m.ch, closed: true, updates: []ews.Update{{
		At: t0.Add(2 * time.Second), Mode: ews.ModeStreaming, State: ews.StateError, Err: authErr}}})
	if scr := h.screen(); !strings.Contains(scr, "s to type the password again") {
		t.Fatalf("the banner does not offer the password:\n%s", scr)
	}
	h.key("s")
	if h.m.modes.top() != modePassword {
		t.Fatalf("s after an authentication failure did not ask for the password (mode %v)", h.m.modes.top())
	}
	for _, r := range "hunter2" {
		h.key(string(r))
	}
	scr := h.screen()
	if strings.Contains(scr, "hunter2") || !strings.Contains(scr, "password for alice@example.com: *******") {
		t.Fatalf("the password prompt does not mask:\n%s", scr)
	}
	watches := h.be.numWatches()
	h.key("enter")
	if len(got) != 1 || got[0] != "hunter2" {
		t.Fatalf("SetSecret got %q", got)
	}
	if h.be.numWatches() != watches+1 {
		t.Fatal("enter did not subscribe again")
	}
	if h.m.filterIn.Value() == "hunter2" || len(h.m.passwordIn.history) != 0 || h.m.passwordIn.Value() != "" {
		t.Fatal("the password is kept")
	}
	// Without SetSecret, s just retries.
	h2 := newHarness(t, 100, 30, false)
	h2.send(updatesMsg{gen: h2.m.gen, ch: h2.m.ch, closed: true, updates: []ews.Update{{
		At: t0.Add(2 * time.Second), Mode: ews.ModeStreaming, State: ews.StateError, Err: authErr}}})
	n := h2.be.numWatches()
	h2.key("s")
	if h2.m.modes.top() == modePassword || h2.be.numWatches() != n+1 {
		t.Fatal("without SetSecret, s does not simply retry")
	}
}
