package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/theme"
)

// width is the cells s takes; plain ASCII (the common case) is counted
// without grapheme segmentation.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c == 0x1b || c < 0x20 {
			if n, ok := simpleWidth(s); ok {
				return n
			}
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// simpleWidth counts the cells of a styled line the dashboard draws —
// SGR sequences (ESC [ … m), ASCII and the one-cell symbols of its
// borders, markers and punctuation (narrowRune) — without grapheme
// segmentation, which was a third of View's time. ok is false for
// anything else (other escapes, control bytes, other scripts, emoji,
// combining marks), which ansi.StringWidth then counts.
func simpleWidth(s string) (n int, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			if i+1 >= len(s) || s[i+1] != '[' {
				return 0, false
			}
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				if s[j] < 0x20 || s[j] >= 0x80 {
					return 0, false
				}
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				return 0, false
			}
			i = j + 1
		case c < 0x20 || c == 0x7f:
			return 0, false
		case c < 0x80:
			n++
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrowRune(r) {
				return 0, false
			}
			n++
			i += size
		}
	}
	return n, true
}

// narrowRune: a rune of one cell and its own grapheme in every terminal
// the dashboard targets (TestNarrowRunesAreOneCell checks each against
// ansi.StringWidth): Latin-1 and Latin Extended letters, general
// punctuation (dashes, quotes, bullet, ellipsis), arrows, box drawing,
// block elements, geometric shapes but the two emoji among them, braille
// (the spinner).
func narrowRune(r rune) bool {
	switch {
	case r >= 0xa0 && r <= 0x2ff:
		return r != 0xad // the soft hyphen
	case r >= 0x2010 && r <= 0x2027, r >= 0x2030 && r <= 0x205e:
		return true
	case r >= 0x2190 && r <= 0x21ff, r >= 0x2500 && r <= 0x25fc:
		return true
	case r == 0x25ff, r >= 0x2800 && r <= 0x28ff:
		return true
	}
	return false
}

// fit truncates s (plain or styled) to w cells, with an ellipsis, and pads it
// with spaces to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// fitRight is fit with the text aligned to the right.
func fitRight(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return strings.Repeat(" ", w-sw) + s
}

// spread puts left and right on one line of width w, right-aligned right.
func spread(left, right string, w int) string {
	rw := width(right)
	if rw >= w {
		return fit(right, w)
	}
	return fit(left, w-rw) + right
}

// frame draws a w×h box with a title (and an optional right-hand note) in
// its top border around lines; lines are cut or padded to fit. The focused
// pane gets the thick accent border, so focus shows without colour too.
func frame(st theme.Styles, title, note string, lines []string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return blank(w, h)
	}
	b := lipgloss.NormalBorder()
	bs := st.Pane
	ts := st.PaneTitle
	if focused {
		b = lipgloss.ThickBorder()
		bs = st.PaneFocused
		ts = st.PaneTitleFocused
	}
	bc := lipgloss.NewStyle().Foreground(bs.GetBorderTopForeground())
	if st.NoColor {
		bc = lipgloss.NewStyle()
	}
	inner := w - 2

	// Top border: ┌─ Title ──── note ─┐
	var top strings.Builder
	top.WriteString(bc.Render(b.TopLeft + b.Top))
	used := 1
	if title != "" {
		t := ansi.Truncate(" "+title+" ", inner-1, "…")
		top.WriteString(ts.Render(t))
		used += ansi.StringWidth(t)
	}
	if note != "" && inner-used-2 > 4 {
		n := ansi.Truncate(" "+note+" ", inner-used-2, "…")
		nw := ansi.StringWidth(n)
		top.WriteString(bc.Render(strings.Repeat(b.Top, inner-used-nw-1)))
		top.WriteString(n)
		top.WriteString(bc.Render(b.Top))
	} else if inner > used {
		top.WriteString(bc.Render(strings.Repeat(b.Top, inner-used)))
	}
	top.WriteString(bc.Render(b.TopRight))

	var out strings.Builder
	out.WriteString(top.String())
	left, right := bc.Render(b.Left), bc.Render(b.Right)
	for i := 0; i < h-2; i++ {
		out.WriteByte('\n')
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		out.WriteString(left)
		out.WriteString(fit(line, inner))
		out.WriteString(right)
	}
	out.WriteByte('\n')
	out.WriteString(bc.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight))
	return out.String()
}

// joinColumns puts blocks side by side; each must be a rectangle of exact
// width (every pane draws itself so), so no widths are measured here.
func joinColumns(blocks ...string) string {
	if len(blocks) == 1 {
		return blocks[0]
	}
	split := make([][]string, len(blocks))
	rows := 0
	for i, b := range blocks {
		split[i] = strings.Split(b, "\n")
		rows = max(rows, len(split[i]))
	}
	var out strings.Builder
	for r := 0; r < rows; r++ {
		if r > 0 {
			out.WriteByte('\n')
		}
		for _, lines := range split {
			if r < len(lines) {
				out.WriteString(lines[r])
			}
		}
	}
	return out.String()
}

// blank is a w×h area of spaces.
func blank(w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	line := strings.Repeat(" ", w)
	lines := make([]string, h)
	for i := range lines {
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// block pads or cuts s to exactly w×h cells.
func block(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return strings.Join(lines, "\n")
}

// sparkline draws counts as ▁▂▃▄▅▆▇█ scaled to the largest; zero is a space.
func sparkline(counts []int) string {
	const bars = "▁▂▃▄▅▆▇█"
	runes := []rune(bars)
	max := 0
	for _, c := range counts {
		if c > max {
			max = c
		}
	}
	var b strings.Builder
	for _, c := range counts {
		switch {
		case c <= 0 || max == 0:
			b.WriteRune(' ')
		default:
			i := (c*len(runes) - 1) / max
			if i >= len(runes) {
				i = len(runes) - 1
			}
			b.WriteRune(runes[i])
		}
	}
	return b.String()
}

// stripped is s without ANSI sequences.
func stripped(s string) string { return ansi.Strip(s) }

// wrap breaks plain text into lines of at most w cells (long words are cut).
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, " /"), "\n")
}

// plural is "1 event", "2 events".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
