package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// startSync runs SyncFolderHierarchy (full: from scratch), one at a time.
func (m *Model) startSync(full bool) tea.Cmd {
	if m.opts.Backend == nil {
		return nil
	}
	if m.syncing {
		m.syncAgain = true
		return nil
	}
	tree := m.st.Tree()
	state := tree.SyncState()
	if full || !tree.Synced() {
		state = ""
	}
	tree.MarkSynced()
	m.syncing = true
	m.folders.syncing = true
	return syncCmd(m.ctx, m.opts.Backend, state)
}

func (m *Model) onSync(msg syncMsg) tea.Cmd {
	m.syncing = false
	m.folders.syncing = false
	if msg.err != nil {
		m.folders.syncErr = msg.err.Error()
		m.setFlash("SyncFolderHierarchy: "+msg.err.Error(), true)
		m.syncAgain = false
		return nil
	}
	m.folders.syncErr = ""
	m.st.ApplySync(msg.res)
	if m.flash == "syncing folders…" && (msg.res == nil || msg.res.IncludesLastFolderInRange) {
		n := 0
		if msg.res != nil {
			n = len(msg.res.Changes)
		}
		m.setFlash(fmt.Sprintf("folders synced (%d changes)", n), false)
	}
	m.updateSession() // folder names may be known now
	var cmds []tea.Cmd
	if !m.foldersFetched {
		m.foldersFetched = true
		var ids []ews.FolderId
		for _, n := range m.st.Tree().Flatten(nil) {
			ids = append(ids, n.Folder.FolderId)
		}
		for len(ids) > 0 {
			n := min(len(ids), 100)
			cmds = append(cmds, getFoldersCmd(m.ctx, m.opts.Backend, ids[:n]))
			ids = ids[n:]
		}
	}
	if (msg.res != nil && !msg.res.IncludesLastFolderInRange) || m.syncAgain {
		m.syncAgain = false
		cmds = append(cmds, m.startSync(false))
	}
	return tea.Batch(cmds...)
}

// fetchItems asks GetItem for the subjects of the items on screen that are
// not known yet, each id once.
func (m *Model) fetchItems() tea.Cmd {
	if m.showHelp || m.opts.Backend == nil {
		return nil
	}
	if len(m.requested) > 4*max(m.st.Config().MaxEvents, 1000) {
		m.requested = map[string]bool{}
	}
	var ids []ews.ItemId
	want := func(e *model.Entry) {
		id := e.Event.ItemId
		if id.IsZero() || m.requested[id.Id] {
			return
		}
		if _, ok := m.st.Item(id.Id); ok {
			return
		}
		m.requested[id.Id] = true
		ids = append(ids, id)
	}
	for _, r := range m.events.VisibleRows() {
		if r.Entry != nil {
			want(r.Entry)
		} else if len(r.Cascade.Entries) > 0 {
			want(r.Cascade.Entries[0])
		}
	}
	var cmds []tea.Cmd
	for len(ids) > 0 {
		n := min(len(ids), itemBatch)
		cmds = append(cmds, getItemsCmd(m.ctx, m.opts.Backend, ids[:n]))
		ids = ids[n:]
	}
	return tea.Batch(cmds...)
}
