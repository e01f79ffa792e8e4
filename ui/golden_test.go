package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/ewsmon/ewsmon/ews"
)

// screen is the plain text of the view.
func (h *harness) screen() string {
	return ansi.Strip(h.m.View().Content)
}

var scenarios = []struct {
	name string
	run  func(h *harness)
}{
	{"startup", func(h *harness) {}},
	{"flowing", func(h *harness) { h.flowing() }},
	{"paused_with_new", func(h *harness) {
		h.flowing()
		h.key("space")
		at := t0.Add(60 * time.Second)
		h.updates(h.events(at, newMail(at, itemID(5), 3)...))
		at = t0.Add(70 * time.Second)
		h.updates(h.events(at, moveMail(at, itemID(2), itemID(6))...))
		h.items()
	}},
	{"cascade_expanded", func(h *harness) {
		h.flowing()
		h.key("up")
		h.key("up")
		h.key("enter")
		h.items()
	}},
	{"detail_open", func(h *harness) {
		h.flowing()
		h.key("enter") // expand the newest cascade (new mail)
		h.key("down")  // its CreatedEvent
		h.key("down")  // its NewMailEvent
		h.key("enter") // open it
		h.send(detailItemMsg{seq: h.m.detail.Seq(), item: h.be.items[itemID(4)]})
	}},
	{"help_open", func(h *harness) {
		h.flowing()
		h.key("?")
	}},
	{"filter_prompt", func(h *harness) {
		h.flowing()
		h.key("/")
		for _, r := range "type:NewMail lunch" {
			h.key(string(r))
		}
		h.send(tea.KeyPressMsg{Code: tea.KeyLeft}) // the cursor inside the line
	}},
	{"types_dialog", func(h *harness) {
		h.flowing()
		h.key("e")
		h.key("down")
		h.key("space")
	}},
	{"detail_search", func(h *harness) {
		h.flowing()
		h.key("enter")
		h.key("down")
		h.key("down")
		h.key("enter")
		h.send(detailItemMsg{seq: h.m.detail.Seq(), item: h.be.items[itemID(4)]})
		h.key("/")
		for _, r := range "folder" {
			h.key(string(r))
		}
	}},
	{"reference", func(h *harness) {
		h.flowing()
		h.key("C")
	}},
	{"password_prompt", func(h *harness) {
		h.m.opts.SetSecret = func(string) {}
		h.synced()
		h.send(updatesMsg{gen: h.m.gen, ch: h.m.ch, closed: true, updates: []ews.Update{{
			At: t0.Add(2 * time.Second), Mode: ews.ModeStreaming, State: ews.StateError,
			Err: &ews.TransportError{StatusCode: 401, Msg: "authentication failed for alice@example.com at https://mail.example.com/EWS/Exchange.asmx: check user and password"},
		}}})
		h.key("s")
		for _, r := range "secret" {
			h.key(string(r))
		}
	}},
	{"error", func(h *harness) {
		h.synced()
		h.send(updatesMsg{gen: h.m.gen, ch: h.m.ch, closed: true, updates: []ews.Update{{
			At: t0.Add(2 * time.Second), Mode: ews.ModeStreaming, State: ews.StateError,
			Err: errors.New("cannot reach https://mail.example.com/EWS/Exchange.asmx: dial tcp 192.0.2.10:443: connect: connection refused"),
		}}})
	}},
}

func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%dx%d_%s", size[0], size[1], sc.name), func(t *testing.T) {
				h := newHarness(t, size[0], size[1], true)
				sc.run(h)
				requireGoldenScreen(t, h.screen(), size[0], size[1])
			})
		}
	}
}

// requireGoldenScreen checks that a screen fills width x height cells
// exactly, then compares it with its golden file.
func requireGoldenScreen(t *testing.T, out string, width, height int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != height {
		t.Fatalf("view has %d lines, want %d", len(lines), height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != width {
			t.Fatalf("line %d is %d cells wide, want %d: %q", i, w, width, l)
		}
	}
	golden.RequireEqual(t, out)
}
