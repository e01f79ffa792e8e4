package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// startSync runs SyncFolderHierarchy, one at a time: incremental from the
// tree's SyncState, or full (from no SyncState: the answer replaces the
// tree) when full is set, before the first sync, or after the server
// refused the SyncState.
func (m *Model) startSync(full bool) tea.Cmd {
	if m.opts.Backend == nil {
		return nil
	}
	if m.syncing {
		m.syncAgain = true
		m.syncAgainFull = m.syncAgainFull || full
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

// opError is err as one sentence that names the operation once: EWS errors
// (*ews.ResponseError) name it already, transport errors do not.
func opError(op string, err error) string {
	s := err.Error()
	if strings.HasPrefix(s, op+": ") {
		return s
	}
	return op + ": " + s
}

func (m *Model) onSync(msg syncMsg) tea.Cmd {
	m.syncing = false
	m.folders.syncing = false
	if msg.err != nil {
		if !msg.full && ews.SyncStateRefused(msg.err) && m.syncRefusals == 0 {
			// The server no longer knows the state (a restarted simulator,
			// a server that dropped it): the same request would fail again,
			// so start over with a full sync that replaces the tree. Once
			// only until a sync completes, against a server that refuses
			// every state it hands out.
			m.syncRefusals++
			m.st.Tree().DropSyncState()
			m.setFlash("the server refused the folder SyncState: syncing all folders again", false)
			m.announceSync = true
			m.syncAgain, m.syncAgainFull = false, false
			return m.startSync(true)
		}
		m.folders.syncErr = msg.err.Error()
		m.setFlash(opError("SyncFolderHierarchy", msg.err), true)
		m.announceSync = false
		m.syncAgain, m.syncAgainFull = false, false
		return nil
	}
	m.folders.syncErr = ""
	if msg.full {
		m.st.ApplyFullSync(msg.res)
		m.fetchCounts = true
	} else {
		m.st.ApplySync(msg.res)
	}
	complete := msg.res == nil || msg.res.IncludesLastFolderInRange
	if complete {
		m.syncRefusals = 0
	}
	if m.announceSync && complete {
		m.announceSync = false
		n := 0
		if msg.res != nil {
			n = len(msg.res.Changes)
		}
		m.setFlash(fmt.Sprintf("folders synced (%d changes)", n), false)
	}
	m.updateSession() // folder names may be known now
	var cmds []tea.Cmd
	if m.fetchCounts && complete {
		// Unread and total counts of every folder, after each full sync:
		// its folders may all be new ones.
		m.fetchCounts = false
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
	if !complete || m.syncAgain {
		// A full sync asked for meanwhile (r) starts over even in the
		// middle of a paged answer: it replaces the tree anyway.
		full := m.syncAgainFull
		m.syncAgain, m.syncAgainFull = false, false
		cmds = append(cmds, m.startSync(full))
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
