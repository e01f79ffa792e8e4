package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/keymap"
	"github.com/ewsmon/ewsmon/model"
)

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	switch m.modes.top() {
	case modeFilter:
		return m.filterKey(msg)
	case modePassword:
		return m.passwordKey(msg)
	case modeSearch:
		return m.searchKey(msg)
	case modeTypes:
		return m.typesKey(msg)
	case modeHelp:
		return m.overlayKey(msg, m.keys.Help, m.help)
	case modeRef:
		return m.overlayKey(msg, m.keys.CascadeRef, m.ref)
	}
	for _, a := range m.actions() {
		if key.Matches(msg, *a.binding) {
			return a.do()
		}
	}
	if cmd, ok := m.simKey(msg); ok {
		return cmd
	}
	if m.modes.top() == modeDetail {
		_, cmd := m.detail.Update(msg)
		return cmd
	}
	if key.Matches(msg, m.keys.Enter) {
		return m.enter()
	}
	_, cmd := m.pane(m.focus).Update(msg)
	return cmd
}

// keyAction is what a binding does in the list and the detail view.
type keyAction struct {
	binding *key.Binding
	do      func() tea.Cmd
}

// actions are the bindings that work in the list and in the detail view,
// in the order they are tried.
func (m *Model) actions() []keyAction {
	k := &m.keys
	return []keyAction{
		{&k.Quit, m.quit},
		{&k.Help, m.openHelp},
		{&k.CascadeRef, m.openReference},
		{&k.Back, m.back},
		{&k.Pause, m.togglePause},
		{&k.Subscribe, m.subscribeKey},
		{&k.Unsubscribe, m.unsubscribeKey},
		{&k.Mode, m.toggleMode},
		{&k.FolderScope, m.toggleScope},
		{&k.EventTypes, m.openTypes},
		{&k.Filter, m.openFilter},
		{&k.Clear, m.clearList},
		{&k.Export, m.export},
		{&k.Resync, m.resync},
		{&k.Copy, m.copyIDs},
		{&k.TimeFormat, m.toggleTimes},
		{&k.NextEvent, func() tea.Cmd { return m.stepDetail(1) }},
		{&k.PrevEvent, func() tea.Cmd { return m.stepDetail(-1) }},
		{&k.NextPane, func() tea.Cmd { return m.cycleFocus(1) }},
		{&k.PrevPane, func() tea.Cmd { return m.cycleFocus(-1) }},
	}
}

// overlayKey handles a key in a full-screen view (help, reference): its
// own key or esc closes it, q quits, the rest scroll it.
func (m *Model) overlayKey(msg tea.KeyPressMsg, own key.Binding, p pane) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Back, own):
		m.modes.pop()
	default:
		p.Update(msg)
	}
	return nil
}

// filterKey edits the `/` filter; the list follows as the user types
// (while the text does not parse, it keeps the last filter that did).
func (m *Model) filterKey(msg tea.Msg) tea.Cmd {
	k, _ := msg.(tea.KeyPressMsg)
	switch k.String() {
	case "enter":
		m.modes.pop()
		f, err := model.ParseFilter(m.filterIn.Value(), m.st.Tree())
		if err != nil {
			m.filterIn.close(false)
			m.st.SetFilter(m.filterBefore)
			m.setFlash(err.Error(), flashError)
			return nil
		}
		m.filterIn.close(true)
		m.setLiveFilter(f)
		m.flash = flash{} // the last filter's error no longer holds
	case "esc":
		m.modes.pop()
		m.filterIn.close(false)
		m.setLiveFilter(m.filterBefore)
	default:
		if m.filterIn.Update(msg) {
			f, err := model.ParseFilter(m.filterIn.Value(), m.st.Tree())
			m.filterIn.SetNote("")
			if err != nil {
				m.filterIn.SetNote(err.Error())
				return nil
			}
			m.setLiveFilter(f)
		}
	}
	return nil
}

// setLiveFilter applies f unless it is the filter in effect already (each
// SetFilter rebuilds the list).
func (m *Model) setLiveFilter(f model.Filter) {
	if f.String() != m.st.Filter().String() {
		m.st.SetFilter(f)
	}
}

func (m *Model) typesKey(msg tea.KeyPressMsg) tea.Cmd {
	done, apply := m.typesDlg.Update(msg)
	if !done {
		return nil
	}
	chosen := m.typesDlg.Chosen()
	m.typesDlg = nil
	m.modes.pop()
	if !apply {
		if len(chosen) == 0 && key.Matches(msg, m.keys.Enter) {
			m.setFlash("no event type chosen: the subscription is unchanged", flashError)
		}
		return nil
	}
	if len(chosen) == len(ews.AllEventTypes) {
		chosen = nil
	}
	m.watchCfg.EventTypes = chosen
	return m.subscribe()
}

func (m *Model) openHelp() tea.Cmd {
	m.modes.push(modeHelp)
	m.help.Reset()
	return nil
}

// back is esc: it closes the detail view, else clears the filter.
func (m *Model) back() tea.Cmd {
	switch {
	case m.modes.top() == modeDetail:
		m.modes.pop()
	case !m.st.Filter().IsZero():
		m.st.SetFilter(model.Filter{})
	}
	return nil
}

func (m *Model) togglePause() tea.Cmd {
	m.events.SetFollow(!m.events.Following())
	return nil
}

func (m *Model) subscribeKey() tea.Cmd {
	if m.canAskPassword() {
		m.modes.push(modePassword)
		m.passwordIn.open("")
		return nil
	}
	if m.watching && !m.unsubscribing {
		m.setFlash("already subscribed (u unsubscribes, m switches mode)", flashInfo)
		return nil
	}
	cmd := m.subscribe()
	m.setFlash("subscribing…", flashInfo)
	if !m.st.Tree().Synced() && !m.sync.running {
		// The first sync failed too (server unreachable): retry it.
		cmd = tea.Batch(cmd, m.startSync(true))
	}
	return cmd
}

func (m *Model) unsubscribeKey() tea.Cmd {
	if !m.watching || m.unsubscribing {
		m.setFlash("not subscribed (s subscribes)", flashInfo)
		return nil
	}
	m.unsubscribing = true
	m.cancel()
	return nil
}

// toggleMode cycles streaming → pull → push (when there is a listener) →
// streaming and resubscribes.
func (m *Model) toggleMode() tea.Cmd {
	if m.cmp != nil {
		m.setFlash("the comparison runs every transport at once: no mode to switch", flashInfo)
		return nil
	}
	switch {
	case m.watchCfg.Mode == ews.ModeStreaming || m.watchCfg.Mode == "":
		m.watchCfg.Mode = ews.ModePull
	case m.watchCfg.Mode == ews.ModePull && m.opts.Push != nil:
		m.watchCfg.Mode, m.watchCfg.Push = ews.ModePush, m.opts.Push
	default:
		m.watchCfg.Mode = ews.ModeStreaming
	}
	m.setFlash("resubscribing in "+string(m.watchCfg.Mode)+" mode", flashInfo)
	return m.subscribe()
}

func (m *Model) toggleScope() tea.Cmd {
	if len(m.watchCfg.Folders) > 0 {
		m.watchCfg.Folders = nil
		m.setFlash("watching all folders", flashInfo)
		return m.subscribe()
	}
	id := m.folders.Selected()
	if id == "" {
		m.setFlash("select a folder in the tree first (tab to the tree)", flashError)
		return nil
	}
	m.watchCfg.Folders = []ews.FolderRef{ews.FolderRefOf(ews.FolderId{Id: id})}
	m.setFlash("watching "+m.st.Tree().Name(id)+" only (f again: all folders)", flashInfo)
	return m.subscribe()
}

func (m *Model) openTypes() tea.Cmd {
	m.typesDlg = newTypesDialog(m.c, m.watchCfg.EventTypes)
	m.modes.push(modeTypes)
	return nil
}

func (m *Model) openFilter() tea.Cmd {
	if m.modes.top() == modeDetail {
		m.modes.push(modeSearch)
		m.searchIn.open(m.detail.Query())
		return nil
	}
	m.modes.push(modeFilter)
	m.filterBefore = m.st.Filter()
	m.filterIn.open(m.filterBefore.String())
	return nil
}

func (m *Model) clearList() tea.Cmd {
	m.st.Clear()
	if m.cmp != nil {
		clear(m.cmp.rows) // the summary goes on counting: it is the run's
	}
	m.events.markSeen()
	m.modes.drop(modeDetail)
	return nil
}

// export writes the list as NDJSON. The lines are made here, from the model
// as the list shows it now (cascades, labels, names, subjects); the file is
// written in the background.
func (m *Model) export() tea.Cmd {
	if m.st.RowCount() == 0 {
		what := "the list is empty"
		if m.st.Len() > 0 {
			what = "no event matches the filter"
		}
		m.setFlash("nothing to export: "+what, flashError)
		return nil
	}
	return exportCmd(m.opts.ExportDir, m.now(), m.st.Records(m.st.VisibleEntries()))
}

// simKey fires a simulator demo action; ok is false for other keys.
func (m *Model) simKey(msg tea.KeyPressMsg) (cmd tea.Cmd, ok bool) {
	k := &m.keys
	if m.opts.Sim == nil {
		// The simulator's bindings are disabled; their keys still say why
		// they do nothing.
		for _, a := range append(k.SimActions(), keymap.Action{Name: "sim-activity", Binding: &k.SimActivity}) {
			if slices.Contains(a.Binding.Keys(), msg.String()) {
				m.setFlash(fmt.Sprintf("%s (%s): simulator only — this dashboard watches a real server", a.Binding.Help().Desc, msg.String()), flashError)
				return nil, true
			}
		}
		return nil, false
	}
	if key.Matches(msg, k.SimActivity) {
		if m.opts.Sim.Activity() > 0 {
			m.opts.Sim.SetActivity(0)
			m.setFlash("activity generator off", flashInfo)
		} else {
			m.opts.Sim.SetActivity(m.opts.SimRate)
			m.setFlash(fmt.Sprintf("activity generator on (%g actions/s)", m.opts.SimRate), flashInfo)
		}
		return nil, true
	}
	for _, a := range k.SimActions() {
		if key.Matches(msg, *a.Binding) {
			return simCmd(m.ctx, m.opts.Sim, a.SimAction), true
		}
	}
	return nil, false
}

// enter acts on the focused pane's selection.
func (m *Model) enter() tea.Cmd {
	switch m.focus {
	case paneFolders:
		m.pickFolder(m.folders.Selected())
	case paneEvents:
		r, ok := m.events.Selected()
		if !ok {
			return nil
		}
		if r.Entry == nil {
			// While following, the selection is the newest row: expanding
			// the newest cascade would move it to the cascade's last event,
			// so a second enter opened that event instead of collapsing.
			// Stop on the header the user chose.
			m.events.SetFollow(false)
			m.st.ToggleExpanded(r.Cascade.ID)
			return nil
		}
		return m.openDetail(r)
	}
	return nil
}

// pickFolder filters the list to a folder; picking the folder the list is
// already filtered to (or "All folders") clears the folder filter.
func (m *Model) pickFolder(id string) {
	f := m.st.Filter()
	if f.FolderId == id {
		id = ""
	}
	if f.FolderId == id {
		return
	}
	m.st.SetFilter(f.WithFolder(id, m.st.Tree()))
}

func (m *Model) openDetail(r model.Row) tea.Cmd {
	e := r.Entry
	id := e.Event.ItemId
	m.modes.push(modeDetail)
	if id.IsZero() {
		m.detail.Open(e, m.st.Label(r.Cascade), false)
		return nil
	}
	if it, ok := m.st.Item(id.Id); ok {
		m.detail.Open(e, m.st.Label(r.Cascade), false)
		m.detail.SetItem(detailItemMsg{seq: e.Seq, item: it})
		return nil
	}
	m.detail.Open(e, m.st.Label(r.Cascade), true)
	return detailItemCmd(m.ctx, m.opts.Backend, e.Seq, id)
}

func (m *Model) onClick(msg tea.MouseClickMsg) tea.Cmd {
	top := m.modes.top()
	if msg.Button != tea.MouseLeft || (top != modeList && top != modeDetail) {
		return nil
	}
	for _, id := range []paneID{paneFolders, paneEvents, paneStatus} {
		r, ok := m.rects[id]
		if !ok || !r.contains(msg.X, msg.Y) {
			continue
		}
		if top == modeDetail && id != paneStatus {
			return nil // the detail view covers the tree and the list
		}
		m.setFocus(id)
		switch id {
		case paneEvents:
			m.events.ClickRow(msg.Y - r.y)
		case paneFolders:
			if m.folders.ClickRow(msg.Y - r.y) {
				m.pickFolder(m.folders.Selected())
			}
		}
	}
	return nil
}

func (m *Model) onWheel(msg tea.MouseWheelMsg) tea.Cmd {
	body := m.modes.body()
	switch body {
	case modeHelp:
		m.help.Update(msg)
		return nil
	case modeRef:
		m.ref.Update(msg)
		return nil
	case modeDetail:
		// The detail covers the tree and the list: the wheel scrolls it
		// anywhere over them.
		ev, tr := m.rects[paneEvents], m.rects[paneFolders]
		if ev.contains(msg.X, msg.Y) || tr.contains(msg.X, msg.Y) {
			_, cmd := m.detail.Update(msg)
			return cmd
		}
	}
	for _, id := range []paneID{paneFolders, paneEvents, paneStatus} {
		if r, ok := m.rects[id]; ok && r.contains(msg.X, msg.Y) {
			if body == modeDetail && id != paneStatus {
				return nil
			}
			_, cmd := m.pane(id).Update(msg)
			return cmd
		}
	}
	return nil
}

// openReference shows the cascade reference for the server and the
// subscription's scope.
func (m *Model) openReference() tea.Cmd {
	profile := ""
	if m.opts.Sim != nil {
		profile = m.opts.Sim.Profile()
	}
	var v ews.ServerVersionInfo
	if m.opts.Backend != nil {
		v = m.opts.Backend.ServerVersion()
	}
	store, what := refStore(profile, v)
	scope := sim.ScopeAll
	if len(m.watchCfg.Folders) > 0 {
		scope = sim.ScopeFolders
	}
	keys := map[string]string{}
	if m.opts.Sim != nil {
		for _, a := range m.c.keys.SimActions() {
			keys[a.SimAction] = a.Binding.Help().Key
		}
	}
	m.ref.setContent(store, what, scope, keys)
	m.modes.push(modeRef)
	return nil
}

// searchKey edits the detail view's search; the view follows as the user
// types, enter goes to the next match, esc closes the prompt.
func (m *Model) searchKey(msg tea.Msg) tea.Cmd {
	k, _ := msg.(tea.KeyPressMsg)
	switch k.String() {
	case "enter":
		m.detail.NextMatch()
	case "esc":
		m.searchIn.close(true)
		m.modes.pop()
	default:
		if m.searchIn.Update(msg) {
			m.detail.Search(m.searchIn.Value())
		}
	}
	m.searchIn.SetNote(m.detail.SearchNote())
	return nil
}

// stepDetail shows the next (d=1) or previous (d=-1) event the list keeps,
// in the order they arrived, in the detail view.
func (m *Model) stepDetail(d int) tea.Cmd {
	if m.modes.top() != modeDetail {
		m.setFlash("n/p step through the events in the detail view (enter on an event opens it)", flashInfo)
		return nil
	}
	e := m.st.StepEntry(m.detail.Seq(), d)
	if e == nil {
		what := "this is the newest event"
		if d < 0 {
			what = "this is the oldest event kept"
		}
		m.setFlash(what, flashInfo)
		return nil
	}
	c := m.st.Cascade(e.CascadeID)
	m.events.selectEntry(c, e)
	return m.openDetail(model.Row{Cascade: c, Entry: e})
}

// copyIDs puts the selected event's ids on the clipboard (OSC 52: the
// terminal does it, over ssh too).
func (m *Model) copyIDs() tea.Cmd {
	var e *model.Entry
	if m.modes.top() == modeDetail {
		e = m.detail.Entry()
	} else if r, ok := m.events.Selected(); ok {
		e = r.Entry
		if e == nil {
			e = cascadeItemEntry(m.st, r.Cascade)
		}
	}
	if e == nil || e.Gap != nil || e.Recon != nil {
		m.setFlash("no event selected: nothing copied", flashError)
		return nil
	}
	ev := e.Event
	var lines, names []string
	add := func(name, v string) {
		if v != "" {
			lines = append(lines, name+" "+v)
			names = append(names, name)
		}
	}
	add("ItemId", ev.ItemId.Id)
	add("FolderId", ev.FolderId.Id)
	add("ParentFolderId", ev.ParentFolderId.Id)
	add("SubscriptionId", ev.SubscriptionId)
	if len(lines) == 0 {
		m.setFlash("the event carries no ids: nothing copied", flashError)
		return nil
	}
	m.setFlash("copied "+strings.Join(names, ", ")+" to the clipboard", flashInfo)
	return tea.SetClipboard(strings.Join(lines, "\n") + "\n")
}

// cascadeItemEntry is the event a cascade header stands for: its first
// event about an item (the mail, not its folder's count), else the last
// one the list shows.
func cascadeItemEntry(st *model.State, c *model.Cascade) *model.Entry {
	for _, e := range c.Entries {
		if !e.Event.ItemId.IsZero() {
			return e
		}
	}
	return st.LastVisible(c)
}

// toggleTimes cycles local time, UTC and ages ("3s ago") everywhere.
func (m *Model) toggleTimes() tea.Cmd {
	m.c.times.next()
	m.setFlash("times: "+m.c.times.describe(), flashInfo)
	if m.modes.top() == modeDetail {
		m.detail.refreshKeepingPlace()
	}
	return nil
}

// onPaste hands a paste (bracketed paste: the terminal's own) to the
// prompt being edited; elsewhere it means nothing.
func (m *Model) onPaste(msg tea.PasteMsg) tea.Cmd {
	switch m.modes.top() {
	case modeFilter:
		return m.filterKey(msg)
	case modeSearch:
		return m.searchKey(msg)
	case modePassword:
		m.passwordIn.Update(msg)
	}
	return nil
}
