package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
)

// folderSync is the state of the folder tree's SyncFolderHierarchy: one
// request at a time, a request asked for meanwhile remembered, the debounce
// after folder events, the retry after a refused SyncState. Only the
// methods in this file change it; the folders pane reads it to draw
// "syncing…" and the last error.
type folderSync struct {
	running   bool
	again     bool // a sync was asked for while one ran
	againFull bool // and it is a full one (r)
	refusals  int  // SyncStates refused since the last complete sync
	// fetchCounts: GetFolder every folder once the full sync is complete.
	fetchCounts bool
	// announce: flash "folders synced" when the sync is complete (r).
	announce bool
	err      string // the last sync's error ("" after one that worked)
}

// syncIfDue starts the debounced incremental sync once folder events have
// stopped for syncQuiet (Microsoft recommends waiting after a burst).
func (m *Model) syncIfDue(now time.Time) tea.Cmd {
	tree := m.st.Tree()
	if m.sync.running || !tree.Synced() || !tree.SyncDue(now, syncQuiet) {
		return nil
	}
	return m.startSync(false)
}

// startSync runs SyncFolderHierarchy, one at a time: incremental from the
// tree's SyncState, or full (from no SyncState: the answer replaces the
// tree) when full is set, before the first sync, or after the server
// refused the SyncState.
func (m *Model) startSync(full bool) tea.Cmd {
	if m.opts.Backend == nil {
		return nil
	}
	if m.sync.running {
		m.sync.again = true
		m.sync.againFull = m.sync.againFull || full
		return nil
	}
	tree := m.st.Tree()
	state := tree.SyncState()
	if full || !tree.Synced() {
		state = ""
	}
	tree.MarkSynced()
	m.sync.running = true
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
	m.sync.running = false
	if msg.err != nil {
		return m.onSyncError(msg)
	}
	m.sync.err = ""
	if msg.full {
		m.st.ApplyFullSync(msg.res)
		m.sync.fetchCounts = true
	} else {
		m.st.ApplySync(msg.res)
	}
	complete := msg.res == nil || msg.res.IncludesLastFolderInRange
	if complete {
		m.sync.refusals = 0
	}
	if m.sync.announce && complete {
		m.sync.announce = false
		n := 0
		if msg.res != nil {
			n = len(msg.res.Changes)
		}
		m.setFlash(fmt.Sprintf("folders synced (%d changes)", n), flashInfo)
	}
	m.updateSession() // folder names may be known now
	var cmds []tea.Cmd
	if m.sync.fetchCounts && complete {
		// Unread and total counts of every folder, after each full sync:
		// its folders may all be new ones.
		m.sync.fetchCounts = false
		cmds = append(cmds, m.fetchFolderCounts())
	}
	if !complete || m.sync.again {
		// A full sync asked for meanwhile (r) starts over even in the
		// middle of a paged answer: it replaces the tree anyway.
		full := m.sync.againFull
		m.sync.again, m.sync.againFull = false, false
		cmds = append(cmds, m.startSync(full))
	}
	return tea.Batch(cmds...)
}

func (m *Model) onSyncError(msg syncMsg) tea.Cmd {
	if !msg.full && ews.SyncStateRefused(msg.err) && m.sync.refusals == 0 {
		// The server no longer knows the state (a restarted simulator, a
		// server that dropped it): the same request would fail again, so
		// start over with a full sync that replaces the tree. Once only
		// until a sync completes, against a server that refuses every
		// state it hands out.
		m.sync.refusals++
		m.st.Tree().DropSyncState()
		m.setFlash("the server refused the folder SyncState: syncing all folders again", flashInfo)
		m.sync.announce = true
		m.sync.again, m.sync.againFull = false, false
		return m.startSync(true)
	}
	m.sync.err = msg.err.Error()
	m.setFlash(opError("SyncFolderHierarchy", msg.err), flashError)
	m.sync.announce = false
	m.sync.again, m.sync.againFull = false, false
	return nil
}

// fetchFolderCounts asks GetFolder for every folder's counts, 100 at a time.
func (m *Model) fetchFolderCounts() tea.Cmd {
	var ids []ews.FolderId
	for _, n := range m.st.Tree().Flatten(nil) {
		ids = append(ids, n.Folder.FolderId)
	}
	var cmds []tea.Cmd
	for len(ids) > 0 {
		n := min(len(ids), 100)
		cmds = append(cmds, getFoldersCmd(m.ctx, m.opts.Backend, ids[:n]))
		ids = ids[n:]
	}
	return tea.Batch(cmds...)
}

// resync is r: the way out of a tree that went wrong, always a full sync
// from no SyncState, whose answer replaces the tree.
func (m *Model) resync() tea.Cmd {
	m.setFlash("syncing folders…", flashInfo)
	m.sync.announce = true
	return m.startSync(true)
}
