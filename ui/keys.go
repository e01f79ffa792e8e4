package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/model"
)

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.filtering {
		switch msg.String() {
		case "enter":
			m.filtering = false
			f, err := parseFilter(m.input.Value(), m.st.Tree())
			if err != nil {
				m.setFlash(err.Error(), true)
				return nil
			}
			m.st.SetFilter(f)
			if m.flashErr && strings.HasPrefix(m.flash, "filter:") {
				m.flash = "" // the last filter's error no longer holds
			}
			return nil
		case "esc":
			m.filtering = false
			return nil
		}
		m.input.Update(msg)
		return nil
	}
	if m.typesDlg != nil {
		done, apply := m.typesDlg.Update(msg)
		if done {
			chosen := m.typesDlg.Chosen()
			m.typesDlg = nil
			if apply {
				if len(chosen) == len(ews.AllEventTypes) {
					chosen = nil
				}
				m.watchCfg.EventTypes = chosen
				return m.subscribe()
			}
		}
		return nil
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Back, k.Help):
			m.showHelp = false
		default:
			m.help.Update(msg)
		}
		return nil
	}

	if m.showRef {
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Back, k.CascadeRef):
			m.showRef = false
		default:
			m.ref.Update(msg)
		}
		return nil
	}

	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
		m.help.top = 0
		return nil
	case key.Matches(msg, k.CascadeRef):
		m.openReference()
		return nil
	case key.Matches(msg, k.Back):
		switch {
		case m.showDetail:
			m.showDetail = false
		case !m.st.Filter().IsZero():
			m.st.SetFilter(model.Filter{})
		}
		return nil
	case key.Matches(msg, k.Pause):
		m.events.SetFollow(!m.events.Following())
		return nil
	case key.Matches(msg, k.Subscribe):
		if m.watching && !m.unsubscribing {
			m.setFlash("already subscribed (u unsubscribes, m switches mode)", false)
			return nil
		}
		cmd := m.subscribe()
		m.setFlash("subscribing…", false)
		if !m.st.Tree().Synced() && !m.syncing {
			// The first sync failed too (server unreachable): retry it.
			cmd = tea.Batch(cmd, m.startSync(true))
		}
		return cmd
	case key.Matches(msg, k.Unsubscribe):
		if !m.watching || m.unsubscribing {
			m.setFlash("not subscribed (s subscribes)", false)
			return nil
		}
		m.unsubscribing = true
		m.cancel()
		m.setFlash("unsubscribing…", false)
		return nil
	case key.Matches(msg, k.Mode):
		if m.watchCfg.Mode == ews.ModePull {
			m.watchCfg.Mode = ews.ModeStreaming
		} else {
			m.watchCfg.Mode = ews.ModePull
		}
		m.setFlash("resubscribing in "+string(m.watchCfg.Mode)+" mode", false)
		return m.subscribe()
	case key.Matches(msg, k.FolderScope):
		if len(m.watchCfg.Folders) > 0 {
			m.watchCfg.Folders = nil
			m.setFlash("watching all folders", false)
			return m.subscribe()
		}
		id := m.folders.Selected()
		if id == "" {
			m.setFlash("select a folder in the tree first (tab to the tree)", true)
			return nil
		}
		m.watchCfg.Folders = []ews.FolderRef{ews.FolderRefOf(ews.FolderId{Id: id})}
		m.setFlash("watching "+m.st.Tree().Name(id)+" only (f again: all folders)", false)
		return m.subscribe()
	case key.Matches(msg, k.EventTypes):
		m.typesDlg = newTypesDialog(m.c, m.watchCfg.EventTypes)
		return nil
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.input.SetValue(filterText(m.st.Filter(), m.st.Tree()))
		return nil
	case key.Matches(msg, k.Clear):
		m.st.Clear()
		m.events.markSeen()
		m.showDetail = false
		return nil
	case key.Matches(msg, k.Export):
		// The lines are made here, from the model as the list shows it now
		// (cascades, labels, names, subjects); the file is written in the
		// background.
		return exportCmd(m.opts.ExportDir, m.now(), m.st.Records(m.st.VisibleEntries()))
	case key.Matches(msg, k.Resync):
		// r is the way out of a tree that went wrong: always a full sync,
		// from no SyncState, whose answer replaces the tree.
		m.setFlash("syncing folders…", false)
		m.announceSync = true
		return m.startSync(true)
	case key.Matches(msg, k.NextPane):
		if !m.showDetail {
			m.cycleFocus(1)
		}
		return nil
	case key.Matches(msg, k.PrevPane):
		if !m.showDetail {
			m.cycleFocus(-1)
		}
		return nil
	}
	if m.opts.Sim != nil {
		if key.Matches(msg, k.SimActivity) {
			if m.opts.Sim.Activity() > 0 {
				m.opts.Sim.SetActivity(0)
				m.setFlash("activity generator off", false)
			} else {
				m.opts.Sim.SetActivity(m.opts.SimRate)
				m.setFlash(fmt.Sprintf("activity generator on (%g actions/s)", m.opts.SimRate), false)
			}
			return nil
		}
		for _, a := range k.SimActions() {
			if key.Matches(msg, *a.Binding) {
				return simCmd(m.ctx, m.opts.Sim, a.SimAction)
			}
		}
	}
	if m.showDetail {
		_, cmd := m.detail.Update(msg)
		return cmd
	}
	if key.Matches(msg, k.Enter) {
		return m.enter()
	}
	_, cmd := m.pane(m.focus).Update(msg)
	return cmd
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
	f.FolderId = id
	m.st.SetFilter(f)
}

func (m *Model) openDetail(r model.Row) tea.Cmd {
	e := r.Entry
	id := e.Event.ItemId
	m.showDetail = true
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
	if msg.Button != tea.MouseLeft || m.showHelp || m.typesDlg != nil {
		return nil
	}
	for _, id := range []paneID{paneFolders, paneEvents, paneStatus} {
		r, ok := m.rects[id]
		if !ok || !r.contains(msg.X, msg.Y) {
			continue
		}
		if m.showDetail && id != paneStatus {
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
	switch {
	case m.showHelp:
		m.help.Update(msg)
		return nil
	case m.showDetail:
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
			if m.showDetail && id != paneStatus {
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
func (m *Model) openReference() {
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
	m.showRef = true
}
