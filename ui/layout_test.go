package ui

import (
	"errors"
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/theme"
)

// Every size draws a full screen of exactly that size, from tiny to wide,
// in every mode, without panicking.
func TestEverySizeFillsTheScreen(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.flowing()
	modes := []func(){
		func() {},
		func() { h.key("enter"); h.key("down"); h.key("enter") }, // detail
		func() { h.key("esc"); h.key("?") },                      // help
		func() { h.key("esc"); h.key("e") },                      // dialog
		func() { h.key("esc"); h.key("/") },                      // filter input
	}
	for _, mode := range modes {
		mode()
		for _, sz := range [][2]int{{20, 5}, {40, 10}, {59, 20}, {60, 20}, {80, 24}, {119, 40}, {120, 30}, {160, 48}, {250, 70}} {
			h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			lines := strings.Split(h.screen(), "\n")
			if len(lines) != sz[1] {
				t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != sz[0] {
					t.Fatalf("%dx%d: line %d is %d wide: %q", sz[0], sz[1], i, w, l)
				}
			}
		}
	}
}

func TestResizeRelayouts(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	if !strings.Contains(h.screen(), "─ Status ─") {
		t.Fatal("no status pane at 160x48")
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	scr := h.screen()
	if strings.Contains(scr, "─ Status ─") || !strings.HasPrefix(scr, "ewsmon · ● open") {
		t.Fatalf("at 80x24 the status is not a header line:\n%s", scr)
	}
	// Tab cycles only through the panes that are on screen.
	seen := map[paneID]bool{}
	for i := 0; i < 4; i++ {
		h.key("tab")
		seen[h.m.focus] = true
	}
	if seen[paneStatus] || !seen[paneFolders] || !seen[paneEvents] {
		t.Fatalf("tab visited %v at 80x24", seen)
	}
}

func TestThemeFollowsTerminalBackground(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.m.themeAuto = true
	h.send(tea.BackgroundColorMsg{Color: color.RGBA{R: 250, G: 250, B: 250, A: 255}})
	if h.m.c.styles.Name != "light" {
		t.Fatalf("light background gave theme %q", h.m.c.styles.Name)
	}
	h.send(tea.BackgroundColorMsg{Color: color.RGBA{A: 255}})
	if h.m.c.styles.Name != "dark" {
		t.Fatalf("dark background gave theme %q", h.m.c.styles.Name)
	}
	// A chosen theme (NO_COLOR: none) is not overridden.
	h2 := newHarness(t, 80, 24, false)
	h2.send(tea.BackgroundColorMsg{Color: color.RGBA{R: 250, G: 250, B: 250, A: 255}})
	if h2.m.c.styles.Name != "none" {
		t.Fatalf("theme none replaced by %q", h2.m.c.styles.Name)
	}
	if strings.Contains(h2.m.View().Content, "\x1b[38") {
		t.Fatal("theme none draws colours")
	}
}

func TestNoBackendIsAClearError(t *testing.T) {
	m := newModel(t.Context(), Options{ThemeName: "none"})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(keyMsg("s"))
	scr := ansi.Strip(m.View().Content)
	if !strings.Contains(scr, "no EWS server is configured — s to retry, q to quit") {
		t.Fatalf("no clear error:\n%s", scr)
	}
}

// Colour carries meaning: a cascade's marker has its kind's colour, an
// event type its own, the state its own.
func TestColoursMeanSomething(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.m.c.styles = theme.New("dark")
	h.m.c.stylesGen++
	h.flowing()
	h.key("up")
	h.key("up")
	h.key("enter") // expand the move
	h.key("G")     // and leave it (the selected row is drawn plain)
	out := h.m.View().Content
	s := h.m.c.styles
	for what, want := range map[string]string{
		"new-mail marker":  s.Event(ews.NewMailEvent).Render("▸"),
		"move marker":      s.Event(ews.MovedEvent).Render("▾"),
		"folder create":    s.Event(ews.CreatedEvent).Render("▸"),
		"Moved type":       s.Event(ews.MovedEvent).Render(fit("Moved", 9)),
		"Modified type":    s.Event(ews.ModifiedEvent).Render(fit("Modified", 9)),
		"open state":       s.State(ews.StateOpen).Render("● open"),
		"focused frame":    s.PaneTitleFocused.Render(" Events 14 "),
		"unfocused folder": s.PaneTitle.Render(" Folders "),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: %q not in the view", what, want)
		}
	}
}

// While the runner retries on its own, the reason is on screen at every
// size (the narrow header has no room for it), with what the user can do.
func TestReconnectingShowsTheReason(t *testing.T) {
	for _, w := range []int{80, 160} {
		h := newHarness(t, w, 24, false)
		h.synced()
		h.updates(ews.Update{At: t0.Add(time.Second), Mode: ews.ModeStreaming, State: ews.StateReconnecting, Reconnects: 2,
			Err: errors.New("cannot connect to https://mail.example.com/EWS/Exchange.asmx: connection refused")})
		scr := h.screen()
		if !strings.Contains(scr, "◌ cannot connect to https://mail.example.com/EWS/Exchange.asmx") || !strings.Contains(scr, "u to stop, q to quit") {
			t.Fatalf("%d columns: reason not shown:\n%s", w, scr)
		}
		h.updates(h.open(t0.Add(2 * time.Second)))
		if scr := h.screen(); strings.Contains(scr, "cannot connect") {
			t.Fatalf("%d columns: the reason stays after the connection opened:\n%s", w, scr)
		}
	}
}
