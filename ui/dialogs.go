package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
)

// typesDialog is the `e` checklist of event types to subscribe to: seven
// fixed rows with a checkbox each, which bubbles' list (filtering,
// pagination, a delegate per item) would only complicate.
type typesDialog struct {
	c      *common
	cursor int
	on     map[ews.EventType]bool
}

func newTypesDialog(c *common, current []ews.EventType) *typesDialog {
	d := &typesDialog{c: c, on: map[ews.EventType]bool{}}
	if len(current) == 0 {
		current = ews.AllEventTypes
	}
	for _, t := range current {
		d.on[t] = true
	}
	return d
}

// Update handles a key; done says the dialog closes, apply that its choice
// is to be used.
func (d *typesDialog) Update(msg tea.KeyPressMsg) (done, apply bool) {
	k := d.c.keys
	n := len(ews.AllEventTypes)
	switch {
	case key.Matches(msg, k.Up):
		d.cursor = (d.cursor + n - 1) % n
	case key.Matches(msg, k.Down):
		d.cursor = (d.cursor + 1) % n
	case msg.String() == "space" || msg.String() == "x":
		t := ews.AllEventTypes[d.cursor]
		d.on[t] = !d.on[t]
	case msg.String() == "a":
		all := len(d.Chosen()) == n
		for _, t := range ews.AllEventTypes {
			d.on[t] = !all
		}
	case key.Matches(msg, k.Enter):
		return true, len(d.Chosen()) > 0
	case key.Matches(msg, k.Back):
		return true, false
	}
	return false, false
}

// Chosen is the checked types in ews.AllEventTypes order.
func (d *typesDialog) Chosen() []ews.EventType {
	var out []ews.EventType
	for _, t := range ews.AllEventTypes {
		if d.on[t] {
			out = append(out, t)
		}
	}
	return out
}

func (d *typesDialog) View() string {
	s := d.c.styles
	lines := []string{s.Bold.Render("Subscribe to event types"), ""}
	for i, t := range ews.AllEventTypes {
		box := "[ ]"
		if d.on[t] {
			box = "[x]"
		}
		g := "  "
		if i == d.cursor {
			g = "› "
		}
		line := g + box + " " + s.Event(t).Render(fit(t.Short(), 16))
		if i == d.cursor {
			line = s.Selected.Render(stripped(line))
		}
		lines = append(lines, line)
	}
	lines = append(lines, "", s.Muted.Render("space toggle · a all/none"), s.Muted.Render("enter resubscribe · esc cancel"))
	if len(d.Chosen()) == 0 {
		lines = append(lines, s.Warn.Render("choose at least one"))
	}
	return s.Overlay.Render(strings.Join(lines, "\n"))
}
