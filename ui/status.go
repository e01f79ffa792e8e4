package ui

import (
	"fmt"

	"github.com/charmbracelet/x/ansi"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// statusPane shows the subscription's health. On wide screens it is a pane
// on the right; on narrow ones the root shows Header instead.
type statusPane struct {
	c       *common
	w, h    int
	focused bool
	sc      scroller
	sim     SimControl
	// lastExport is the path of the last NDJSON export.
	lastExport string
}

func newStatusPane(c *common, sim SimControl) *statusPane {
	return &statusPane{c: c, sim: sim, sc: newScroller(false)}
}

func (p *statusPane) SetSize(w, h int) {
	p.w, p.h = w, h
	p.sc.SetSize(w-2, h-2)
}
func (p *statusPane) SetFocused(f bool) { p.focused = f }

// SetLastExport records where the last NDJSON export went.
func (p *statusPane) SetLastExport(path string) { p.lastExport = path }

func (p *statusPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{k.Subscribe, k.Unsubscribe, k.Mode, k.EventTypes, withHelp(k.Up, "scroll"), k.NextPane, k.Help}
}

func (p *statusPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	p.sc.Update(msg, p.c.keys)
	return p, nil
}

// stateText is the state with its marker, coloured for meaning.
func stateText(c *common, state ews.ConnState) string {
	if state == "" {
		state = ews.StateSubscribing
	}
	mark := "●"
	switch state {
	case ews.StateError:
		mark = "✖"
	case ews.StateReconnecting, ews.StateSubscribing:
		mark = c.spin.View()
	case ews.StateUnsubscribed, ews.StateClosed:
		mark = "○"
	case ews.StateExpired:
		mark = "!"
	}
	return c.styles.State(state).Render(mark + " " + string(state))
}

func folderScope(sess model.Session) string {
	if len(sess.Folders) == 0 {
		return "all folders"
	}
	return strings.Join(sess.Folders, ", ")
}

func typeScope(sess model.Session) string {
	if len(sess.EventTypes) == 0 || len(sess.EventTypes) == len(ews.AllEventTypes) {
		return "all event types"
	}
	names := make([]string, len(sess.EventTypes))
	for i, t := range sess.EventTypes {
		names[i] = t.Short()
	}
	return strings.Join(names, ", ")
}

// statusLines collects the status pane's lines at an inner width.
type statusLines struct {
	c     *common
	inner int
	out   []string
}

// kv adds "Key      value"; long plain values (URLs, names) wrap under
// themselves.
func (b *statusLines) kv(k, v string) {
	s := b.c.styles
	if ansi.StringWidth(v) > b.inner-9 && stripped(v) == v {
		for i, l := range wrap(v, b.inner-9) {
			if i == 0 {
				b.out = append(b.out, s.Muted.Render(fit(k, 9))+l)
			} else {
				b.out = append(b.out, strings.Repeat(" ", 9)+l)
			}
		}
		return
	}
	b.out = append(b.out, s.Muted.Render(fit(k, 9))+v)
}

// para adds wrapped text, indented, in a style.
func (b *statusLines) para(text string, st lipgloss.Style) {
	for _, l := range wrap(text, b.inner-2) {
		b.out = append(b.out, "  "+st.Render(l))
	}
}

func (p *statusPane) lines(inner int, now time.Time) []string {
	b := &statusLines{c: p.c, inner: inner}
	p.sessionLines(b)
	p.healthLines(b, now)
	p.totalLines(b, now)
	return b.out
}

// sessionLines: what is watched, where, how.
func (p *statusPane) sessionLines(b *statusLines) {
	status := p.c.st.Status()
	sess := status.Session
	b.kv("Server", sess.URL)
	b.kv("User", sess.User)
	if sess.ServerVersion != "" {
		b.kv("Version", sess.ServerVersion)
	}
	if sess.Profile != "" {
		b.kv("Profile", sess.Profile)
	}
	if sess.VersionNotice != "" {
		b.kv("", sess.VersionNotice)
	}
	mode := status.Mode
	if mode == "" {
		mode = sess.Mode
	}
	b.kv("Mode", string(mode))
	if mode == ews.ModePush && sess.PushURL != "" {
		b.kv("Listener", sess.PushListen)
		b.kv("Callback", sess.PushURL)
	}
	if id := status.ShortSubscriptionId(); id != "" {
		b.kv("Sub id", id)
	}
	b.kv("Folders", folderScope(sess))
	b.kv("Types", typeScope(sess))
}

// healthLines: the subscription's state, countdowns, reconnects and gaps.
func (p *statusPane) healthLines(b *statusLines, now time.Time) {
	s := p.c.styles
	status := p.c.st.Status()
	b.kv("State", stateText(p.c, status.State))
	b.kv("Times", p.c.times.describe()+" · t")
	if status.Err != "" {
		b.para(status.Err, s.Error)
	}
	for _, cd := range status.Countdowns(now) {
		st := s.Text
		if cd.Warn {
			st = s.Warn
		}
		b.out = append(b.out, "  "+st.Render(cd.String()))
	}
	b.kv("Reconn.", fmt.Sprint(status.Reconnects))
	b.kv("Gaps", gapText(p.c, status))
	if p.sim != nil {
		act := "off"
		if r := p.sim.Activity(); r > 0 {
			act = fmt.Sprintf("%g/s", r)
		}
		b.kv("Activity", act+s.Muted.Render(" (a)"))
	}
}

// totalLines: the rate, the totals per type, the last export and error.
func (p *statusPane) totalLines(b *statusLines, now time.Time) {
	st := p.c.st
	s := p.c.styles
	status := st.Status()
	spark := st.PerMinute(now, max(b.inner-9, 5))
	b.out = append(b.out, "", s.Muted.Render(fit("Per min", 9))+s.Sparkline.Render(sparkline(spark)), s.Muted.Render("Totals"))
	any := false
	for _, t := range ews.AllEventTypes {
		if n := status.Totals[t]; n > 0 {
			any = true
			b.out = append(b.out, "  "+s.Event(t).Render(fit(t.Short(), 16))+fitRight(fmt.Sprint(n), 7))
		}
	}
	if !any {
		b.out = append(b.out, s.Muted.Render("  none yet"))
	}
	if p.lastExport != "" {
		b.out = append(b.out, "", s.Muted.Render("Last export"))
		b.para(p.lastExport, s.Text)
	}
	if status.LastError != "" && status.LastError != status.Err {
		b.out = append(b.out, "", s.Muted.Render("Last error")+" "+s.Muted.Render(p.c.times.short(status.LastErrorAt)))
		b.para(status.LastError, s.Warn)
	}
}

func (p *statusPane) View() string {
	inner := max(p.w-2, 0)
	p.sc.SetLines(p.lines(inner, p.c.clock.Now()))
	return frame(p.c.styles, "Status", "", strings.Split(p.sc.View(), "\n"), p.w, p.h, p.focused)
}

// Header is the status squeezed into two lines for narrow screens.
func (p *statusPane) Header(w int) string {
	st := p.c.st
	s := p.c.styles
	now := p.c.clock.Now()
	status := st.Status()
	sess := status.Session
	mode := status.Mode
	if mode == "" {
		mode = sess.Mode
	}
	sep := s.Muted.Render(" · ")
	parts := []string{s.Accent.Render("ewsmon"), stateText(p.c, status.State), string(mode)}
	if status.Gaps > 0 {
		// Before the countdowns: that events may be missing matters more.
		parts = append(parts, gapText(p.c, status))
	}
	if id := status.ShortSubscriptionId(); id != "" {
		parts = append(parts, "sub "+id)
	}
	for _, cd := range status.Countdowns(now) {
		st := s.Text
		if cd.Warn {
			st = s.Warn
		}
		parts = append(parts, st.Render(compactCountdown(cd)))
	}
	if status.Reconnects > 0 {
		parts = append(parts, s.Warn.Render(fmt.Sprintf("%d reconnects", status.Reconnects)))
	}
	line1 := strings.Join(parts, sep)

	user := sess.User
	if user == "" {
		user = "?"
	}
	parts = nil
	if len(sess.Folders) > 0 {
		parts = append(parts, folderScope(sess)+" only")
	}
	if ts := typeScope(sess); ts != "all event types" {
		parts = append(parts, ts)
	}
	parts = append(parts, user+" @ "+sess.URL)
	if p.sim != nil {
		if r := p.sim.Activity(); r > 0 {
			parts = append(parts, fmt.Sprintf("activity %g/s", r))
		} else {
			parts = append(parts, "activity off")
		}
	}
	var tot []string
	for _, t := range ews.AllEventTypes {
		if n := status.Totals[t]; n > 0 {
			tot = append(tot, s.Event(t).Render(t.Short())+" "+fmt.Sprint(n))
		}
	}
	spark := s.Sparkline.Render(sparkline(st.PerMinute(now, 10))) + s.Muted.Render("/min")
	right := spark
	if len(tot) > 0 {
		// The totals may take half the line; who and where keep the rest.
		totals := strings.Join(tot, " ")
		if room := w/2 - 18; width(stripped(totals)) > room {
			totals = ansi.Truncate(totals, max(room, 0), "…")
		}
		right = totals + "  " + spark
	}
	line2 := spread(strings.Join(parts, sep), "  "+right, w)
	return fit(line1, w) + "\n" + fit(line2, w)
}

// gapText counts the gaps: "0", or "2 (5 reconciled)" in the warning
// colour, since events may have been missed.
func gapText(c *common, st model.Status) string {
	if st.Gaps == 0 {
		return c.styles.OK.Render("none")
	}
	t := fmt.Sprintf("%d gap", st.Gaps)
	if st.Gaps != 1 {
		t += "s"
	}
	if st.Reconciled > 0 {
		t += fmt.Sprintf(" (%d reconciled)", st.Reconciled)
	}
	if st.LastReconcileErr != "" {
		t += " · incomplete"
	}
	return c.styles.Warn.Render(t)
}

// compactCountdown is a countdown in few words, for the narrow header.
func compactCountdown(cd model.Countdown) string {
	switch cd.Label {
	case "connection renews":
		return "renews " + cd.Value
	case "last heartbeat":
		return "heartbeat " + cd.Value
	case "expires":
		return "expires " + strings.TrimSuffix(cd.Value, " if not polled")
	}
	return cd.String()
}
