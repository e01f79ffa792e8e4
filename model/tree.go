package model

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// RootName is what the tree calls the message folder root (msgfolderroot),
// the parent of the top-level folders, which SyncFolderHierarchy does not
// report itself.
const RootName = "Top of Information Store"

// FolderTree is the mailbox's folder hierarchy as SyncFolderHierarchy
// reports it, with unread counts, per-folder event counts and the "needs a
// sync" decision. The folders directly under msgfolderroot are at depth 0.
type FolderTree struct {
	nodes         map[string]ews.Folder
	distinguished map[string]string // folder id -> distinguished name ("inbox")
	unread        map[string]int
	total         map[string]int
	events        map[string]int
	renamedFrom   map[string]string // folder id -> its name before the last rename
	movedFrom     map[string]moved  // folder id -> its parent before the last move the sync reported
	moves         uint64
	hidden        map[string]hiddenFolder // folders outside the tree that events name
	created       map[string]bool         // folders a CreatedEvent reported (bounded)
	deadNames     map[string]string       // names of deleted folders, for labels of old events

	syncState string
	synced    bool // a sync has been applied
	more      bool // the last sync said IncludesLastFolderInRange=false
	// replacing holds the folders reported since a full sync began, while
	// its answers are still coming (IncludesLastFolderInRange=false); nil
	// when no full sync is under way.
	replacing map[string]bool

	stale           bool
	firstUnsynced   time.Time
	lastFolderEvent time.Time

	version   uint64
	structVer uint64              // bumps when folders or names change
	children  map[string][]string // cache, valid while childVer == structVer
	childVer  uint64
	dist      map[string]string // cache: folder id -> distinguished name
	distVer   uint64
}

func newFolderTree() *FolderTree {
	return &FolderTree{
		nodes:         make(map[string]ews.Folder),
		distinguished: make(map[string]string),
		unread:        make(map[string]int),
		total:         make(map[string]int),
		events:        make(map[string]int),
		renamedFrom:   make(map[string]string),
		movedFrom:     make(map[string]moved),
		hidden:        make(map[string]hiddenFolder),
		created:       make(map[string]bool),
		deadNames:     make(map[string]string),
	}
}

type moved struct {
	from string
	seq  uint64
}

// FolderNode is one line of the folder tree.
type FolderNode struct {
	Folder      ews.Folder
	Depth       int
	Unread      int
	UnreadKnown bool // Unread came from GetFolder, a sync or a ModifiedEvent
	Events      int  // events seen about this folder (as the folder filter counts them)
	HasChildren bool
}

// Tree is the folder tree.
func (s *State) Tree() *FolderTree { return s.tree }

// ApplySync applies a SyncFolderHierarchy result: creates, updates (renames
// are a new DisplayName, moves a new ParentFolderId) and deletes (the whole
// subtree goes), and keeps its SyncState for the next incremental sync. It
// does not clear Stale: call MarkSynced when the sync request is sent.
func (s *State) ApplySync(r *ews.SyncFolderHierarchyResult) { s.tree.applySync(r, false) }

// ApplyFullSync applies the answer to a SyncFolderHierarchy sent without a
// SyncState, which lists every folder of the mailbox (Microsoft, "SyncFolderHierarchy
// operation": "The first request will return all the folders in the
// mailbox"; https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/syncfolderhierarchy-operation).
// The tree becomes that list: folders it does not name are removed once the
// last answer of the sync has arrived (IncludesLastFolderInRange; the later
// answers are applied with ApplySync as usual). Folder ids, event counts
// and names of folders gone stay known for the labels of old events.
func (s *State) ApplyFullSync(r *ews.SyncFolderHierarchyResult) { s.tree.applySync(r, true) }

// ApplyFolders takes GetFolder results: unread and total counts (and the
// folder itself when the tree already knows it).
func (s *State) ApplyFolders(fs []ews.Folder) { s.tree.applyFolders(fs) }

func (t *FolderTree) applySync(r *ews.SyncFolderHierarchyResult, full bool) {
	if r == nil {
		return
	}
	if full {
		t.replacing = make(map[string]bool, len(t.nodes))
	}
	for _, ch := range r.Changes {
		id := ch.Folder.FolderId.Id
		if id == "" {
			continue
		}
		switch ch.Kind {
		case ews.ChangeCreate, ews.ChangeUpdate:
			f := ch.Folder
			if old, ok := t.nodes[id]; ok {
				if f.DisplayName == "" {
					f.DisplayName = old.DisplayName
				} else if old.DisplayName != "" && old.DisplayName != f.DisplayName {
					t.renamedFrom[id] = old.DisplayName
				}
				if f.ParentFolderId.IsZero() {
					f.ParentFolderId = old.ParentFolderId
				} else if !old.ParentFolderId.IsZero() && old.ParentFolderId.Id != f.ParentFolderId.Id {
					t.moves++
					t.movedFrom[id] = moved{from: old.ParentFolderId.Id, seq: t.moves}
				}
				if f.FolderClass == "" {
					f.FolderClass = old.FolderClass
				}
			}
			t.nodes[id] = f
			t.unread[id] = f.UnreadCount
			t.total[id] = f.TotalCount
			if t.replacing != nil {
				t.replacing[id] = true
			}
			t.changed() // later changes of this sync see this one
		case ews.ChangeDelete:
			t.deleteSubtree(id)
		}
	}
	if t.replacing != nil && r.IncludesLastFolderInRange {
		for id, f := range t.nodes {
			if !t.replacing[id] {
				// Only this folder: a child the sync reported stays, under
				// a parent the server no longer has.
				if f.DisplayName != "" {
					t.deadNames[id] = f.DisplayName
				}
				delete(t.nodes, id)
				delete(t.unread, id)
				delete(t.total, id)
			}
		}
		t.replacing = nil
	}
	t.syncState = r.SyncState
	t.synced = true
	t.more = !r.IncludesLastFolderInRange
	t.changed()
}

// DropSyncState forgets the SyncState, so that the next sync is a full one
// (ApplyFullSync). For a SyncState the server refused
// (ews.SyncStateRefused): sending it again gets the same refusal.
func (t *FolderTree) DropSyncState() {
	t.syncState = ""
	t.replacing = nil
}

func (t *FolderTree) deleteSubtree(id string) {
	ch := t.childIndex()
	doomed := []string{id}
	seen := map[string]bool{id: true}
	for i := 0; i < len(doomed); i++ {
		for _, k := range ch[doomed[i]] {
			if !seen[k] { // a server could report a cycle
				seen[k] = true
				doomed = append(doomed, k)
			}
		}
	}
	for _, d := range doomed {
		if f, ok := t.nodes[d]; ok && f.DisplayName != "" {
			t.deadNames[d] = f.DisplayName
		}
		delete(t.nodes, d)
		delete(t.unread, d)
		delete(t.total, d)
	}
	t.changed()
}

func (t *FolderTree) applyFolders(fs []ews.Folder) {
	for _, f := range fs {
		id := f.FolderId.Id
		if id == "" {
			continue
		}
		t.unread[id] = f.UnreadCount
		t.total[id] = f.TotalCount
		if old, ok := t.nodes[id]; ok {
			old.UnreadCount, old.TotalCount, old.ChildFolderCount = f.UnreadCount, f.TotalCount, f.ChildFolderCount
			if f.DisplayName != "" {
				old.DisplayName = f.DisplayName
			}
			t.nodes[id] = old
		}
	}
	t.changed()
}

// noteEvent updates counters for one logged event and records, on the
// entry, the unread count it replaces.
func (t *FolderTree) noteEvent(ent *Entry, at time.Time) {
	ev := &ent.Event
	if ev.Type == ews.CreatedEvent && ev.ItemId.IsZero() && ev.FolderId.Id != "" {
		if len(t.created) >= 4096 {
			clear(t.created)
		}
		t.created[ev.FolderId.Id] = true
	}
	for _, id := range relatedFolders(ev) {
		if id != "" {
			t.events[id]++
		}
	}
	if ev.IsFolderEvent() {
		ent.folderName = t.knownName(ev.FolderId.Id)
		if ev.Type == ews.ModifiedEvent && ev.UnreadCount != nil {
			id := ev.FolderId.Id
			if n, ok := t.unread[id]; ok {
				ent.prevUnread = n
			}
			t.unread[id] = *ev.UnreadCount
		}
		// Every folder event may change the hierarchy (a rename is only a
		// ModifiedEvent), so all of them make the tree stale.
		t.stale = true
		t.lastFolderEvent = at
		if t.firstUnsynced.IsZero() {
			t.firstUnsynced = at
		}
	}
	t.version++
}

// SetDistinguished tells the tree which folder a distinguished name
// ("inbox", "deleteditems", "sentitems", "drafts", "calendar", ...) is, for
// servers whose folder names are not English.
func (t *FolderTree) SetDistinguished(name, id string) {
	if id != "" {
		t.distinguished[id] = strings.ToLower(name)
		t.changed()
	}
}

// wellKnown lists the distinguished folders in the order the tree shows
// them at the top level, with their English display names.
var wellKnown = []struct{ dist, name string }{
	{"inbox", "Inbox"},
	{"drafts", "Drafts"},
	{"sentitems", "Sent Items"},
	{"deleteditems", "Deleted Items"},
	{"junkemail", "Junk Email"},
	{"outbox", "Outbox"},
	{"archive", "Archive"},
	{"calendar", "Calendar"},
	{"contacts", "Contacts"},
	{"tasks", "Tasks"},
	{"notes", "Notes"},
	{"journal", "Journal"},
}

// is reports whether the folder is the distinguished folder dist, by what
// SetDistinguished said or else by its English top-level name.
func (t *FolderTree) is(id, dist string) bool {
	if id == "" {
		return false
	}
	return t.distinguishedOf(id) == dist
}

// distinguishedOf is the folder's distinguished name, or "".
func (t *FolderTree) distinguishedOf(id string) string {
	if t.dist == nil || t.distVer != t.structVer {
		m := make(map[string]string, len(wellKnown))
		for fid, f := range t.nodes {
			if !t.topLevel(fid) {
				continue
			}
			for _, w := range wellKnown {
				if strings.EqualFold(f.DisplayName, w.name) {
					m[fid] = w.dist
				}
			}
		}
		for fid, d := range t.distinguished {
			m[fid] = d
		}
		t.dist, t.distVer = m, t.structVer
	}
	return t.dist[id]
}

func (t *FolderTree) rank(id string) int {
	d := t.distinguishedOf(id)
	for i, w := range wellKnown {
		if d == w.dist {
			return i
		}
	}
	return len(wellKnown)
}

// Name is the folder's display name; for the root "Top of Information
// Store"; for a folder the tree does not know (yet), a short form of its id.
func (t *FolderTree) Name(id string) string {
	if n := t.knownName(id); n != "" {
		return n
	}
	return shortID(id)
}

// knownName is the folder's name, or "" when unknown.
func (t *FolderTree) knownName(id string) string {
	if f, ok := t.nodes[id]; ok && f.DisplayName != "" {
		return f.DisplayName
	}
	if t.isRoot(id) {
		return RootName
	}
	if h, ok := t.hidden[id]; ok {
		return h.label
	}
	return t.deadNames[id]
}

// movedInto finds the folder the sync last reported moving from one parent
// to another, or "".
func (t *FolderTree) movedInto(from, to string) string {
	best, seq := "", uint64(0)
	for id, m := range t.movedFrom {
		if m.from == from && m.seq > seq {
			if f, ok := t.nodes[id]; ok && f.ParentFolderId.Id == to {
				best, seq = id, m.seq
			}
		}
	}
	return best
}

// isRoot reports whether id is msgfolderroot: the parent of the top-level
// folders, whether the sync reported it or not.
func (t *FolderTree) isRoot(id string) bool {
	if id == "" {
		return false
	}
	if _, ok := t.nodes[id]; ok {
		return t.isRootNode(id)
	}
	// An unknown parent is the root when it holds a well-known folder; other
	// unknown parents are folders the tree has not synced yet.
	for _, k := range t.childIndex()[id] {
		f := t.nodes[k]
		if _, ok := t.distinguished[k]; ok {
			return true
		}
		for _, w := range wellKnown {
			if strings.EqualFold(f.DisplayName, w.name) {
				return true
			}
		}
	}
	return false
}

// isRootNode reports whether a folder the sync reported is msgfolderroot
// itself (some servers include it): a folder without a known parent that
// is named so, or was said to be so, or has no folder class but children.
func (t *FolderTree) isRootNode(id string) bool {
	f, ok := t.nodes[id]
	if !ok {
		return false
	}
	if d, ok := t.distinguished[id]; ok {
		return d == "msgfolderroot"
	}
	if _, parentKnown := t.nodes[f.ParentFolderId.Id]; parentKnown {
		return false
	}
	return f.DisplayName == RootName || (f.FolderClass == "" && len(t.childIndex()[id]) > 0)
}

// topLevel reports whether the folder is directly under msgfolderroot.
func (t *FolderTree) topLevel(id string) bool {
	f, ok := t.nodes[id]
	if !ok || t.isRootNode(id) {
		return false
	}
	p := f.ParentFolderId.Id
	if _, known := t.nodes[p]; !known {
		return true
	}
	return t.isRootNode(p)
}

// RenamedFrom is the folder's name before its last rename seen in a sync.
func (t *FolderTree) RenamedFrom(id string) (string, bool) {
	n, ok := t.renamedFrom[id]
	return n, ok
}

// shortID is a short stable form of an EWS id for display: "#" and six
// hex digits of its hash. (Ids of one mailbox share long prefixes and, on
// some servers, suffixes, so no slice of the id itself tells them apart.)
func shortID(id string) string {
	if id == "" {
		return "?"
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("#%06x", h.Sum32()&0xffffff)
}

// Folder returns a known folder.
func (t *FolderTree) Folder(id string) (ews.Folder, bool) {
	f, ok := t.nodes[id]
	return f, ok
}

// Len is the number of known folders.
func (t *FolderTree) Len() int { return len(t.nodes) }

// Unread is the folder's latest known unread count.
func (t *FolderTree) Unread(id string) (int, bool) {
	n, ok := t.unread[id]
	return n, ok
}

// Events is how many events were seen about the folder.
func (t *FolderTree) Events(id string) int { return t.events[id] }

// SyncState is the state to resume SyncFolderHierarchy from ("" before the
// first sync or after DropSyncState: a full sync).
func (t *FolderTree) SyncState() string { return t.syncState }

// Synced reports whether a sync has been applied.
func (t *FolderTree) Synced() bool { return t.synced }

// Version changes whenever anything the tree shows changes, so a view can
// cache its rendering.
func (t *FolderTree) Version() uint64 { return t.version }

// Stale reports whether folder events arrived since MarkSynced, or the last
// sync was not complete.
func (t *FolderTree) Stale() bool { return t.stale || t.more }

// SyncDue decides the debounced incremental sync: true when folder events
// were seen and none arrived for `quiet` (as Microsoft recommends: wait for
// the burst to end), or when the first unsynced one is 15*quiet old (so a
// constant stream of events cannot starve the tree), or when the last sync
// said more changes are waiting.
func (t *FolderTree) SyncDue(now time.Time, quiet time.Duration) bool {
	if t.more {
		return true
	}
	if !t.stale {
		return false
	}
	return now.Sub(t.lastFolderEvent) >= quiet || now.Sub(t.firstUnsynced) >= 15*quiet
}

// MarkSynced clears Stale; call it when the sync request is sent, so that
// folder events arriving during the sync make it stale again.
func (t *FolderTree) MarkSynced() {
	t.stale = false
	t.more = false
	t.firstUnsynced = time.Time{}
}

func (t *FolderTree) changed() {
	t.version++
	t.structVer++
}

// childIndex maps a parent id to its children's ids, sorted for display.
func (t *FolderTree) childIndex() map[string][]string {
	if t.children != nil && t.childVer == t.structVer {
		return t.children
	}
	ch := make(map[string][]string, len(t.nodes))
	for id, f := range t.nodes {
		ch[f.ParentFolderId.Id] = append(ch[f.ParentFolderId.Id], id)
	}
	t.children = ch
	t.childVer = t.structVer
	for _, ids := range ch {
		sort.Slice(ids, func(i, j int) bool { return t.less(ids[i], ids[j]) })
	}
	return ch
}

func (t *FolderTree) less(a, b string) bool {
	if t.topLevel(a) && t.topLevel(b) {
		ra, rb := t.rank(a), t.rank(b)
		if ra != rb {
			return ra < rb
		}
	}
	na, nb := strings.ToLower(t.nodes[a].DisplayName), strings.ToLower(t.nodes[b].DisplayName)
	if na != nb {
		return na < nb
	}
	return a < b
}

// Flatten lists the tree depth-first in display order: top-level folders by
// well-known order (Inbox, Drafts, Sent Items, Deleted Items, ...) then by
// name, subfolders by name. collapsed (may be nil) hides a folder's
// children.
func (t *FolderTree) Flatten(collapsed func(id string) bool) []FolderNode {
	ch := t.childIndex()
	var tops []string
	for p, ids := range ch {
		if _, ok := t.nodes[p]; ok {
			continue
		}
		for _, id := range ids {
			if t.isRootNode(id) {
				tops = append(tops, ch[id]...) // msgfolderroot itself is not shown
			} else {
				tops = append(tops, id)
			}
		}
	}
	sort.Slice(tops, func(i, j int) bool { return t.less(tops[i], tops[j]) })
	out := make([]FolderNode, 0, len(t.nodes))
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		n, known := t.unread[id]
		kids := ch[id]
		out = append(out, FolderNode{
			Folder: t.nodes[id], Depth: depth, Unread: n, UnreadKnown: known,
			Events: t.events[id], HasChildren: len(kids) > 0,
		})
		if collapsed != nil && collapsed(id) {
			return
		}
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	for _, id := range tops {
		walk(id, 0)
	}
	return out
}
