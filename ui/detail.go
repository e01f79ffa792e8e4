package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// detailPane shows one event: every field, the item fetched with GetItem,
// and the envelope it arrived in, indented, in a scrollable viewport.
type detailPane struct {
	c       *common
	w, h    int
	focused bool
	sc      scroller

	entry   model.Entry
	label   string
	item    *ews.Item
	itemErr string
	loading bool
	xml     string // indented once per event
	// cmp: in the transport comparison, the transports' arrivals of the
	// event shown (nil otherwise).
	cmp *comparison

	// The `/` search: the lines that hold query, and the one shown.
	query   string
	matches []int
	cur     int
}

func newDetailPane(c *common) *detailPane {
	return &detailPane{c: c, sc: newScroller(true)}
}

// Open shows entry; loading says a GetItem is on its way.
func (p *detailPane) Open(e *model.Entry, label string, loading bool) {
	p.entry = *e
	p.label = label
	p.item = nil
	p.itemErr = ""
	p.loading = loading
	p.xml = ""
	if len(e.Event.RawXML) > 0 {
		p.xml = indentXML(e.Event.RawXML)
	}
	p.refresh()
	p.sc.vp.GotoTop()
}

// Seq is the event shown.
func (p *detailPane) Seq() uint64 { return p.entry.Seq }

// Entry is the event shown.
func (p *detailPane) Entry() *model.Entry { return &p.entry }

// Loading reports whether its item's GetItem is on its way.
func (p *detailPane) Loading() bool { return p.loading }

// Query is what the last `/` searched for.
func (p *detailPane) Query() string { return p.query }

// SetItem takes the GetItem answer addressed to the event shown.
func (p *detailPane) SetItem(msg detailItemMsg) {
	if msg.seq != p.entry.Seq {
		return
	}
	p.loading = false
	if msg.err != nil {
		p.itemErr = msg.err.Error()
	} else {
		it := msg.item
		p.item = &it
	}
	p.refreshKeepingPlace()
}

// refreshKeepingPlace lays the detail out again where the user is reading.
func (p *detailPane) refreshKeepingPlace() {
	y := p.sc.vp.YOffset()
	p.refresh()
	p.sc.vp.SetYOffset(y)
}

// SetSize lays the detail out again when the size changed (relayout calls
// it on every message).
func (p *detailPane) SetSize(w, h int) {
	if w == p.w && h == p.h {
		return
	}
	p.w, p.h = w, h
	p.sc.SetSize(w-2, h-2)
	if p.entry.Seq != 0 {
		p.refresh()
	}
}

func (p *detailPane) SetFocused(f bool) { p.focused = f }

func (p *detailPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{k.NextEvent, k.PrevEvent, withHelp(k.Filter, "search"), k.Copy, k.TimeFormat, k.Back, k.PageDown, k.Help}
}

func (p *detailPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	p.sc.Update(msg, p.c.keys)
	return p, nil
}

// detailLines collects the detail's "Label               value" lines.
type detailLines struct {
	c     *common
	inner int
	out   []string
}

// kv adds a field (nothing when v is empty); long values wrap under it.
func (b *detailLines) kv(k, v string) {
	if v == "" {
		return
	}
	for i, l := range wrap(v, max(b.inner-20, 10)) {
		key := ""
		if i == 0 {
			key = k
		}
		b.out = append(b.out, b.c.styles.Muted.Render(fit(key, 20))+l)
	}
}

// folder is a folder id with its name.
func (p *detailPane) folder(id ews.FolderId) string {
	if id.IsZero() {
		return ""
	}
	return id.Id + " (" + p.c.st.Tree().Name(id.Id) + ")"
}

func (p *detailPane) refresh() {
	s := p.c.styles
	if g, r := p.entry.Gap, p.entry.Recon; g != nil || r != nil {
		p.setLines(p.gapLines(p.folder))
		return
	}
	b := &detailLines{c: p.c, inner: max(p.w-2, 10)}
	p.eventFields(b)
	p.arrivalFields(b)
	if !p.entry.Event.ItemId.IsZero() {
		b.out = append(b.out, "", s.Bold.Render("Item (GetItem)"))
		p.itemFields(b)
	}
	b.out = append(b.out, "", s.Bold.Render("Notification envelope"))
	if p.xml == "" {
		b.out = append(b.out, s.Muted.Render("  (not kept)"))
	} else {
		b.out = append(b.out, strings.Split(p.xml, "\n")...)
	}
	p.setLines(b.out)
}

// eventFields are the event's own fields, named as EWS names them.
func (p *detailPane) eventFields(b *detailLines) {
	s := p.c.styles
	ev := p.entry.Event
	tm := p.c.times
	b.out = append(b.out, s.Event(ev.Type).Render(string(ev.Type))+s.Muted.Render(fmt.Sprintf("  #%d", p.entry.Seq)))
	b.kv("Cascade", p.label)
	b.kv("TimeStamp", tm.long(ev.TimeStamp))
	b.kv("Arrived", tm.long(p.entry.Received))
	b.kv("Watermark", ev.Watermark)
	b.kv("ItemId", ev.ItemId.Id)
	b.kv("ChangeKey", ev.ItemId.ChangeKey)
	b.kv("FolderId", p.folder(ev.FolderId))
	b.kv("ParentFolderId", p.folder(ev.ParentFolderId))
	b.kv("OldItemId", ev.OldItemId.Id)
	b.kv("OldItem ChangeKey", ev.OldItemId.ChangeKey)
	b.kv("OldFolderId", p.folder(ev.OldFolderId))
	b.kv("OldParentFolderId", p.folder(ev.OldParentFolderId))
	if ev.UnreadCount != nil {
		b.kv("UnreadCount", fmt.Sprint(*ev.UnreadCount))
	}
	b.kv("SubscriptionId", ev.SubscriptionId)
	b.kv("PreviousWatermark", ev.PreviousWatermark)
	b.kv("MoreEvents", fmt.Sprint(ev.MoreEvents))
}

// arrivalFields are, in the transport comparison, when each transport
// delivered the event: its clock time and delay after the first arrival,
// repeats, "missed" once Settle passed without it, or pending. The
// fields above are those of the first arrival.
func (p *detailPane) arrivalFields(b *detailLines) {
	if p.cmp == nil {
		return
	}
	row := p.cmp.rows[p.entry.Seq]
	if row == nil {
		return
	}
	s := p.c.styles
	b.out = append(b.out, "", s.Bold.Render("Arrivals")+s.Muted.Render(" (the fields above are the first transport's)"))
	for t, name := range p.cmp.names {
		var v string
		switch d, ok := row.Delay(t); {
		case ok:
			v = p.c.times.long(row.At[t]) + "  " + signedDelay(d)
			if d == 0 {
				v += " (first)"
			}
			if n := row.Count[t]; n > 1 {
				v += s.Warn.Render(fmt.Sprintf("  delivered %d times", n))
			}
		case row.Missed[t]:
			v = s.Error.Render("missed: not there " + p.cmp.settle.String() + " after the first arrival")
		default:
			v = s.Muted.Render("pending")
		}
		b.kv(name, v)
	}
}

// itemFields are what GetItem said of the event's item, or that it is on
// its way, or why it did not come.
func (p *detailPane) itemFields(b *detailLines) {
	s := p.c.styles
	switch {
	case p.item != nil:
		it := p.item
		b.kv("Subject", it.Subject)
		from := it.From.EmailAddress
		if it.From.Name != "" {
			from = it.From.Name + " <" + it.From.EmailAddress + ">"
		}
		b.kv("From", from)
		b.kv("DateTimeReceived", p.c.times.long(it.DateTimeReceived))
		b.kv("ItemClass", it.ItemClass)
		b.kv("IsRead", fmt.Sprint(it.IsRead))
	case p.loading:
		b.out = append(b.out, s.Muted.Render("  "+p.c.spin.View()+" loading…"))
	case p.itemErr != "":
		for _, l := range wrap(p.itemErr, b.inner-2) {
			b.out = append(b.out, "  "+s.Warn.Render(l))
		}
	}
}

// setLines shows the detail's lines, the search's matches marked.
func (p *detailPane) setLines(out []string) {
	s := p.c.styles
	p.matches = p.matches[:0]
	if q := strings.ToLower(p.query); q != "" {
		for i, l := range out {
			if strings.Contains(strings.ToLower(stripped(l)), q) {
				p.matches = append(p.matches, i)
			}
		}
	}
	p.cur = min(p.cur, max(len(p.matches)-1, 0))
	for j, i := range p.matches {
		st := s.Accent
		if j == p.cur {
			st = s.Selected
		}
		out[i] = st.Render(stripped(out[i]))
	}
	p.sc.vp.SetContentLines(out)
}

// Search marks the lines holding q (case-insensitive) and shows the first
// one at or below the top of the view.
func (p *detailPane) Search(q string) {
	top := p.realLine(p.sc.vp.YOffset())
	p.query = q
	p.cur = 0
	p.refresh()
	for j, i := range p.matches {
		if i >= top {
			p.cur = j
			break
		}
	}
	p.showMatch()
}

// NextMatch shows the next line that holds the query, round to the first.
func (p *detailPane) NextMatch() {
	if len(p.matches) == 0 {
		return
	}
	p.cur = (p.cur + 1) % len(p.matches)
	p.refresh()
	p.showMatch()
}

// SearchNote is how the search went: "2/5", "no match", "" with no search.
func (p *detailPane) SearchNote() string {
	switch {
	case p.query == "":
		return ""
	case len(p.matches) == 0:
		return "no match"
	}
	return fmt.Sprintf("%d/%d", p.cur+1, len(p.matches))
}

func (p *detailPane) showMatch() {
	if len(p.matches) == 0 {
		return
	}
	y := p.visualLine(p.matches[p.cur])
	if y < p.sc.vp.YOffset() || y >= p.sc.vp.YOffset()+p.sc.vp.Height() {
		p.sc.vp.SetYOffset(max(y-2, 0))
	}
}

// visualLine is the screen line (soft wrap counted) content line i starts on.
func (p *detailPane) visualLine(i int) int {
	w := max(p.sc.vp.Width(), 1)
	y := 0
	for _, l := range strings.Split(p.sc.vp.GetContent(), "\n")[:i] {
		y += max(1, (width(l)+w-1)/w)
	}
	return y
}

// realLine is the content line at screen line y (soft wrap counted).
func (p *detailPane) realLine(y int) int {
	w := max(p.sc.vp.Width(), 1)
	at := 0
	for i, l := range strings.Split(p.sc.vp.GetContent(), "\n") {
		at += max(1, (width(l)+w-1)/w)
		if at > y {
			return i
		}
	}
	return 0
}

// gapLines describe a gap, or a change found by reconciliation.
func (p *detailPane) gapLines(folder func(ews.FolderId) string) []string {
	s := p.c.styles
	tm := p.c.times
	var out []string
	if g := p.entry.Gap; g != nil {
		out = append(out, s.Warn.Render("Possible gap")+s.Muted.Render(fmt.Sprintf("  #%d", g.ID)))
		out = append(out, "", "Events may have happened in this interval that the", "subscription did not deliver.")
		lines := []string{}
		line := func(k, v string) {
			if v != "" {
				lines = append(lines, s.Muted.Render(fit(k, 20))+v)
			}
		}
		if !g.From.IsZero() {
			line("From", tm.long(g.From)+" (last moment covered)")
			line("To", tm.long(g.To)+" (covered again)")
			line("Length", g.To.Sub(g.From).Round(time.Millisecond).String())
		}
		line("Reason", g.Reason)
		out = append(out, "")
		out = append(out, lines...)
		out = append(out, "", s.Muted.Render("What changed meanwhile is listed under this gap (≈ rows),"), s.Muted.Render("found by comparing the folders before and after (docs/reliability.md)."))
		return out
	}
	r := p.entry.Recon
	out = append(out, s.Muted.Render("≈ "+string(r.Change)+"  found by reconciliation, not notified"))
	out = append(out, "")
	line := func(k, v string) {
		if v != "" {
			out = append(out, s.Muted.Render(fit(k, 20))+v)
		}
	}
	line("Cascade", p.label)
	line("Change", string(r.Change))
	line("ItemId", r.ItemId.Id)
	line("ChangeKey", r.ItemId.ChangeKey)
	line("Subject", r.Subject)
	line("FolderId", folder(r.FolderId))
	if r.IsRead != nil {
		line("IsRead", fmt.Sprint(*r.IsRead))
	}
	if !p.entry.Received.IsZero() {
		line("Found", tm.long(p.entry.Received))
	}
	return out
}

func (p *detailPane) View() string {
	lines := strings.Split(p.sc.vp.View(), "\n")
	note := ""
	if p.sc.vp.TotalLineCount() > p.sc.vp.Height() {
		note = fmt.Sprintf("%d%%", int(p.sc.vp.ScrollPercent()*100))
	}
	if sn := p.SearchNote(); sn != "" {
		note = strings.TrimSpace(fmt.Sprintf("%q %s  %s", p.query, sn, note))
	}
	return frame(p.c.styles, "Event detail · esc back", note, lines, p.w, p.h, true)
}
