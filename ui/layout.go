package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/ewsmon/ewsmon/ews"
)

// focusable lists the panes tab cycles through, in order.
func (m *Model) focusable() []paneID {
	var ids []paneID
	if _, ok := m.rects[paneFolders]; ok {
		ids = append(ids, paneFolders)
	}
	ids = append(ids, paneEvents)
	if _, ok := m.rects[paneStatus]; ok {
		ids = append(ids, paneStatus)
	}
	return ids
}

func (m *Model) pane(id paneID) pane {
	switch id {
	case paneFolders:
		return m.folders
	case paneStatus:
		if m.summary != nil {
			return m.summary // the comparison's figures take the status's place
		}
		return m.status
	}
	return m.events
}

func (m *Model) setFocus(id paneID) {
	m.focus = id
	m.folders.SetFocused(id == paneFolders)
	m.events.SetFocused(id == paneEvents)
	m.status.SetFocused(id == paneStatus)
	if m.summary != nil {
		m.summary.SetFocused(id == paneStatus)
	}
}

func (m *Model) cycleFocus(d int) tea.Cmd {
	if m.modes.body() == modeDetail {
		return nil // the detail view covers the tree and the list
	}
	ids := m.focusable()
	i := 0
	for j, id := range ids {
		if id == m.focus {
			i = j
		}
	}
	m.setFocus(ids[(i+d+len(ids))%len(ids)])
	return nil
}

// relayout sizes the panes for the window: wide screens get the status as
// a right-hand pane, narrow ones a two-line header; below 60 columns the
// tree goes.
func (m *Model) relayout() {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return
	}
	if m.cmp != nil {
		m.relayoutCompare()
		return
	}
	m.wide = w >= 120 && h >= 30
	m.headerH = 0
	if !m.wide {
		m.headerH = 2
	}
	m.bannerLines = m.banner(w)
	m.bodyY = m.headerH + len(m.bannerLines)
	m.bodyH = max(h-m.bodyY-1, 3)

	treeW, statusW := 0, 0
	if m.wide {
		treeW = min(max(w/6, 24), 32)
		// The status's long values wrap under themselves: at 120 columns
		// it gives the list what it can spare.
		statusW = min(max(w/4, 30), 46)
	} else if w >= 60 {
		treeW = min(max(w/4, 18), 26)
	}
	eventsW := w - treeW - statusW
	clear(m.rects)
	if treeW > 0 {
		m.rects[paneFolders] = rect{0, m.bodyY, treeW, m.bodyH}
		m.folders.SetSize(treeW, m.bodyH)
	}
	m.rects[paneEvents] = rect{treeW, m.bodyY, eventsW, m.bodyH}
	m.events.SetSize(eventsW, m.bodyH)
	if statusW > 0 {
		m.rects[paneStatus] = rect{treeW + eventsW, m.bodyY, statusW, m.bodyH}
		m.status.SetSize(statusW, m.bodyH)
	}
	m.detail.SetSize(treeW+eventsW, m.bodyH)
	m.help.SetSize(w, m.bodyH)
	m.ref.SetSize(w, m.bodyH)
	if _, ok := m.rects[m.focus]; !ok {
		m.setFocus(paneEvents)
	}
}

// banner is the error state's message, shown above the panes: one clear
// sentence and what the user can do.
func (m *Model) banner(w int) []string {
	st := m.st.Status()
	mark, hint := "✖ ", "s to retry, q to quit"
	switch {
	case st.State == ews.StateError && m.canAskPassword():
		hint = "s to type the password again, q to quit"
	case st.State == ews.StateError:
	case st.State == ews.StateReconnecting && st.Err != "":
		// The runner keeps retrying on its own; the reason must still be
		// readable on every screen size, not only in the wide status pane.
		mark, hint = "◌ ", "retrying; u to stop, q to quit"
	case st.State == ews.StateExpired && st.Err != "":
		// The server lost the subscription (restarted, or not polled in
		// time): the runner makes a new one on its own.
		mark, hint = "! ", "resubscribing; u to stop, q to quit"
	default:
		return nil
	}
	msg := st.Err
	if msg == "" {
		msg = "the subscription failed"
	}
	lines := wrap(mark+msg, w)
	if len(lines) > 2 {
		lines = lines[:2]
		lines[1] = fit(lines[1], w-1) + "…"
	}
	last := lines[len(lines)-1]
	if len(stripped(last))+3+len(hint) <= w {
		lines[len(lines)-1] = last + " — " + hint
	} else {
		lines = append(lines, "  "+hint)
	}
	return lines
}

// View draws the screen.
func (m *Model) View() tea.View {
	m.frame.stats.Views++
	now := m.now()
	if !m.frame.draw(now) {
		return m.frame.view
	}
	v := tea.NewView(m.render())
	v.AltScreen = true
	if !m.opts.NoMouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "ewsmon"
	m.frame.drew(v, now)
	return v
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return "ewsmon: starting…"
	}
	s := m.c.styles
	var parts []string
	switch {
	case m.cmp != nil:
		parts = append(parts, m.compareHeader(w))
	case m.headerH > 0:
		parts = append(parts, m.status.Header(w))
	}
	for _, l := range m.bannerLines {
		parts = append(parts, s.ErrorBanner.Render(fit(l, w)))
	}
	parts = append(parts, m.body())
	parts = append(parts, m.bottomBar(w))
	// Every part is already exactly w wide; only the line count is fixed up
	// (a screen too small for the layout is cut at the bottom).
	lines := strings.Split(strings.Join(parts, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) body() string {
	var panes []string
	switch m.modes.body() {
	case modeHelp:
		return m.help.View()
	case modeRef:
		return m.ref.View()
	case modeDetail:
		panes = append(panes, m.detail.View())
	default:
		if _, ok := m.rects[paneFolders]; ok {
			panes = append(panes, m.folders.View())
		}
		panes = append(panes, m.events.View())
	}
	var body string
	if m.cmp != nil {
		// The comparison: the list (or the detail view over it) above
		// the summary.
		if _, ok := m.rects[paneStatus]; ok {
			panes = append(panes, m.summary.View())
		}
		body = strings.Join(panes, "\n")
	} else {
		if _, ok := m.rects[paneStatus]; ok {
			panes = append(panes, m.status.View())
		}
		body = joinColumns(panes...)
	}
	if m.modes.body() == modeTypes {
		body = m.overlay(body, m.typesDlg.View())
	}
	return body
}

// overlay draws a dialog centred over the body.
func (m *Model) overlay(body, dlg string) string {
	dw, dh := lipgloss.Size(dlg)
	if dw > m.width || dh > m.bodyH {
		dw, dh = min(dw, m.width), min(dh, m.bodyH)
		dlg = block(dlg, dw, dh)
	}
	x := max((m.width-dw)/2, 0)
	y := max((m.bodyH-dh)/2, 0)
	return lipgloss.NewCompositor(
		lipgloss.NewLayer(body),
		lipgloss.NewLayer(dlg).X(x).Y(y).Z(1),
	).Render()
}

// bottomBar is the prompt being edited, else the flash message, else what
// is being waited for, else the keys of what has the focus.
func (m *Model) bottomBar(w int) string {
	s := m.c.styles
	top := m.modes.top()
	switch top {
	case modeFilter:
		return m.filterIn.View(m.c.styles, w)
	case modePassword:
		return m.passwordIn.View(m.c.styles, w)
	case modeSearch:
		return m.searchIn.View(m.c.styles, w)
	}
	if m.flash.shown(m.now()) {
		st := s.Accent
		if m.flash.kind == flashError {
			st = s.Error
		}
		return fit(st.Render(m.flash.text), w)
	}
	if m.unsubscribing || (m.quitting && m.watching) {
		return fit(s.Accent.Render(m.c.spin.View()+" unsubscribing…"), w)
	}
	var bindings []key.Binding
	switch top {
	case modeHelp:
		bindings = m.help.ShortHelp()
	case modeRef:
		bindings = m.ref.ShortHelp()
	case modeTypes:
		return fit(s.Muted.Render("↑/↓ move · space toggle · enter resubscribe · esc cancel"), w)
	case modeDetail:
		bindings = m.detail.ShortHelp()
	default:
		bindings = m.pane(m.focus).ShortHelp()
	}
	return shortHelpLine(m.c, bindings, w)
}

// wheelDelta is how many rows one notch of the mouse wheel scrolls: up is
// negative, down positive, any other button 0.
func wheelDelta(msg tea.MouseWheelMsg) int {
	switch msg.Button {
	case tea.MouseWheelUp:
		return -3
	case tea.MouseWheelDown:
		return 3
	}
	return 0
}

// relayoutCompare lays out the comparison: a header line, the event list
// with a column per transport over the whole width, and the summary under
// it. There is no tree: the list needs the width.
func (m *Model) relayoutCompare() {
	w, h := m.width, m.height
	m.wide = false
	m.headerH = 1
	m.bannerLines = m.banner(w)
	m.bodyY = m.headerH + len(m.bannerLines)
	m.bodyH = max(h-m.bodyY-1, 3)
	sumH := min(m.summary.summaryHeight(), max(m.bodyH-5, 0))
	listH := m.bodyH - sumH
	clear(m.rects)
	m.rects[paneEvents] = rect{0, m.bodyY, w, listH}
	m.events.SetSize(w, listH)
	m.detail.SetSize(w, listH)
	if sumH > 0 {
		m.rects[paneStatus] = rect{0, m.bodyY + listH, w, sumH}
		m.summary.SetSize(w, sumH)
	}
	m.help.SetSize(w, m.bodyH)
	m.ref.SetSize(w, m.bodyH)
	if _, ok := m.rects[m.focus]; !ok {
		m.setFocus(paneEvents)
	}
}

// compareHeader is the comparison's top line: what is compared, where.
func (m *Model) compareHeader(w int) string {
	s := m.c.styles
	sep := s.Muted.Render(" · ")
	left := s.Accent.Render("ewsmon --compare") + sep + strings.Join(m.cmp.names, " + ")
	right := stateText(m.c, m.st.Status().State)
	if m.opts.Sim != nil {
		right = "simulator" + sep + right
	}
	if u := m.opts.User; u != "" && width(left)+width(sep+u)+1+width(right) <= w {
		left += sep + u // the mailbox, where it fits whole
	}
	return spread(left, " "+right, w)
}
