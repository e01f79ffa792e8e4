package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// compareColumns are the event list's trailing columns in the comparison:
// one per transport, its delay after the first arrival ("+0ms",
// "+812ms"), "missed" once settled without it, "×2" when repeated, "…"
// while pending. Every state is a word or a mark, so it reads without
// colour.
type compareColumns struct {
	c   *common
	cmp *comparison
}

// colWidth is one transport's column at an inner list width.
func (cc compareColumns) colWidth(inner int) int {
	if inner >= 120 {
		return 11
	}
	return 8
}

func (cc compareColumns) width(inner int) int {
	return len(cc.cmp.names) * (1 + cc.colWidth(inner))
}

func (cc compareColumns) header(inner int) string {
	w := cc.colWidth(inner)
	var b strings.Builder
	for _, n := range cc.cmp.names {
		b.WriteString(" " + fitRight(abbrev(n, w), w))
	}
	return b.String()
}

// abbrev shortens a transport's name to w cells ("streaming" → "stream").
func abbrev(n string, w int) string {
	if len(n) <= w {
		return n
	}
	return n[:min(w, 6)]
}

func (cc compareColumns) entry(e *model.Entry, inner int) string {
	w := cc.colWidth(inner)
	row := cc.cmp.rows[e.Seq]
	var b strings.Builder
	for t := range cc.cmp.names {
		cell := ""
		if row != nil {
			cell = cc.cell(row, t, w)
		}
		b.WriteString(" " + cell)
	}
	return b.String()
}

// cell is transport t's arrival of row, w cells wide.
func (cc compareColumns) cell(row *model.CompareRow, t, w int) string {
	s := cc.c.styles
	d, ok := row.Delay(t)
	switch {
	case ok:
		txt := signedDelay(d)
		if n := row.Count[t]; n > 1 {
			return fitRight(txt+s.Warn.Render(fmt.Sprintf("×%d", n)), w)
		}
		if d == 0 {
			return s.OK.Render(fitRight(txt, w))
		}
		return fitRight(txt, w)
	case row.Missed[t]:
		return s.Error.Render(fitRight("missed", w))
	}
	return s.Muted.Render(fitRight("…", w))
}

// cascade is the trailing columns of a cascade's header: per transport the
// worst of its events (missed if it missed any, else the longest delay).
func (cc compareColumns) cascade(c *model.Cascade, inner int) string {
	w := cc.colWidth(inner)
	s := cc.c.styles
	var b strings.Builder
	for t := range cc.cmp.names {
		var worst time.Duration
		missed, pending, any := 0, false, false
		for _, e := range c.Entries {
			row := cc.cmp.rows[e.Seq]
			if row == nil {
				continue
			}
			any = true
			if d, ok := row.Delay(t); ok {
				worst = max(worst, d)
			} else if row.Missed[t] {
				missed++
			} else {
				pending = true
			}
		}
		cell := ""
		switch {
		case !any:
		case missed > 0:
			cell = s.Error.Render(fitRight(fmt.Sprintf("%d missed", missed), w))
		case pending:
			cell = s.Muted.Render(fitRight("…", w))
		default:
			cell = s.Muted.Render(fitRight("≤"+signedDelay(worst), w))
		}
		b.WriteString(" " + fit(cell, w))
	}
	return b.String()
}

// signedDelay is a delay after the first arrival: "+812ms"; "-3ms" when
// the runner stamped its arrival before the one that came through first
// (the merged channel does not keep the runners' clocks in order).
func signedDelay(d time.Duration) string {
	if d < 0 {
		return "-" + shortDuration(-d)
	}
	return "+" + shortDuration(d)
}

// shortDuration is a delay in at most 5 cells: 0ms, 812ms, 1.23s, 12.3s,
// 123s, 45m.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d < 100*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < 1000*time.Second:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// humanBytes is a byte count in binary units: 812 B, 12.3 KiB, 4.1 MiB.
func humanBytes(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < 10*k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	case n < k*k:
		return fmt.Sprintf("%d KiB", n/k)
	case n < 10*k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	case n < k*k*k:
		return fmt.Sprintf("%d MiB", n/(k*k))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(k*k*k))
}

// summaryPane is the comparison's figures, a row per transport. Its
// columns are dropped from the least telling up until they fit. A
// hand-written table: the bubbles table draws its own selection and
// borders, and this pane has neither rows to select nor room to spare.
type summaryPane struct {
	c       *common
	cmp     *comparison
	w, h    int
	focused bool
}

func newSummaryPane(c *common, cmp *comparison) *summaryPane { return &summaryPane{c: c, cmp: cmp} }

func (p *summaryPane) SetSize(w, h int)               { p.w, p.h = w, h }
func (p *summaryPane) SetFocused(f bool)              { p.focused = f }
func (p *summaryPane) Update(tea.Msg) (pane, tea.Cmd) { return p, nil }
func (p *summaryPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{k.Subscribe, k.Unsubscribe, k.NextPane, k.Help}
}

// summaryHeight is the pane's height: borders, the column titles, a row
// per transport and the legend.
func (p *summaryPane) summaryHeight() int { return len(p.cmp.names) + 4 }

// summaryCol is one column of the summary: its title, width, and its
// text for a transport. drop orders the columns to leave out when the
// pane is narrow (higher first; 0 never).
type summaryCol struct {
	title string
	w     int
	drop  int
	right bool
	text  func(t int, s model.TransportStats) string
}

func (p *summaryPane) columns() []summaryCol {
	sty := p.c.styles
	dur := func(d time.Duration, s model.TransportStats) string {
		if s.Events == 0 {
			return "–"
		}
		return shortDuration(d)
	}
	return []summaryCol{
		{title: "Transport", w: 9, text: func(t int, s model.TransportStats) string { return s.Name }},
		{title: "State", w: 16, drop: 3, text: func(t int, s model.TransportStats) string {
			return stateText(p.c, p.cmp.states[t])
		}},
		{title: "Events", w: 6, right: true, text: func(t int, s model.TransportStats) string { return fmt.Sprint(s.Events) }},
		{title: "First", w: 5, right: true, text: func(t int, s model.TransportStats) string { return fmt.Sprint(s.First) }},
		{title: "Missed", w: 6, right: true, text: func(t int, s model.TransportStats) string {
			if s.Missed > 0 {
				return sty.Error.Render(fmt.Sprint(s.Missed))
			}
			return fmt.Sprint(s.Missed)
		}},
		{title: "Dup", w: 4, right: true, text: func(t int, s model.TransportStats) string {
			if s.Duplicated > 0 {
				return sty.Warn.Render(fmt.Sprint(s.Duplicated))
			}
			return fmt.Sprint(s.Duplicated)
		}},
		{title: "Gaps", w: 4, drop: 3, right: true, text: func(t int, s model.TransportStats) string {
			if s.Gaps > 0 {
				return sty.Warn.Render(fmt.Sprint(s.Gaps))
			}
			return fmt.Sprint(s.Gaps)
		}},
		{title: "Median", w: 6, right: true, text: func(t int, s model.TransportStats) string { return dur(s.Median, s) }},
		{title: "P99", w: 6, right: true, text: func(t int, s model.TransportStats) string { return dur(s.P99, s) }},
		{title: "Requests", w: 8, drop: 1, right: true, text: func(t int, s model.TransportStats) string { return fmt.Sprint(s.Requests) }},
		{title: "Sent", w: 8, drop: 2, right: true, text: func(t int, s model.TransportStats) string { return humanBytes(s.BytesSent) }},
		{title: "Received", w: 8, drop: 2, right: true, text: func(t int, s model.TransportStats) string { return humanBytes(s.BytesRecv) }},
	}
}

// fitColumns leaves out columns, highest drop first, until they fit w.
func fitColumns(cols []summaryCol, w int) []summaryCol {
	total := func(cs []summaryCol) int {
		n := 0
		for _, c := range cs {
			n += c.w + 1
		}
		return n
	}
	for level := 3; level > 0 && total(cols) > w; level-- {
		var kept []summaryCol
		for _, c := range cols {
			if c.drop != level {
				kept = append(kept, c)
			}
		}
		cols = kept
	}
	return cols
}

func (p *summaryPane) View() string {
	s := p.c.styles
	inner := max(p.w-2, 0)
	cols := fitColumns(p.columns(), inner)
	if cols[1].title != "State" {
		// No room for the state's words: its mark goes before the name
		// (●, ✖, ○ and the spinner read without colour too).
		name := cols[0]
		name.w += 2
		name.text = func(t int, st model.TransportStats) string {
			state := p.cmp.states[t]
			mark, _, _ := strings.Cut(ansi.Strip(stateText(p.c, state)), " ")
			return s.State(stateOrSubscribing(state)).Render(mark) + " " + st.Name
		}
		cols[0] = name
	}
	cell := func(c summaryCol, txt string) string {
		if c.right {
			return fitRight(txt, c.w)
		}
		return fit(txt, c.w)
	}
	var hdr strings.Builder
	for _, c := range cols {
		hdr.WriteString(" " + cell(c, c.title))
	}
	lines := []string{s.ColumnHeader.Render(fit(hdr.String(), inner))}
	for t, st := range p.cmp.cmp.Stats() {
		var b strings.Builder
		for _, c := range cols {
			b.WriteString(" " + cell(c, c.text(t, st)))
		}
		lines = append(lines, fit(b.String(), inner))
	}
	lines = append(lines, s.Muted.Render(fit(" +Δ after the first arrival · missed: not there "+
		p.cmp.settle.String()+" after it · ×2 delivered twice · … pending", inner)))
	return frame(s, "Transports", p.note(), lines, p.w, p.h, p.focused)
}

// note is what the transports were configured with.
func (p *summaryPane) note() string {
	var parts []string
	o := p.cmp.opts
	for _, r := range o.Runs {
		switch r.Config.Mode {
		case ews.ModePull:
			poll := r.Config.PollInterval
			if poll <= 0 {
				poll = defaultPoll
			}
			parts = append(parts, "pull every "+poll.String())
		case ews.ModePush:
			f := r.Config.StatusFrequency
			if f <= 0 {
				f = 1
			}
			note := fmt.Sprintf("push StatusFrequency %d min", f)
			if m := r.Config.StatusMinute; m > 0 && m != time.Minute {
				note += " (a minute lasts " + m.String() + ")"
			}
			parts = append(parts, note)
		}
	}
	return strings.Join(parts, " · ")
}

func stateOrSubscribing(s ews.ConnState) ews.ConnState {
	if s == "" {
		return ews.StateSubscribing
	}
	return s
}
