package ui

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
	"github.com/ewsmon/ewsmon/theme"
)

// eventsPane is the event list: cascade headers and, when a cascade is
// expanded, its events. It follows the newest row until paused; while paused
// the rows on screen stay put and a badge counts what arrived since.
//
// The selection is kept by identity (cascade id, event seq), not by row
// number, so it survives eviction at the front of the log and filtering.
//
// Hand-written rather than a bubbles table: the rows are cascade headers
// and events drawn from the model's virtual list (Rows, O(rows on screen)
// of up to 100000 events), which a table would need copied whole, and the
// follow/pause behaviour is the pane's own.
type eventsPane struct {
	c       *common
	w, h    int
	focused bool

	follow    bool
	pausedAt  int    // st.Matched() when the list was paused
	pausedGen uint64 // and its filter generation
	evictedAt int    // st.Evicted() then: what the bound dropped since shows
	selC      uint64 // selected cascade
	selSeq    uint64 // selected event in it; 0: the header row
	lastIdx   int    // the selection's row the last time it was found
	screenRow int    // where on screen the selection sits while paused

	// trail, when set, adds columns at the right of every row (the
	// transport comparison's arrivals); title replaces "Events".
	trail *compareColumns
	title string

	// rows caches styled rows by their text and place: a frame restyles
	// only the rows that changed (lipgloss rendering was most of View's
	// cost at 1,000 events a second). Bounded; dropped with the styles.
	rows    map[rowKey]string
	rowsGen uint64 // common.stylesGen they were styled with
}

// rowKey is everything a styled row is made of.
type rowKey struct {
	header bool
	h      headerCells
	e      entryCells
	kind   model.CascadeKind // header: its marker's colour
	typ    ews.EventType     // entry: its type's colour
	synth  byte              // entry: 'g' gap, 'r' reconciled
	gutter string
	cols   columns
	width  int
}

// maxCachedRows bounds the row cache (a screen holds at most a few
// hundred rows; the cache is emptied when full).
const maxCachedRows = 2048

func newEventsPane(c *common) *eventsPane {
	return &eventsPane{c: c, follow: true}
}

func (p *eventsPane) SetSize(w, h int)  { p.w, p.h = w, h }
func (p *eventsPane) SetFocused(f bool) { p.focused = f }
func (p *eventsPane) listHeight() int   { return max(p.h-3, 0) } // borders and the column header
func (p *eventsPane) Following() bool   { return p.follow }

// newCount is how many events the list would show that arrived since it was
// paused (since the filter changed, when it changed while paused).
func (p *eventsPane) newCount() int {
	n, gen := p.c.st.Matched()
	if gen != p.pausedGen {
		p.pausedAt, p.pausedGen = 0, gen
	}
	return max(n-p.pausedAt, 0)
}

// markSeen makes what arrived so far not new.
func (p *eventsPane) markSeen() {
	p.pausedAt, p.pausedGen = p.c.st.Matched()
	p.evictedAt = p.c.st.Evicted()
}

// dropped is how many old events the bound dropped since the list paused.
func (p *eventsPane) dropped() int    { return max(p.c.st.Evicted()-p.evictedAt, 0) }
func (p *eventsPane) innerWidth() int { return max(p.w-2, 0) }
func (p *eventsPane) firstRowY() int  { return 2 } // below the top border and the column header
func (p *eventsPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{withHelp(k.Enter, "open"), k.Pause, k.Filter, k.Copy, k.Export, k.TimeFormat, k.Clear, k.NextPane, k.Help}
}

// SetFollow resumes following the newest events, or pauses.
func (p *eventsPane) SetFollow(on bool) {
	if on == p.follow {
		return
	}
	if !on {
		idx := p.selIndex()
		top, _ := p.window()
		p.select1(idx, idx-top)
		p.markSeen()
	}
	p.follow = on
}

// selIndex is the selected row's index.
func (p *eventsPane) selIndex() int {
	st := p.c.st
	total := st.RowCount()
	if total == 0 {
		return 0
	}
	if p.follow {
		return total - 1
	}
	base, ok := st.RowOf(p.selC)
	switch {
	case !ok && st.Cascade(p.selC) == nil:
		// Dropped at the bound: the oldest row kept is where it was.
		return 0
	case !ok:
		// Filtered out: about where it was.
		return min(max(p.lastIdx, 0), total-1)
	}
	if p.selSeq == 0 || !st.Expanded(p.selC) {
		return base
	}
	c := st.Cascade(p.selC)
	if c == nil {
		return base
	}
	for i, r := range st.Rows(base+1, st.VisibleCount(c)) {
		if r.Entry != nil && r.Entry.Seq == p.selSeq {
			return base + 1 + i
		}
	}
	return base
}

// window is the first row on screen and the selected row.
func (p *eventsPane) window() (top, sel int) {
	total := p.c.st.RowCount()
	lh := p.listHeight()
	sel = p.selIndex()
	if p.follow {
		return max(total-lh, 0), sel
	}
	top = sel - p.screenRow
	if top > total-lh {
		top = total - lh
	}
	if top < 0 {
		top = 0
	}
	if sel >= top+lh {
		top = sel - lh + 1
	}
	return top, sel
}

// select1 selects row idx, shown at screen row pos.
func (p *eventsPane) select1(idx, pos int) {
	st := p.c.st
	total := st.RowCount()
	if total == 0 {
		return
	}
	idx = min(max(idx, 0), total-1)
	rows := st.Rows(idx, 1)
	if len(rows) == 0 {
		return
	}
	p.selC = rows[0].Cascade.ID
	p.selSeq = 0
	if rows[0].Entry != nil {
		p.selSeq = rows[0].Entry.Seq
	}
	p.lastIdx = idx
	p.screenRow = min(max(pos, 0), max(p.listHeight()-1, 0))
}

// selectEntry selects an event's row (its header when the cascade is
// collapsed) and pauses the list there.
func (p *eventsPane) selectEntry(c *model.Cascade, e *model.Entry) {
	if c == nil {
		return
	}
	p.SetFollow(false)
	p.selC, p.selSeq = c.ID, 0
	if p.c.st.Expanded(c.ID) {
		p.selSeq = e.Seq
	}
}

// move moves the selection by d rows and pauses the list, except that
// moving down from the newest row follows (again): following keeps the
// selection on the newest row anyway.
func (p *eventsPane) move(d int) {
	if _, sel := p.window(); d > 0 && sel == p.c.st.RowCount()-1 {
		p.SetFollow(true)
		return
	}
	p.SetFollow(false)
	top, sel := p.window()
	p.select1(sel+d, sel+d-top)
}

// Selected is the selected row (ok false when the list is empty).
func (p *eventsPane) Selected() (model.Row, bool) {
	if p.c.st.RowCount() == 0 {
		return model.Row{}, false
	}
	rows := p.c.st.Rows(p.selIndex(), 1)
	if len(rows) == 0 {
		return model.Row{}, false
	}
	return rows[0], true
}

// ClickRow selects the row at screen line y of the pane (0: top border).
func (p *eventsPane) ClickRow(y int) {
	i := y - p.firstRowY()
	if i < 0 || i >= p.listHeight() {
		return
	}
	top, _ := p.window()
	if top+i >= p.c.st.RowCount() {
		return
	}
	p.SetFollow(false)
	p.select1(top+i, i)
}

// VisibleRows are the rows on screen (for fetching item subjects).
func (p *eventsPane) VisibleRows() []model.Row {
	top, _ := p.window()
	return p.c.st.Rows(top, p.listHeight())
}

func (p *eventsPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	k := p.c.keys
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Up):
			p.move(-1)
		case key.Matches(msg, k.Down):
			p.move(1)
		case key.Matches(msg, k.PageUp):
			p.move(-max(p.listHeight()-1, 1))
		case key.Matches(msg, k.PageDown):
			p.move(max(p.listHeight()-1, 1))
		case key.Matches(msg, k.Top):
			p.SetFollow(false)
			p.select1(0, 0)
		case key.Matches(msg, k.Bottom):
			p.SetFollow(true)
		case key.Matches(msg, k.Collapse):
			// Collapse the selected row's cascade, from its header or any
			// of its events, and stop on the header.
			if r, ok := p.Selected(); ok && p.c.st.Expanded(r.Cascade.ID) {
				p.SetFollow(false)
				p.selC, p.selSeq = r.Cascade.ID, 0
				p.c.st.SetExpanded(r.Cascade.ID, false)
			}
		case key.Matches(msg, k.Expand):
			if r, ok := p.Selected(); ok && r.IsHeader() && !p.c.st.Expanded(r.Cascade.ID) {
				p.SetFollow(false)
				p.c.st.SetExpanded(r.Cascade.ID, true)
			}
		}
	case tea.MouseWheelMsg:
		if d := wheelDelta(msg); d != 0 {
			p.move(d)
		}
	}
	return p, nil
}

// columns are the widths of the list's columns for an inner width.
type columns struct{ time, typ, object, folder, extras int }

func layoutColumns(w int) columns {
	// gutter(1) + indent(2) + time + sp + type + sp + object + sp + folder [+ sp + extras]
	var c columns
	switch {
	case w >= 110:
		c = columns{time: 8, typ: 15, folder: 24, extras: 16}
	case w >= 70:
		c = columns{time: 8, typ: 9, folder: 16, extras: 14}
	default:
		c = columns{time: 8, typ: 9, folder: 12}
	}
	fixed := 3 + c.time + 1 + c.typ + 1 + 1 + c.folder
	if c.extras > 0 {
		fixed += 1 + c.extras
	}
	c.object = max(w-fixed, 6)
	return c
}

func (p *eventsPane) View() string {
	st := p.c.st
	s := p.c.styles
	inner := p.innerWidth()
	listW := inner
	if p.trail != nil {
		listW = max(inner-p.trail.width(inner), 0)
	}
	cols := layoutColumns(listW)
	lines := make([]string, 0, p.h)

	hdr := "   " + fit("Time", cols.time) + " " + fit("Type", cols.typ) + " " + fit("Object", cols.object) + " " + fit("Folder", cols.folder)
	if cols.extras > 0 {
		hdr += " " + fit("Extras", cols.extras)
	}
	hdr = fit(hdr, listW)
	if p.trail != nil {
		hdr += p.trail.header(inner)
	}
	lines = append(lines, s.ColumnHeader.Render(fit(hdr, inner)))

	total := st.RowCount()
	top, sel := p.window()
	rows := st.Rows(top, p.listHeight())
	for i, r := range rows {
		lines = append(lines, p.renderRow(r, cols, listW, inner, top+i == sel))
	}
	f := st.Filter()
	switch {
	case total > 0:
	case st.Len() > 0 && !f.IsZero():
		lines = append(lines, s.Muted.Render(fit(fmt.Sprintf("   No event matches the filter (%d hidden) · / edits it · esc clears it", st.Len()), inner)))
	default:
		lines = append(lines, s.Muted.Render(fit("   No events yet.", inner)))
	}

	name := "Events"
	if p.title != "" {
		name = p.title
	}
	title := fmt.Sprintf("%s %d", name, st.Len())
	if !f.IsZero() {
		title = fmt.Sprintf("%s %d of %d · filtered: %s", name, st.Shown(), st.Len(), f)
	}
	var note string
	if p.follow {
		note = s.OK.Render("▶ following")
	} else {
		note = s.Warn.Render("⏸ paused")
		if n := p.newCount(); n > 0 {
			note += " " + s.Badge.Render(fmt.Sprintf(" %d new ", n))
		}
		if n := p.dropped(); n > 0 {
			note += " " + s.Warn.Render(fmt.Sprintf("%d old dropped", n))
		}
	}
	return frame(s, title, note, lines, p.w, p.h, p.focused)
}

// renderRow draws a row in listW cells and the trailing columns, if any,
// in the rest of inner.
func (p *eventsPane) renderRow(r model.Row, cols columns, listW, inner int, selected bool) string {
	gutter := " "
	if selected {
		gutter = "›"
	}
	line := p.cachedRow(r, gutter, cols, listW)
	if p.trail != nil {
		if r.Entry == nil {
			line = fit(line, listW) + p.trail.cascade(r.Cascade, inner)
		} else {
			line = fit(line, listW) + p.trail.entry(r.Entry, inner)
		}
		line = fit(line, inner)
	}
	if selected {
		// Re-render the plain text in the selection style so it shows as
		// one bar (reverse video without colour).
		line = p.c.styles.Selected.Render(fit(ansi.Strip(line), inner))
	}
	return line
}

// headerCells is the text of a cascade's header row.
type headerCells struct{ marker, time, label, subject, count string }

// entryCells is the text of an event's row.
type entryCells struct{ time, typ, object, folder, extras string }

// The text of every row is made in headerText and entryText, and only
// there; renderHeader and renderEntry style and place it.

func (p *eventsPane) headerText(c *model.Cascade) headerCells {
	st := p.c.st
	h := headerCells{marker: "▸", time: p.c.times.short(c.First), label: st.Label(c), subject: cascadeSubject(st, c)}
	if st.Expanded(c.ID) {
		h.marker = "▾"
	}
	n := st.VisibleCount(c)
	switch {
	case c.Gap != nil:
		if c.Recon != nil && len(c.Recon.Changes) > 0 {
			h.count = fmt.Sprintf("%d ≈", len(c.Recon.Changes))
		}
	case n != 1:
		h.count = fmt.Sprintf("%d events", n)
	default:
		if e := st.LastVisible(c); e != nil {
			// The one event the list shows under this header (with a
			// filter on, not necessarily the cascade's last).
			h.count = e.Event.Type.Short()
		}
	}
	return h
}

func (p *eventsPane) entryText(e *model.Entry, cols columns) entryCells {
	col := p.c.st.Columns(e)
	t := entryCells{time: p.c.times.short(entryTime(e)), typ: col.Type, object: col.Object, folder: col.Folder, extras: col.Extras}
	if e.Gap == nil && e.Recon == nil {
		t.typ = typeName(e.Event.Type, cols.typ)
	}
	if cols.extras == 0 && t.extras != "" {
		// No extras column on a narrow list: the unread count is what a
		// folder change says, so it goes with the folder's name.
		t.object += " · " + t.extras
		t.extras = ""
	}
	return t
}

// entryTime is the moment an event's row shows: the server's TimeStamp,
// else when it arrived.
func entryTime(e *model.Entry) time.Time {
	if !e.Event.TimeStamp.IsZero() {
		return e.Event.TimeStamp
	}
	return e.Received
}

// cachedRow is a row's styled line, from the cache when its text, place
// and styles are those of a row styled before.
func (p *eventsPane) cachedRow(r model.Row, gutter string, cols columns, w int) string {
	if p.rowsGen != p.c.stylesGen || p.rows == nil || len(p.rows) >= maxCachedRows {
		p.rows, p.rowsGen = make(map[rowKey]string, 256), p.c.stylesGen
	}
	k := rowKey{gutter: gutter, cols: cols, width: w}
	if r.Entry == nil {
		k.header, k.h, k.kind = true, p.headerText(r.Cascade), r.Cascade.Kind
	} else {
		e := r.Entry
		k.e, k.typ = p.entryText(e, cols), e.Event.Type
		switch {
		case e.Gap != nil:
			k.synth = 'g'
		case e.Recon != nil:
			k.synth = 'r'
		}
	}
	if line, ok := p.rows[k]; ok {
		return line
	}
	var line string
	if k.header {
		line = p.renderHeader(k.h, k.kind, gutter, w)
	} else {
		line = p.renderEntry(k.e, k.typ, k.synth, gutter, cols, w)
	}
	p.rows[k] = line
	return line
}

func (p *eventsPane) renderHeader(h headerCells, kind model.CascadeKind, gutter string, inner int) string {
	s := p.c.styles
	left := gutter + kindStyle(s, kind).Render(h.marker) + " " + h.time + " " + s.CascadeHeader.Render(h.label)
	if h.subject != "" {
		left += s.Muted.Render(" · " + h.subject)
	}
	return spread(left, " "+s.Muted.Render(h.count)+" ", inner)
}

func (p *eventsPane) renderEntry(t entryCells, et ews.EventType, synth byte, gutter string, cols columns, inner int) string {
	s := p.c.styles
	typ := s.Event(et).Render(fit(t.typ, cols.typ))
	object := fit(t.object, cols.object)
	switch synth {
	case 'g':
		typ = s.Warn.Render(fit(t.typ, cols.typ))
		object = s.Warn.Render(object)
	case 'r':
		// Found by reconciliation, not notified: muted, and "≈".
		typ = s.Muted.Render(fit(t.typ, cols.typ))
		object = s.Muted.Render(object)
	}
	line := gutter + "  " + fit(t.time, cols.time) + " " + typ + " " +
		object + " " + s.Muted.Render(fit(t.folder, cols.folder))
	if cols.extras > 0 {
		line += " " + fit(t.extras, cols.extras)
	}
	return fit(line, inner)
}

// typeName is the event type's short name ("NewMail"), shortened further
// to fit narrow columns.
func typeName(t ews.EventType, w int) string {
	n := t.Short()
	if len(n) > w && t == ews.FreeBusyChangedEvent {
		return "FreeBusy"
	}
	return n
}

// cascadeSubject is the subject of the cascade's first item GetItem has
// told ("" before, and for folder cascades). It looks at every item the
// cascade names: a sent mail's draft is gone, its copy in Sent Items is not.
func cascadeSubject(st *model.State, c *model.Cascade) string {
	for _, e := range c.Entries[:min(len(c.Entries), headerItems)] {
		for _, id := range []string{e.Event.ItemId.Id, e.Event.OldItemId.Id} {
			if it, ok := st.Item(id); ok && id != "" && it.Subject != "" {
				return it.Subject
			}
		}
	}
	return ""
}

// headerItems bounds how many of a cascade's events are asked about and
// searched for its subject.
const headerItems = 8

// kindStyle colours a cascade's marker by what happened, in the colour of
// the event type that says it best; an unrecognized cascade is a warning.
func kindStyle(s theme.Styles, k model.CascadeKind) lipgloss.Style {
	switch k {
	case model.KindNewMail, model.KindMeetingRequest, model.KindSendMail:
		return s.Event(ews.NewMailEvent)
	case model.KindItemCreated, model.KindCreateFolder:
		return s.Event(ews.CreatedEvent)
	case model.KindMoveItem, model.KindMoveFolder:
		return s.Event(ews.MovedEvent)
	case model.KindCopyItem, model.KindCopyFolder:
		return s.Event(ews.CopiedEvent)
	case model.KindSoftDelete, model.KindHardDelete, model.KindDeleteFolder:
		return s.Event(ews.DeletedEvent)
	case model.KindFreeBusy:
		return s.Event(ews.FreeBusyChangedEvent)
	case model.KindUnrecognized, model.KindGap:
		return s.Warn
	}
	return s.Event(ews.ModifiedEvent)
}
