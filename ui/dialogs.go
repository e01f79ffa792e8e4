package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// parseFilter reads the `/` filter: `type:NewMail` (repeatable),
// `folder:Inbox` or `folder:"Sent Items"` (a display name), and free text.
func parseFilter(s string, tree *model.FolderTree) (model.Filter, error) {
	var f model.Filter
	var text []string
	for _, tok := range splitQuoted(s) {
		k, v, ok := strings.Cut(tok, ":")
		switch {
		case ok && strings.EqualFold(k, "type"):
			t, ok := ews.ParseEventType(v)
			if !ok || t == ews.StatusEvent {
				return f, fmt.Errorf("filter: unknown event type %q (use NewMail, Created, Deleted, Modified, Moved, Copied or FreeBusyChanged)", v)
			}
			if f.Types == nil {
				f.Types = map[ews.EventType]bool{}
			}
			f.Types[t] = true
		case ok && strings.EqualFold(k, "folder"):
			id := findFolder(tree, v)
			if id == "" {
				return f, fmt.Errorf("filter: no folder named %q", v)
			}
			f.FolderId = id
		default:
			text = append(text, tok)
		}
	}
	f.Text = strings.Join(text, " ")
	return f, nil
}

// findFolder finds a folder by display name (case-insensitive) or id.
func findFolder(tree *model.FolderTree, name string) string {
	for _, n := range tree.Flatten(nil) {
		if strings.EqualFold(n.Folder.DisplayName, name) || n.Folder.FolderId.Id == name {
			return n.Folder.FolderId.Id
		}
	}
	return ""
}

// splitQuoted splits on spaces, keeping "double quoted" runs together
// (quotes removed).
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// filterText is the filter written back in the `/` syntax.
func filterText(f model.Filter, tree *model.FolderTree) string {
	var parts []string
	for _, t := range ews.AllEventTypes {
		if f.Types[t] {
			parts = append(parts, "type:"+t.Short())
		}
	}
	if f.FolderId != "" {
		n := tree.Name(f.FolderId)
		if strings.Contains(n, " ") {
			n = `"` + n + `"`
		}
		parts = append(parts, "folder:"+n)
	}
	if f.Text != "" {
		parts = append(parts, f.Text)
	}
	return strings.Join(parts, " ")
}

// typesDialog is the `e` checklist of event types to subscribe to.
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
