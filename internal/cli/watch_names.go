package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// watchNamer gives `ewsmon watch` the folder names and subjects the
// dashboard shows: the folder tree from SyncFolderHierarchy once at the
// start (and incrementally before a cascade that created, moved, renamed
// or deleted a folder is written), and the subjects of a cascade's items
// from one GetItem when the cascade is written. A failing call leaves the
// names or subjects out and says so on stderr, once for each kind.
type watchNamer struct {
	ctx    context.Context // ends when watch stops: then nothing is looked up
	client *ews.Client
	st     *model.State
	stderr io.Writer

	warnedSync, warnedItems bool
}

const (
	// namesWait bounds one lookup, so a slow server delays a cascade's
	// lines by at most this much.
	namesWait = 10 * time.Second
	// maxSyncPages bounds one folder sync (IncludesLastFolderInRange false
	// asks for more).
	maxSyncPages = 100
)

// syncFolders brings the tree up to date: all folders when full (the
// start), else the changes since the last sync.
func (n *watchNamer) syncFolders(full bool) {
	ctx, cancel := context.WithTimeout(n.ctx, namesWait)
	defer cancel()
	err := n.sync(ctx, full)
	if err != nil && !full && ews.SyncStateRefused(err) {
		err = n.sync(ctx, true)
	}
	if err != nil && n.ctx.Err() == nil && !n.warnedSync {
		n.warnedSync = true
		fmt.Fprintf(n.stderr, "ewsmon watch: folder names are left out: %s\n", oneLine(opErr("SyncFolderHierarchy", err)))
	}
}

func (n *watchNamer) sync(ctx context.Context, full bool) error {
	tree := n.st.Tree()
	state := tree.SyncState()
	if full || !tree.Synced() {
		state, full = "", true
	}
	for page := 0; page < maxSyncPages; page++ {
		res, err := n.client.SyncFolderHierarchy(ctx, state)
		if err != nil {
			return err
		}
		if full && page == 0 {
			n.st.ApplyFullSync(res)
		} else {
			n.st.ApplySync(res)
		}
		if res.IncludesLastFolderInRange || res.SyncState == "" {
			return nil
		}
		state = res.SyncState
	}
	return nil
}

// resolveHidden learns the folders outside the visible tree (AllItems,
// Recoverable Items, Freebusy Data), as the dashboard does at start, so that
// grouping folds their events in and lines name them.
func (n *watchNamer) resolveHidden() {
	ctx, cancel := context.WithTimeout(n.ctx, namesWait)
	defer cancel()
	fs, err := model.ResolveHiddenDistinguished(ctx, n.client)
	n.st.ApplyHiddenFolders(fs)
	if err != nil && n.ctx.Err() == nil && !n.warnedSync {
		n.warnedSync = true
		fmt.Fprintf(n.stderr, "ewsmon watch: hidden folders' names are left out: %s\n", oneLine(opErr("GetFolder", err)))
	}
}

// resolveUnknown asks GetFolder, once per id, for the folders events named
// that neither the tree nor the hidden folders know.
func (n *watchNamer) resolveUnknown() {
	ids := n.st.UnknownFolders(50)
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, namesWait)
	defer cancel()
	fs, _ := model.ResolveFolders(ctx, n.client, ids)
	n.st.ApplyHiddenFolders(fs)
}

// cascade looks up what the lines of one cascade will name: a folder sync
// if it changed folders, and one GetItem for its items' subjects.
func (n *watchNamer) cascade(ents []*model.Entry) {
	if n.ctx.Err() != nil {
		return // stopping: write what is known, now
	}
	tree := n.st.Tree()
	needSync := false
	var ids []ews.ItemId
	seen := map[string]bool{}
	gone := map[string]bool{} // items this cascade moved away or deleted
	for _, e := range ents {
		ev := &e.Event
		switch {
		case ev.IsFolderEvent():
			if ev.Type != ews.ModifiedEvent || ev.UnreadCount == nil || tree.KnownName(ev.FolderId.Id) == "" {
				needSync = true // created, moved, copied, deleted, renamed, or not known
			}
		case !ev.ItemId.IsZero():
			if ev.Type == ews.MovedEvent && ev.OldItemId.Id != ev.ItemId.Id {
				gone[ev.OldItemId.Id] = true
			}
			if ev.Type == ews.DeletedEvent {
				gone[ev.ItemId.Id] = true
			}
		}
	}
	for _, e := range ents {
		id := e.Event.ItemId
		if id.IsZero() || seen[id.Id] || gone[id.Id] || len(ids) >= itemBatch {
			continue
		}
		seen[id.Id] = true
		if _, ok := n.st.Item(id.Id); !ok {
			ids = append(ids, id)
		}
	}
	if needSync {
		n.syncFolders(false)
	}
	n.resolveUnknown()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, namesWait)
	defer cancel()
	items, err := n.client.GetItem(ctx, ids...)
	for _, it := range items {
		n.st.ApplyItem(it)
	}
	if err != nil && !onlyNotFound(err) && n.ctx.Err() == nil && !n.warnedItems {
		n.warnedItems = true
		fmt.Fprintf(n.stderr, "ewsmon watch: subjects are left out: %s\n", oneLine(opErr("GetItem", err)))
	}
}

// itemBatch is the most item ids one GetItem asks for.
const itemBatch = 50

// onlyNotFound reports whether err says only that items are gone (deleted
// since the event): nothing to warn about.
func onlyNotFound(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyNotFound(e) {
				return false
			}
		}
		return true
	}
	var re *ews.ResponseError
	return errors.As(err, &re) && re.Code == "ErrorItemNotFound"
}

// opErr names the operation once: EWS errors name it already.
func opErr(op string, err error) string {
	s := err.Error()
	if len(s) > len(op)+1 && s[:len(op)+1] == op+":" {
		return s
	}
	return op + ": " + s
}
