package ui

import (
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// updatesMsg is every runner update that was waiting on the channel of
// subscription gen, drained in one go. closed: the channel has closed.
type updatesMsg struct {
	gen     uint64
	ch      <-chan ews.Update
	updates []ews.Update
	closed  bool
}

// tickMsg arrives once a second, on the second, for the countdowns and the
// debounced folder sync.
type tickMsg struct{ at time.Time }

// syncMsg is a SyncFolderHierarchy answer (full: it started from an empty
// SyncState).
type syncMsg struct {
	full bool
	res  *ews.SyncFolderHierarchyResult
	err  error
}

// foldersMsg is a GetFolder answer (unread/total counts).
type foldersMsg struct {
	folders []ews.Folder
	err     error
}

// itemsMsg is a GetItem answer for the subjects of listed items.
type itemsMsg struct {
	ids   []ews.ItemId
	items []ews.Item
	err   error
}

// detailItemMsg is a GetItem answer addressed to the event (by Seq) whose
// detail view asked for it.
type detailItemMsg struct {
	seq  uint64
	item ews.Item
	err  error
}

// exportMsg reports an NDJSON export.
type exportMsg struct {
	path string
	n    int
	err  error
}

// simMsg reports a demo action.
type simMsg struct {
	action string
	err    error
}

// quitTimeoutMsg ends the wait for the subscription to close on quit.
type quitTimeoutMsg struct{}

// hiddenMsg is what resolving folders outside the visible tree found.
type hiddenMsg struct {
	folders []model.HiddenFolderInfo
	err     error
}
