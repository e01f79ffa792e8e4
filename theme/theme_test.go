package theme

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
)

// colourSGR matches an SGR sequence that sets a foreground or background
// colour (30-37, 38;..., 40-47, 48;..., 90-97, 100-107).
var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m`)

func allRendered(s Styles) string {
	var b strings.Builder
	for _, st := range []interface{ Render(...string) string }{
		s.Text, s.Muted, s.Accent, s.Warn, s.Error, s.OK, s.Pane, s.PaneFocused, s.PaneTitle,
		s.PaneTitleFocused, s.Overlay, s.ColumnHeader, s.Selected, s.CascadeHeader, s.Badge,
		s.ErrorBanner, s.Sparkline, s.Unread, s.HelpKey, s.HelpDesc, s.HelpSep,
	} {
		b.WriteString(st.Render("x"))
	}
	for _, t := range append(ews.AllEventTypes, ews.StatusEvent) {
		b.WriteString(s.Event(t).Render("x"))
	}
	for _, c := range []ews.ConnState{ews.StateSubscribing, ews.StateOpen, ews.StateReconnecting,
		ews.StateClosed, ews.StateExpired, ews.StateUnsubscribed, ews.StateError} {
		b.WriteString(s.State(c).Render("x"))
	}
	return b.String()
}

func TestNoneHasNoColour(t *testing.T) {
	s := New("none")
	if !s.NoColor {
		t.Fatal("none theme does not report NoColor")
	}
	out := allRendered(s)
	if m := colourSGR.FindString(out); m != "" {
		t.Fatalf("none theme emits colour %q", m)
	}
	// The selection must still be visible without colour.
	if !strings.Contains(s.Selected.Render("x"), "\x1b[7m") {
		t.Fatalf("none theme selection is not reverse video: %q", s.Selected.Render("x"))
	}
}

func TestColourThemesColourEventKindsDistinctly(t *testing.T) {
	for _, name := range []string{"dark", "light"} {
		s := New(name)
		if s.NoColor {
			t.Fatalf("%s: reports NoColor", name)
		}
		seen := map[string]ews.EventType{}
		for _, et := range ews.AllEventTypes {
			r := s.Event(et).Render("x")
			if !colourSGR.MatchString(r) {
				t.Fatalf("%s: %s has no colour: %q", name, et, r)
			}
			if prev, dup := seen[r]; dup {
				t.Fatalf("%s: %s and %s look the same", name, prev, et)
			}
			seen[r] = et
		}
		if s.State(ews.StateOpen).Render("x") == s.State(ews.StateError).Render("x") {
			t.Fatalf("%s: open and error states look the same", name)
		}
	}
}

func TestParse(t *testing.T) {
	for _, n := range Names {
		s, err := Parse(n)
		if err != nil || s.Name != n {
			t.Fatalf("Parse(%q) = %q, %v", n, s.Name, err)
		}
	}
	if _, err := Parse("neon"); err == nil || !strings.Contains(err.Error(), "dark, light, none") {
		t.Fatalf("Parse(neon) error = %v", err)
	}
	if New("neon").Name != "dark" {
		t.Fatal("New with an unknown name is not dark")
	}
	if ForBackground(false).Name != "light" || ForBackground(true).Name != "dark" {
		t.Fatal("ForBackground picks the wrong theme")
	}
}
