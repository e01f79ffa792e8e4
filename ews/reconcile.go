package ews

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Reconciliation across gaps, as Microsoft's "Handling notification-related
// errors in EWS in Exchange" recommends for a lost subscription: compare the
// watched folders' PR_LOCAL_COMMIT_TIME_MAX and PR_DELETED_COUNT_TOTAL before
// and after to find which folders changed, then synchronise those
// (SyncFolderItems from a sync state taken before). A baseline — the folder
// list, both properties of every folder and a SyncFolderItems state per
// folder — is taken in the background when a subscription starts; after a
// gap the new state of everything is compared with it and becomes the next
// baseline. Bounds (docs/reliability.md):
const (
	// MaxReconcileFolders: folders beyond this are not compared.
	MaxReconcileFolders = 500
	// maxBaselinePages: a folder whose initial SyncFolderItems needs more
	// pages (of 512 items) than this gets no item baseline; its changes
	// are reported at folder level only.
	maxBaselinePages = 4
	// maxReconcilePages: the changes of one folder across one gap that are
	// listed (pages of 512); beyond, the rest is one folder-level Update.
	maxReconcilePages = 4
	// reconcileTimeout bounds one reconciliation.
	reconcileTimeout = 2 * time.Minute
	// changeMarkBatch: folders per GetFolder call.
	changeMarkBatch = 100
	// baselineMargin: a baseline finished less than this before a gap
	// began is not trusted for it — events produced just before the last
	// envelope may still have been on their way when the stream broke —
	// and the one before it is used (modelled: a round trip and the
	// server's write loop, with room to spare).
	baselineMargin = time.Second
)

type reconciler struct {
	c       *Client
	clock   Clock
	folders []FolderRef // as configured; empty: every folder

	mu      sync.Mutex
	base    *snapshot
	older   []*snapshot   // the baselines before base, oldest first (at most maxOlder)
	pending chan struct{} // closed when the running baseline is done
	// notes are folders notified as created since the baseline.
	notes map[string]folderNote
}

type folderNote struct {
	parent string
	at     time.Time
}

// maxOlder: older baselines kept for gaps that come close after one another.
const maxOlder = 4

// retire keeps a replaced baseline among the older ones. Caller holds mu.
func (rc *reconciler) retire(s *snapshot) {
	if s == nil {
		return
	}
	rc.older = append(rc.older, s)
	if len(rc.older) > maxOlder {
		rc.older = append(rc.older[:0:0], rc.older[len(rc.older)-maxOlder:]...)
	}
}

// pruneNotes forgets folder notes older than every baseline kept: no
// comparison starts before them any more. Caller holds mu.
func (rc *reconciler) pruneNotes() {
	oldest := rc.base
	if len(rc.older) > 0 {
		oldest = rc.older[0]
	}
	if oldest == nil {
		return
	}
	for id, n := range rc.notes {
		if n.at.Before(oldest.start) {
			delete(rc.notes, id)
		}
	}
}

// maxFolderNotes bounds notes; beyond it the oldest are not kept.
const maxFolderNotes = 2 * MaxReconcileFolders

// noteFolders remembers the folders that notifications said were created
// (or copied, or moved here), for the next reconciliation.
func (rc *reconciler) noteFolders(evs []Event, at time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, e := range evs {
		if !e.ItemId.IsZero() || e.FolderId.IsZero() {
			continue
		}
		switch e.Type {
		case CreatedEvent, CopiedEvent, MovedEvent:
			if rc.notes == nil {
				rc.notes = map[string]folderNote{}
			}
			if len(rc.notes) < maxFolderNotes {
				rc.notes[e.FolderId.Id] = folderNote{parent: e.ParentFolderId.Id, at: at}
			}
		}
	}
}

// snapshot is what the watched folders looked like at one moment.
type snapshot struct {
	hier  string   // SyncFolderHierarchy state (all folders); "" for named folders
	order []string // folder ids, in the order found
	refs  map[string]FolderRef
	marks map[string]FolderChangeMark
	items map[string]string // SyncFolderItems state; absent: no item baseline
	// parent of each folder, where known: a folder created, moved or
	// deleted changes its parent too (its ModifiedEvent).
	parent map[string]string
	start  time.Time // when it began to be read
	done   time.Time // when it was complete
}

func newSnapshot() *snapshot {
	return &snapshot{refs: map[string]FolderRef{}, marks: map[string]FolderChangeMark{}, items: map[string]string{}, parent: map[string]string{}}
}

func (s *snapshot) add(id, parent FolderId) {
	if parent.Id != "" {
		s.parent[id.Id] = parent.Id
	}
	if _, ok := s.refs[id.Id]; ok || len(s.order) >= MaxReconcileFolders {
		return
	}
	s.order = append(s.order, id.Id)
	s.refs[id.Id] = FolderRefOf(FolderId{Id: id.Id})
}

func newReconciler(c *Client, clock Clock, folders []FolderRef) *reconciler {
	return &reconciler{c: c, clock: clock, folders: folders}
}

// baselineAt is when the current baseline was complete; zero when none.
func (rc *reconciler) baselineAt() time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.base == nil {
		return time.Time{}
	}
	return rc.base.done
}

// background runs take in a goroutine tracked by wg and by rc.pending,
// unless a baseline is being taken already. Caller holds mu.
func (rc *reconciler) background(wg *sync.WaitGroup, take func()) {
	if rc.pending != nil {
		select {
		case <-rc.pending:
		default:
			return // one is running
		}
	}
	done := make(chan struct{})
	rc.pending = done
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		take()
	}()
}

// startBaseline takes a new baseline in the background (unless one is
// being taken). wg tracks the goroutine so that the runner can wait for it.
func (rc *reconciler) startBaseline(ctx context.Context, wg *sync.WaitGroup) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.background(wg, func() {
		s, err := rc.snapshot(ctx, nil)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err != nil {
			rc.base = nil
			return
		}
		rc.retire(rc.base)
		rc.base = s
		rc.pruneNotes()
	})
}

// refresh brings the baseline up to date in the background: a snapshot
// against the current baseline, its changes discarded (they were
// notified). Nothing happens while a baseline is being taken.
func (rc *reconciler) refresh(ctx context.Context, wg *sync.WaitGroup) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	base := rc.base
	if base == nil {
		return
	}
	rc.background(wg, func() {
		s, err := rc.snapshot(ctx, &diff{base: base, res: &Reconciliation{}})
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err == nil && rc.base == base {
			rc.retire(base)
			rc.base = s
			rc.pruneNotes()
		}
	})
}

// reconcile compares the folders now with the baseline and makes the new
// state the next baseline. ctx is the runner's: a baseline started from
// here ends with it.
func (rc *reconciler) reconcile(runCtx context.Context, g *Gap, wg *sync.WaitGroup) *Reconciliation {
	ctx, cancel := context.WithTimeout(runCtx, reconcileTimeout)
	defer cancel()
	res := &Reconciliation{GapID: g.ID}
	rc.mu.Lock()
	pending := rc.pending
	rc.mu.Unlock()
	if pending != nil {
		select {
		case <-pending:
		case <-ctx.Done():
			res.Err = fmt.Errorf("the baseline was not ready: %w", ctx.Err())
			return res
		}
	}
	safe := g.From.Add(-baselineMargin)
	base, replaced := rc.baselineFor(safe)
	if base == nil {
		res.Err = errors.New("no baseline of the folders was taken before the gap (the server did not answer it): what changed is unknown")
		rc.startBaseline(runCtx, wg)
		return res
	}
	d := &diff{base: base, res: res, noted: map[string]string{}}
	rc.mu.Lock()
	for id, n := range rc.notes {
		if !n.at.Before(base.start) && n.parent != "" {
			d.noted[id] = n.parent
		}
	}
	rc.mu.Unlock()
	after, err := rc.snapshot(ctx, d)
	if err != nil {
		res.Err = err
		rc.mu.Lock()
		rc.base = nil
		rc.mu.Unlock()
		return res
	}
	rc.notedDeletions(d, base, after)
	res.Folders = len(after.order)
	if base.done.After(safe) {
		// The gap began while the baseline was still being read, or just
		// after (it is taken after the subscription, so nothing before
		// the gap is lost, but a change inside it may already be in it).
		res.Err = fmt.Errorf("the baseline was complete only at %s, as the gap began: changes in flight then may be missing", base.done.Format("15:04:05.000"))
	}
	rc.mu.Lock()
	rc.retire(replaced)
	rc.base = after
	rc.pruneNotes()
	rc.mu.Unlock()
	return res
}

// baselineFor picks the baseline to compare with for a gap that began at
// safe (less the margin): the current one, unless it was finished inside
// the gap, or just before it while events may have been in flight (what it
// saw may include changes the gap hid) — then the newest older one finished
// in time, else the oldest kept (what was notified in between is listed
// again; nothing is lost). replaced is the current one.
func (rc *reconciler) baselineFor(safe time.Time) (base, replaced *snapshot) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	base = rc.base
	if base != nil && base.done.After(safe) {
		for i := len(rc.older) - 1; i >= 0; i-- {
			base = rc.older[i]
			if !base.done.After(safe) {
				break
			}
		}
	}
	return base, rc.base
}

// notedDeletions: a folder created after the baseline (notified) and gone
// by now was deleted, maybe inside the gap: SyncFolderHierarchy from the
// baseline's state reports neither its creation nor its deletion.
func (rc *reconciler) notedDeletions(d *diff, base, after *snapshot) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, n := range rc.notes {
		if n.at.Before(base.start) {
			continue
		}
		if _, now := after.refs[id]; !now && !d.changed[id] {
			if _, before := base.refs[id]; !before {
				d.folderChange(ChangeDelete, id)
				d.parentChanged(n.parent)
			}
		}
	}
}

// diff collects changes while a snapshot is taken against a baseline.
type diff struct {
	base    *snapshot
	res     *Reconciliation
	changed map[string]bool
	// noted: the parent the last notification since the baseline put a
	// folder under (created, copied or moved there), which the baseline
	// does not know.
	noted map[string]string
}

func (d *diff) folderChange(kind ChangeKind, id string) {
	if d.changed == nil {
		d.changed = map[string]bool{}
	}
	if !d.changed[id] {
		d.changed[id] = true
		d.res.Changed++
	}
	d.res.Changes = append(d.res.Changes, ReconciledChange{Change: kind, FolderId: FolderId{Id: id}})
}

// parentChanged reports a folder whose subfolders changed, once, as a
// folder-level Update (when nothing else was reported for it).
func (d *diff) parentChanged(id string) {
	if id == "" || d.changed[id] {
		return
	}
	d.folderChange(ChangeUpdate, id)
}

// moved reports whether a folder now under parent (its new parent after a
// hierarchy change) was known under another since the baseline.
func (d *diff) moved(id, parent string) bool {
	return d.base.parent[id] != parent || (d.noted[id] != "" && d.noted[id] != parent)
}

// parentsChanged reports the parents a folder's creation, move or deletion
// inside the gap changed (their ModifiedEvents): the one it is under now
// (parent; "" when deleted), and each it was known under since the
// baseline and left — the baseline's, and the one the last notification
// named. A folder created or moved after the baseline (notified) and then
// moved or deleted inside the gap left a parent the baseline does not
// know, and SyncFolderHierarchy from the baseline's state names only where
// it is now.
func (d *diff) parentsChanged(id, parent string) {
	if !d.moved(id, parent) {
		return
	}
	d.parentChanged(parent)
	for _, old := range []string{d.base.parent[id], d.noted[id]} {
		if old != parent {
			d.parentChanged(old)
		}
	}
}

// snapshot reads the folders' state; with d it also compares each step
// with d.base and records what changed, reusing the baseline's sync states
// so that only the changes since are read.
func (rc *reconciler) snapshot(ctx context.Context, d *diff) (*snapshot, error) {
	s := newSnapshot()
	s.start = rc.clock.Now()
	if err := rc.listFolders(ctx, s, d); err != nil {
		return nil, err
	}
	if err := rc.readMarks(ctx, s); err != nil {
		return nil, err
	}
	for _, id := range s.order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc.syncFolder(ctx, s, d, id)
	}
	s.done = rc.clock.Now()
	return s, nil
}

// listFolders fills s.order: the named folders, or every folder of the
// mailbox by SyncFolderHierarchy (from the baseline's state when diffing,
// so that folders created, changed or deleted meanwhile are reported).
func (rc *reconciler) listFolders(ctx context.Context, s *snapshot, d *diff) error {
	if len(rc.folders) > 0 {
		return rc.listWatched(ctx, s, d)
	}
	state := ""
	if d != nil {
		state = d.base.hier
		for _, id := range d.base.order {
			s.add(FolderId{Id: id}, FolderId{Id: d.base.parent[id]})
		}
	}
	for page := 0; ; page++ {
		res, err := rc.c.SyncFolderHierarchy(ctx, state)
		if err != nil && d != nil && state != "" && errors.Is(err, ErrInvalidSyncStateData) {
			// The server forgot the hierarchy state: list afresh and
			// compare the sets.
			return rc.relist(ctx, s, d)
		}
		if err != nil {
			return fmt.Errorf("listing the folders: %w", err)
		}
		for _, ch := range res.Changes {
			applyHierarchyChange(s, d, ch)
		}
		state = res.SyncState
		if res.IncludesLastFolderInRange || page >= 50 || res.SyncState == "" {
			break
		}
	}
	s.hier = state
	return nil
}

// listWatched reads the folders the subscription names (not the whole
// mailbox) with their change marks.
func (rc *reconciler) listWatched(ctx context.Context, s *snapshot, d *diff) error {
	fs, err := rc.c.GetFolderChangeMarks(ctx, rc.folders...)
	if fs == nil && err != nil {
		return fmt.Errorf("reading the watched folders: %w", err)
	}
	for _, f := range fs {
		if f != nil {
			s.add(f.FolderId, f.ParentFolderId)
		}
	}
	if d != nil {
		for _, id := range d.base.order {
			if _, ok := s.refs[id]; !ok {
				d.folderChange(ChangeDelete, id)
			}
		}
	}
	return nil
}

// relist lists every folder afresh (the server refused the hierarchy
// SyncState) and compares the set with the baseline's.
func (rc *reconciler) relist(ctx context.Context, s *snapshot, d *diff) error {
	ns, err := rc.snapshotList(ctx)
	if err != nil {
		return err
	}
	for _, id := range ns.order {
		if _, ok := d.base.refs[id]; !ok {
			d.folderChange(ChangeCreate, id)
			d.parentsChanged(id, ns.parent[id])
		} else if d.moved(id, ns.parent[id]) {
			d.folderChange(ChangeUpdate, id)
			d.parentsChanged(id, ns.parent[id])
		}
	}
	for _, id := range d.base.order {
		if _, ok := ns.refs[id]; !ok {
			d.folderChange(ChangeDelete, id)
			d.parentsChanged(id, "")
		}
	}
	s.order, s.refs, s.hier, s.parent = ns.order, ns.refs, ns.hier, ns.parent
	return nil
}

// applyHierarchyChange applies one SyncFolderHierarchy change to the
// snapshot and, when comparing (d), records it.
func applyHierarchyChange(s *snapshot, d *diff, ch FolderChange) {
	id := ch.Folder.FolderId
	if ch.Kind == ChangeDelete {
		if d != nil {
			d.folderChange(ChangeDelete, id.Id)
			d.parentsChanged(id.Id, "")
		}
		s.remove(id.Id)
		return
	}
	if d != nil {
		d.folderChange(ch.Kind, id.Id)
		// Created or moved: the parents (old and new) changed. A rename
		// leaves the parent as it was.
		d.parentsChanged(id.Id, ch.Folder.ParentFolderId.Id)
	}
	s.add(id, ch.Folder.ParentFolderId)
}

// snapshotList lists every folder from an empty SyncFolderHierarchy state.
func (rc *reconciler) snapshotList(ctx context.Context) (*snapshot, error) {
	s := newSnapshot()
	if err := rc.listFolders(ctx, s, nil); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *snapshot) remove(id string) {
	if _, ok := s.refs[id]; !ok {
		return
	}
	delete(s.refs, id)
	for i, x := range s.order {
		if x == id {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
}

// readMarks reads both change properties of every listed folder. Folders
// that are gone by now are dropped from the list.
func (rc *reconciler) readMarks(ctx context.Context, s *snapshot) error {
	for i := 0; i < len(s.order); i += changeMarkBatch {
		ids := s.order[i:min(i+changeMarkBatch, len(s.order))]
		refs := make([]FolderRef, len(ids))
		for j, id := range ids {
			refs[j] = s.refs[id]
		}
		fs, err := rc.c.GetFolderChangeMarks(ctx, refs...)
		if fs == nil && err != nil {
			return fmt.Errorf("reading the folders' change properties: %w", err)
		}
		for j, f := range fs {
			if f != nil {
				s.marks[ids[j]] = f.ChangeMark
			}
		}
	}
	for _, id := range append([]string(nil), s.order...) {
		if _, ok := s.marks[id]; !ok {
			s.remove(id)
		}
	}
	return nil
}

// syncFolder takes the folder's item sync state: from the baseline's when
// diffing a folder whose change properties moved (reporting the changes),
// carried over unchanged when they did not, from scratch otherwise.
func (rc *reconciler) syncFolder(ctx context.Context, s *snapshot, d *diff, id string) {
	ref := s.refs[id]
	if d == nil {
		if st, ok := rc.drain(ctx, ref, "", maxBaselinePages, nil); ok {
			s.items[id] = st
		}
		return
	}
	before, known := d.base.marks[id]
	state, hasState := d.base.items[id]
	if known && before.same(s.marks[id]) {
		if hasState {
			s.items[id] = state
		}
		return
	}
	if !known {
		// A folder that came meanwhile: every item in it is new.
		state, hasState = "", true
		if d.changed == nil || !d.changed[id] {
			d.folderChange(ChangeCreate, id)
		}
	} else if d.changed == nil || !d.changed[id] {
		d.changed = ensure(d.changed)
		d.changed[id] = true
		d.res.Changed++
	}
	if !hasState {
		// No item baseline (too large): the folder changed, which items is
		// not listed.
		d.res.Changes = append(d.res.Changes, ReconciledChange{Change: ChangeUpdate, FolderId: FolderId{Id: id}})
		if st, ok := rc.drain(ctx, ref, "", maxBaselinePages, nil); ok {
			s.items[id] = st
		}
		return
	}
	n := len(d.res.Changes)
	st, ok := rc.drain(ctx, ref, state, maxReconcilePages, func(ch ItemChange) {
		rcd := ReconciledChange{Change: ch.Kind, ItemId: ch.Item.ItemId, FolderId: FolderId{Id: id}, Subject: ch.Item.Subject}
		if ch.Kind == ChangeReadFlag {
			v := ch.IsRead
			rcd.IsRead = &v
		}
		d.res.Changes = append(d.res.Changes, rcd)
	})
	if !ok {
		d.res.Truncated = true
	}
	if !ok || len(d.res.Changes) == n {
		// Its contents changed, yet nothing (more) to list: items that
		// came and went within the gap, or more than the bound.
		d.res.Changes = append(d.res.Changes, ReconciledChange{Change: ChangeUpdate, FolderId: FolderId{Id: id}})
	}
	if ok {
		s.items[id] = st
	} else if st2, ok2 := rc.drain(ctx, ref, "", maxBaselinePages, nil); ok2 {
		s.items[id] = st2
	}
}

func ensure(m map[string]bool) map[string]bool {
	if m == nil {
		return map[string]bool{}
	}
	return m
}

// drain runs SyncFolderItems from state until IncludesLastItemInRange, at
// most pages calls; false when it did not get to the end (or failed).
func (rc *reconciler) drain(ctx context.Context, ref FolderRef, state string, pages int, each func(ItemChange)) (string, bool) {
	for range pages {
		res, err := rc.c.SyncFolderItems(ctx, SyncFolderItemsRequest{SyncFolder: ref, SyncState: state})
		if err != nil {
			return "", false
		}
		if each != nil {
			for _, ch := range res.Changes {
				each(ch)
			}
		}
		state = res.SyncState
		if res.IncludesLastItemInRange {
			return state, true
		}
	}
	return "", false
}
