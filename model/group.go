package model

import (
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Grouping. Events join the newest cascade while it is open: an event
// joins when it comes within CascadeGap of the cascade's last event AND it
// is consistent with the action the cascade has started to show; otherwise
// it starts a new cascade. docs/cascade-rules.md states the rules as a
// table; these are they.

// openCascade is what grouping remembers about the newest cascade.
type openCascade struct {
	c    *Cascade
	tree *FolderTree
	last time.Time

	primaries  int    // events other than folder ModifiedEvents and FreeBusyChangedEvents
	fmods      int    // folder ModifiedEvents
	newMails   int    // NewMailEvents
	newMailDir string // the folder of the (first) NewMailEvent
	extraItem  string // the calendar item beside a meeting request, or a sent message's copy

	items          idset // ItemId and OldItemId of item events
	newMail        idset // items with a NewMailEvent
	created        idset // items with an item CreatedEvent
	modified       idset // items with an item ModifiedEvent
	deletedFolders idset // folders with a folder DeletedEvent
	touched        idset // folders the cascade is about: parents, old parents, folder ids
	fmodded        idset // folders with a ModifiedEvent
	counted        idset // folders with a ModifiedEvent carrying UnreadCount
	subjects       idset // folders created, moved, copied or deleted
	deleted        idset // items with an item DeletedEvent in a visible (or unknown) folder
	movedTo        idset // new ids of items this cascade moved
	fbItems        idset // items with a FreeBusyChangedEvent
	noise          idset // free/busy data items created in the hidden Freebusy Data folder
	fmodSince      idset // folders with a ModifiedEvent since the last primary
	pending        idset // folders a primary touched whose change has not come since

	// Moves as the Exchange 2013 store reports them to subscriptions on all
	// folders: a DeletedEvent and a CreatedEvent in the hidden AllItems
	// search folder (aiParent), then the two folders' changes.
	aiDel, aiCre int
	aiParent     string

	// bulk: the first primary, so that a run of the same operation on several
	// items between the same folders (a multi-select move) stays one cascade.
	bulkType              ews.EventType
	bulkFrom, bulkTo      string
	itemPrims, folderPrim int
}

// reset makes o the empty summary of c, reusing its memory: only one
// cascade is open at a time.
func (o *openCascade) reset(c *Cascade) *openCascade {
	sets := [...]*idset{&o.items, &o.newMail, &o.created, &o.modified, &o.deletedFolders, &o.touched, &o.fmodded, &o.counted, &o.subjects,
		&o.deleted, &o.movedTo, &o.fbItems, &o.noise, &o.fmodSince, &o.pending}
	var keep [len(sets)][]string
	for i, set := range sets {
		keep[i] = set.small[:0]
	}
	*o = openCascade{c: c}
	for i, set := range sets {
		set.small = keep[i]
	}
	return o
}

// idset is a set of ids: a short list while small (the usual cascade
// touches a handful), a map once large (a bulk move of many items).
type idset struct {
	small []string
	big   map[string]struct{}
}

func (s *idset) add(id string) {
	if id == "" || s.has(id) {
		return
	}
	if s.big != nil {
		s.big[id] = struct{}{}
		return
	}
	if len(s.small) < 16 {
		s.small = append(s.small, id)
		return
	}
	s.big = make(map[string]struct{}, 32)
	for _, x := range s.small {
		s.big[x] = struct{}{}
	}
	s.big[id] = struct{}{}
	s.small = nil
}

func (s *idset) has(id string) bool {
	if id == "" {
		return false
	}
	if s.big != nil {
		_, ok := s.big[id]
		return ok
	}
	for _, x := range s.small {
		if x == id {
			return true
		}
	}
	return false
}

func (s *idset) len() int { return len(s.small) + len(s.big) }

func (s *idset) remove(id string) {
	if s.big != nil {
		delete(s.big, id)
		return
	}
	for i, x := range s.small {
		if x == id {
			s.small = append(s.small[:i], s.small[i+1:]...)
			return
		}
	}
}

// group returns the cascade the entry joins, creating a new one when needed.
func (s *State) group(e *Entry) *Cascade {
	if o := s.open; o != nil {
		if ev := &e.Event; ev.Type == ews.NewMailEvent && o.extraItem != "" && o.extraItem == ev.ItemId.Id {
			// What looked like a meeting request's calendar item or a sent
			// copy is a message arriving: its CreatedEvent and what followed
			// move to a cascade of their own.
			s.splitFrom(o, ev.ItemId.Id)
		}
	}
	if o := s.open; o != nil && s.joins(o, e) {
		o.add(e)
		return o.c
	}
	return s.newCascade(e)
}

func (s *State) newCascade(e *Entry) *Cascade {
	s.nextCascade++
	c := &Cascade{ID: s.nextCascade, Kind: KindUnrecognized}
	// One allocation holds room for both lists of a typical cascade.
	buf := make([]*Entry, 0, 8)
	c.Entries, c.vis = buf[0:0:4], buf[4:4:8]
	s.cascades.push(c)
	s.byID[c.ID] = c
	s.open = s.openBuf.reset(c)
	s.open.tree = s.tree
	s.open.add(e)
	return c
}

// splitFrom moves the open cascade's entries from the CreatedEvent of item
// on into a new cascade, which becomes the open one.
func (s *State) splitFrom(o *openCascade, item string) {
	c := o.c
	i := len(c.Entries) - 1
	for i > 0 && !(c.Entries[i].Event.Type == ews.CreatedEvent && c.Entries[i].Event.ItemId.Id == item) {
		i--
	}
	if i <= 0 {
		return
	}
	tail := append([]*Entry(nil), c.Entries[i:]...)
	for range tail {
		ent := c.Entries[len(c.Entries)-1]
		c.Entries[len(c.Entries)-1] = nil
		c.Entries = c.Entries[:len(c.Entries)-1]
		if !ent.match {
			continue
		}
		c.vis[len(c.vis)-1] = nil
		c.vis = c.vis[:len(c.vis)-1]
		if c.expanded {
			s.rowEnd--
		}
		if len(c.vis) == 0 {
			c.visible = false
			s.visible.popBack()
			s.rowEnd--
		}
	}
	c.Last = c.First
	for _, x := range c.Entries {
		if t := eventTime(x); t.After(c.Last) {
			c.Last = t
		}
	}
	c.Kind = s.classify(c).kind
	c2 := s.newCascade(tail[0])
	s.attach(c2, tail[0])
	for _, ent := range tail[1:] {
		s.open.add(ent)
		s.attach(c2, ent)
	}
}

func (s *State) joins(o *openCascade, e *Entry) bool {
	gap := eventTime(e).Sub(o.last)
	if gap > s.cfg.CascadeGap || gap < -s.cfg.CascadeGap {
		return false
	}
	ev := &e.Event
	switch {
	case ev.Type == ews.FreeBusyChangedEvent:
		return freeBusyJoins(o, ev)
	case !ev.ItemId.IsZero() && s.tree.hiddenRole(ev.ParentFolderId.Id) == roleFreeBusy:
		return s.noiseJoins(o, ev)
	case ev.Type == ews.ModifiedEvent && ev.IsFolderEvent():
		return s.folderChangeJoins(o, ev)
	case o.primaries == 0 && !(o.fbItems.len() > 0 && o.fmods == 0):
		// A cascade holding only folder changes is complete; a primary
		// event is a new action. (Free/busy can come first: a declined
		// meeting's calendar item is removed after it.)
		return false
	case !ev.ItemId.IsZero():
		return s.itemJoins(o, ev)
	case !ev.FolderId.IsZero():
		return s.folderJoins(o, ev)
	}
	return false
}

// freeBusyJoins: free/busy follows a calendar change: a meeting request's
// new calendar item, or an appointment being created or changed; once per
// item, and not after the free/busy data noise that ends a calendar
// operation.
func freeBusyJoins(o *openCascade, ev *ews.Event) bool {
	x := ev.ItemId.Id
	if o.fbItems.has(x) || o.noise.len() > 0 {
		return false
	}
	return o.created.has(x) || o.modified.has(x) || (o.newMails > 0 && o.extraItem == x)
}

// noiseJoins: free/busy data written and dropped by a calendar operation is
// noise that belongs to the calendar cascade it follows.
func (s *State) noiseJoins(o *openCascade, ev *ews.Event) bool {
	if ev.Type == ews.DeletedEvent && o.noise.has(ev.ItemId.Id) {
		return true
	}
	return ev.Type == ews.CreatedEvent && o.noise.len() == 0 &&
		(o.fbItems.len() > 0 || o.newMails > 0 || s.touchedCalendar(o))
}

// folderChangeJoins: count and child-count changes of a folder the action
// touched.
func (s *State) folderChangeJoins(o *openCascade, ev *ews.Event) bool {
	f := ev.FolderId.Id
	switch {
	case o.fmodSince.has(f):
		// One change per folder follows each step of an action: the same
		// folder changing again is the next action's.
		return false
	case o.subjects.has(f):
		// The folder this action created, moved or deleted: its own
		// changes are the next action's (the action's events name its
		// parents' changes).
		return false
	case ev.UnreadCount == nil && o.counted.has(f):
		// No count: a property change such as a rename, of a folder whose
		// counts were just reported.
		return false
	case o.aiCre > 0 && o.aiCre == o.aiDel && o.primaries == o.aiDel+o.aiCre && o.fmods < 2:
		// A move reported from the AllItems search folder names neither
		// folder: the old and the new folder's changes follow.
		return true
	case o.primaries == 0 && o.fmods == 1 && o.counted.len() == 1 && ev.UnreadCount != nil && s.tree.is(f, "deleteditems"):
		// A folder deleted to Deleted Items, reported to a subscription on
		// all folders by the Exchange 2013 store: only its old parent's and
		// Deleted Items' changes.
		return true
	}
	// One change per folder each step touched, after the step.
	return o.pending.has(f)
}

func (s *State) itemJoins(o *openCascade, ev *ews.Event) bool {
	if s.allItemsJoins(o, ev) {
		return true
	}
	switch ev.Type {
	case ews.NewMailEvent:
		// The NewMailEvent of the item just created; a second NewMailEvent
		// is a second message.
		return o.newMails == 0 && o.created.has(ev.ItemId.Id)
	case ews.CreatedEvent:
		return s.createdJoins(o, ev)
	case ews.ModifiedEvent:
		return modifiedJoins(o, ev)
	case ews.MovedEvent, ews.CopiedEvent:
		// An item this action created (a draft) leaving for Sent Items, or
		// re-filed where it is (a saved draft, Exchange 2013); any other
		// item moving is a new action.
		if o.created.has(ev.OldItemId.Id) {
			return o.newMails == 0 && (ev.ParentFolderId.Id == ev.OldParentFolderId.Id || s.maybe(ev.ParentFolderId.Id, "sentitems"))
		}
		return o.bulk(ev)
	case ews.DeletedEvent:
		return deletedJoins(o, ev)
	}
	return false
}

// allItemsJoins: the AllItems search folder repeating a deletion the
// cascade reported, or the second half of a move it reports (Exchange 2013
// store, subscription on all folders).
func (s *State) allItemsJoins(o *openCascade, ev *ews.Event) bool {
	parent := ev.ParentFolderId.Id
	if !s.tree.allItemsLike(parent) {
		return false
	}
	switch ev.Type {
	case ews.DeletedEvent:
		return o.deleted.has(ev.ItemId.Id)
	case ews.CreatedEvent:
		return o.aiDel > o.aiCre && o.aiParent == parent && o.primaries == o.aiDel+o.aiCre
	}
	return false
}

func (s *State) createdJoins(o *openCascade, ev *ews.Event) bool {
	x, parent := ev.ItemId.Id, ev.ParentFolderId.Id
	if o.newMail.has(x) && !o.created.has(x) {
		return true // NewMailEvent came first
	}
	if o.newMails == 1 && o.extraItem == "" && !o.items.has(x) && parent != o.newMailDir && s.maybe(parent, "calendar") {
		// A meeting request also puts a tentative item on the calendar.
		o.extraItem = x
		return true
	}
	// Sending: the copy that lands in Sent Items after the draft left
	// Drafts/Outbox. (If the folder was only unknown and the item's
	// NewMailEvent follows, group splits it off again.)
	if o.itemPrims > 0 && o.newMails == 0 && o.extraItem == "" && !o.touched.has(parent) && s.maybe(parent, "sentitems") {
		o.extraItem = x
		return true
	}
	return false
}

// modifiedJoins: an item this action created (a draft, a calendar item)
// being updated once more, right after its creation and before any
// folder's change (a draft saved again; a meeting request's calendar item
// changed after its folder's change is the next action, an update). A
// change to a message that just arrived, was moved or copied is a separate
// action (marking it read) — except the item ModifiedEvent the Exchange
// 2013 store fires right after a MovedEvent, before the folders' changes
// (Microsoft's figure).
func modifiedJoins(o *openCascade, ev *ews.Event) bool {
	x := ev.ItemId.Id
	if o.modified.has(x) {
		return false
	}
	if o.movedTo.has(x) && o.fmods == 0 {
		return true
	}
	return o.created.has(x) && !o.newMail.has(x) && o.fmodSince.len() == 0
}

func deletedJoins(o *openCascade, ev *ews.Event) bool {
	x := ev.ItemId.Id
	switch {
	case o.created.has(x) && o.extraItem != "":
		return o.newMails == 0 // a draft removed once sent (its copy in Sent Items)
	case o.fbItems.has(x) && o.fmods == 0 && o.itemPrims == 0:
		return true // a declined meeting's calendar item, after its free/busy change
	case o.deletedFolders.has(ev.ParentFolderId.Id):
		return true // contents of a folder being deleted
	}
	return o.bulk(ev)
}

// bulk reports whether ev repeats the cascade's operation on another item
// between the same folders, before any folder counts were reported.
func (o *openCascade) bulk(ev *ews.Event) bool {
	return o.fmods == 0 && o.folderPrim == 0 && o.itemPrims > 0 && o.newMails == 0 &&
		ev.Type == o.bulkType && ev.ParentFolderId.Id == o.bulkTo && ev.OldParentFolderId.Id == o.bulkFrom
}

func (s *State) folderJoins(o *openCascade, ev *ews.Event) bool {
	if ev.Type == ews.DeletedEvent {
		// Deleting a folder deletes its subfolders too; emptying a folder
		// deletes its items and then its subfolders.
		p := ev.ParentFolderId.Id
		return o.deletedFolders.has(p) ||
			(o.fmods == 0 && o.bulkType == ews.DeletedEvent && o.bulkTo == p && o.newMails == 0)
	}
	return false
}

// touchedCalendar reports whether the cascade is about a calendar folder.
func (s *State) touchedCalendar(o *openCascade) bool {
	for _, id := range o.touched.small {
		if s.tree.is(id, "calendar") {
			return true
		}
	}
	return false
}

// add records an event that joined (or started) the cascade.
func (o *openCascade) add(e *Entry) {
	ev := &e.Event
	if t := eventTime(e); t.After(o.last) || o.last.IsZero() {
		o.last = t
	}
	if !ev.ItemId.IsZero() && o.tree != nil && !o.noteHidden(ev) {
		return
	}
	if !(ev.Type == ews.ModifiedEvent && ev.IsFolderEvent()) {
		// A folder's count change does not touch its parent.
		o.touched.add(ev.ParentFolderId.Id)
		o.touched.add(ev.OldParentFolderId.Id)
	}
	switch {
	case ev.Type == ews.FreeBusyChangedEvent:
		o.fbItems.add(ev.ItemId.Id)
	case ev.Type == ews.ModifiedEvent && ev.IsFolderEvent():
		o.noteFolderChange(ev)
	default:
		o.notePrimary(ev)
	}
}

// noteHidden records what an item event in a hidden (or unknown) folder
// says; false: the event is noise or a repetition, not part of the action.
func (o *openCascade) noteHidden(ev *ews.Event) bool {
	p := ev.ParentFolderId.Id
	switch {
	case o.tree.hiddenRole(p) == roleFreeBusy:
		o.noise.add(ev.ItemId.Id) // free/busy data: noise, not the action
		return false
	case ev.Type == ews.DeletedEvent && o.deleted.has(ev.ItemId.Id) && o.tree.allItemsLike(p):
		return false // AllItems repeating a deletion
	case o.tree.allItemsLike(p) && ev.Type == ews.DeletedEvent:
		o.aiDel++
		o.aiParent = p
	case o.tree.allItemsLike(p) && ev.Type == ews.CreatedEvent:
		o.aiCre++
	case ev.Type == ews.DeletedEvent:
		o.deleted.add(ev.ItemId.Id)
	}
	return true
}

func (o *openCascade) noteFolderChange(ev *ews.Event) {
	o.fmods++
	o.fmodded.add(ev.FolderId.Id)
	o.fmodSince.add(ev.FolderId.Id)
	o.pending.remove(ev.FolderId.Id)
	if ev.UnreadCount != nil {
		o.counted.add(ev.FolderId.Id)
	}
	o.touched.add(ev.FolderId.Id)
}

// notePrimary records a step of the action: the folders it touches now
// owe a change.
func (o *openCascade) notePrimary(ev *ews.Event) {
	o.primaries++
	o.fmodSince.small, o.fmodSince.big = o.fmodSince.small[:0], nil
	o.pending.add(ev.ParentFolderId.Id)
	o.pending.add(ev.OldParentFolderId.Id)
	if ev.ItemId.IsZero() {
		o.pending.add(ev.FolderId.Id)
	}
	if o.primaries == 1 {
		o.bulkType = ev.Type
		o.bulkFrom, o.bulkTo = ev.OldParentFolderId.Id, ev.ParentFolderId.Id
	}
	if !ev.ItemId.IsZero() {
		o.noteItem(ev)
		return
	}
	o.folderPrim++
	o.subjects.add(ev.FolderId.Id)
	o.touched.add(ev.FolderId.Id)
	o.touched.add(ev.OldFolderId.Id)
	if ev.Type == ews.DeletedEvent {
		o.deletedFolders.add(ev.FolderId.Id)
	}
}

func (o *openCascade) noteItem(ev *ews.Event) {
	o.itemPrims++
	o.items.add(ev.ItemId.Id)
	o.items.add(ev.OldItemId.Id)
	switch ev.Type {
	case ews.NewMailEvent:
		if o.newMails == 0 {
			o.newMailDir = ev.ParentFolderId.Id
		}
		o.newMails++
		o.newMail.add(ev.ItemId.Id)
	case ews.CreatedEvent:
		o.created.add(ev.ItemId.Id)
	case ews.ModifiedEvent:
		o.modified.add(ev.ItemId.Id)
	case ews.MovedEvent:
		o.movedTo.add(ev.ItemId.Id)
	}
}

// maybe reports whether the folder is the distinguished folder dist, or
// could be because the tree does not know it yet.
// A folder an event created (the sync has not reported it yet) is a new
// user folder, none of the distinguished ones.
func (s *State) maybe(id, dist string) bool {
	return s.tree.is(id, dist) || (s.tree.knownName(id) == "" && !s.tree.created[id])
}
