package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpPane is the full help (`?`): every enabled binding, grouped, packed
// into as many columns as fit; it scrolls when they do not.
type helpPane struct {
	c    *common
	w, h int
	sc   scroller
}

func newHelpPane(c *common) *helpPane { return &helpPane{c: c, sc: newScroller(false)} }

func (p *helpPane) SetSize(w, h int) {
	p.w, p.h = w, h
	p.sc.SetSize(w-2, h-2)
}

// Reset shows the help from the top.
func (p *helpPane) Reset()          { p.sc.vp.GotoTop() }
func (p *helpPane) SetFocused(bool) {}

func (p *helpPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{k.Up, k.Down, k.Back, k.Quit}
}

func (p *helpPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	p.sc.Update(msg, p.c.keys)
	return p, nil
}

// blocks renders each group as lines: a title, then its keys and what they
// do in two columns (the bubbles help component's full view).
func (p *helpPane) blocks() [][]string {
	s := p.c.styles
	hm := helpModel(p.c)
	var out [][]string
	for _, g := range p.c.keys.Groups() {
		var acts []key.Binding
		for _, a := range g.Actions {
			if !a.Binding.Enabled() {
				continue
			}
			acts = append(acts, *a.Binding)
		}
		if len(acts) == 0 {
			continue
		}
		lines := []string{s.Bold.Render(g.Title)}
		lines = append(lines, strings.Split(hm.FullHelpView([][]key.Binding{acts}), "\n")...)
		out = append(out, lines)
	}
	return out
}

// lines lays the group blocks out in columns: the shortest columns that
// still fit side by side in width; if none do, columns of at most height
// lines with further rows below (the pane scrolls).
func (p *helpPane) lines(width, height int) []string {
	blocks := p.blocks()
	tallest := 0
	for _, b := range blocks {
		tallest = max(tallest, len(b))
	}
	for h := tallest; h < height; h++ {
		if out, rows := packHelp(blocks, width, h); rows == 1 {
			return out
		}
	}
	out, _ := packHelp(blocks, width, height)
	return out
}

// packHelp packs blocks into columns of at most height lines, columns side
// by side while they fit in width; rows is how many rows of columns it took.
func packHelp(blocks [][]string, width, height int) (out []string, rows int) {
	const gap = 3
	type column struct {
		lines []string
		w     int
	}
	var cols []column
	cur := column{}
	for _, b := range blocks {
		need := len(b)
		if len(cur.lines) > 0 {
			need++ // blank line between groups
		}
		if len(cur.lines) > 0 && len(cur.lines)+need > height {
			cols = append(cols, cur)
			cur = column{}
		}
		if len(cur.lines) > 0 {
			cur.lines = append(cur.lines, "")
		}
		for _, l := range b {
			cur.lines = append(cur.lines, l)
			cur.w = max(cur.w, ansi.StringWidth(l))
		}
	}
	if len(cur.lines) > 0 {
		cols = append(cols, cur)
	}
	for len(cols) > 0 {
		rows++
		// Take as many columns as fit side by side.
		n, used := 0, 0
		for n < len(cols) && (n == 0 || used+gap+cols[n].w <= width) {
			if n > 0 {
				used += gap
			}
			used += cols[n].w
			n++
		}
		rowH := 0
		for _, c := range cols[:n] {
			rowH = max(rowH, len(c.lines))
		}
		for i := 0; i < rowH; i++ {
			var b strings.Builder
			for j, c := range cols[:n] {
				l := ""
				if i < len(c.lines) {
					l = c.lines[i]
				}
				if j < n-1 {
					b.WriteString(fit(l, c.w+gap))
				} else {
					b.WriteString(l)
				}
			}
			out = append(out, b.String())
		}
		cols = cols[n:]
		if len(cols) > 0 {
			out = append(out, "")
		}
	}
	return out, rows
}

func (p *helpPane) View() string {
	inner := max(p.w-4, 1)
	lh := max(p.h-2, 1)
	lines := p.lines(inner, lh)
	st := p.c.styles
	lines = append(lines, "",
		st.Bold.Render("Filter")+st.Muted.Render(" (/): ")+`words  type:NewMail  folder:Inbox  folder:"Sent Items"`,
		st.Muted.Render("the list follows as you type; ↑/↓ earlier filters; enter keeps it, esc goes back; esc in the list clears it"),
		st.Muted.Render("In the event detail, / searches its text and the XML (enter: next match)."))
	for i, l := range lines {
		lines[i] = " " + l
	}
	p.sc.SetLines(lines)
	return frame(p.c.styles, "Keys", "esc/? close", strings.Split(p.sc.View(), "\n"), p.w, p.h, true)
}

// helpModel is the bubbles help component in the theme's roles.
func helpModel(c *common) help.Model {
	s := c.styles
	h := help.New()
	h.ShortSeparator = " · "
	h.FullSeparator = "   "
	h.Styles = help.Styles{
		Ellipsis: s.HelpSep, ShortKey: s.HelpKey, ShortDesc: s.HelpDesc, ShortSeparator: s.HelpSep,
		FullKey: s.HelpKey, FullDesc: s.HelpDesc, FullSeparator: s.HelpSep,
	}
	return h
}

// shortHelpLine renders bindings as "key desc · key desc" with the bubbles
// help component, cut to width. "? help" (the way to every other key) is
// kept at the end when the others do not all fit.
func shortHelpLine(c *common, bindings []key.Binding, width int) string {
	h := helpModel(c)
	helpKey := c.keys.Help.Help()
	var rest []key.Binding
	tail := ""
	for _, b := range bindings {
		if b.Enabled() && b.Help() == helpKey {
			tail = h.ShortHelpView([]key.Binding{b})
			continue
		}
		rest = append(rest, b)
	}
	if tail != "" {
		h.SetWidth(max(width-ansi.StringWidth(tail)-3, 1))
	} else {
		h.SetWidth(width)
	}
	line := h.ShortHelpView(rest)
	if tail != "" {
		if line != "" {
			line += c.styles.HelpSep.Render(h.ShortSeparator)
		}
		line += tail
	}
	return fit(line, width)
}
