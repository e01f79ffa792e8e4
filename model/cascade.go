package model

import (
	"fmt"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// CascadeKind is what a cascade was recognized as. Where it matches one of
// the simulator's actions it has the action's name.
type CascadeKind string

const (
	KindNewMail        CascadeKind = "new-mail"
	KindMeetingRequest CascadeKind = "meeting-request"
	KindMarkRead       CascadeKind = "mark-read"
	KindMarkUnread     CascadeKind = "mark-unread"
	KindReadChanged    CascadeKind = "read-changed" // read state changed, direction unknown
	KindItemChanged    CascadeKind = "item-changed"
	KindItemCreated    CascadeKind = "item-created"
	KindMoveItem       CascadeKind = "move-item"
	KindCopyItem       CascadeKind = "copy-item"
	KindSoftDelete     CascadeKind = "soft-delete"
	KindHardDelete     CascadeKind = "hard-delete"
	KindSendMail       CascadeKind = "send-mail"
	KindCreateFolder   CascadeKind = "create-folder"
	KindRenameFolder   CascadeKind = "rename-folder"
	KindFolderChanged  CascadeKind = "folder-changed"
	KindMoveFolder     CascadeKind = "move-folder"
	KindCopyFolder     CascadeKind = "copy-folder"
	KindDeleteFolder   CascadeKind = "delete-folder"
	KindFreeBusy       CascadeKind = "free-busy"
	KindDumpsterDelete CascadeKind = "dumpster-delete"
	KindFolderToDI     CascadeKind = "folder-to-deleted-items"
	KindUpdateAppt     CascadeKind = "update-appointment"
	KindAcceptMeeting  CascadeKind = "accept-meeting"
	KindDeclineMeeting CascadeKind = "decline-meeting"
	KindSaveDraft      CascadeKind = "save-draft"
	KindUnrecognized   CascadeKind = "unrecognized"
)

// Cascade is the group of events one user action produced, oldest first.
// First and Last are the times of its first and last events (the server's
// TimeStamp, else the arrival time).
type Cascade struct {
	ID      uint64
	Kind    CascadeKind
	Entries []*Entry
	First   time.Time
	Last    time.Time

	expanded bool
	visible  bool
	vis      []*Entry // entries matching the filter
	row      int      // absolute first row while visible
	frozen   verdict  // what it was before its oldest events were evicted

	// A gap's cascade (Kind KindGap): the gap, and what reconciliation
	// found across it once known. orphan: its changes came after other
	// events, so the gap's own row is in an earlier cascade.
	Gap    *ews.Gap
	Recon  *ews.Reconciliation
	orphan bool
}

// maxClassified bounds the work of recognizing a cascade; larger ones are
// unrecognized.
const maxClassified = 64

// verdict is what a cascade was recognized as, with the ids its label
// names; the label is rendered from it only when asked, with the names
// known then.
type verdict struct {
	kind    CascadeKind
	n       int    // events (unrecognized) or items (bulk operations)
	item    string // the item, for its noun
	oldItem string
	folder  string // where it happened / the folder acted upon
	from    string // old parent
	to      string // new parent
	was     string // a renamed folder's name before
	unread  int    // a folder change's last UnreadCount, -1 none
	folders int    // folders deleted beside n items (emptying a folder)
	tent    bool   // a meeting accepted tentatively
}

// Label says what happened, with folder names as the tree knows them now:
// "New mail in Inbox", "Mail moved Inbox → Archive", "Folder 'Projects'
// created under Inbox", "Meeting request in Inbox", ..., "Unrecognized
// cascade (4 events)". It also refreshes c.Kind, which can change as names
// become known (a move to a folder later known as Deleted Items is a soft
// delete). A cascade whose oldest events were evicted keeps the label it
// had, marked "(partly evicted)".
func (s *State) Label(c *Cascade) string {
	if c == nil {
		return ""
	}
	if c.Gap != nil {
		return s.gapLabel(c)
	}
	if c.frozen.kind != "" {
		c.Kind = c.frozen.kind
		return s.render(c.frozen) + " (partly evicted)"
	}
	v := s.classify(c)
	c.Kind = v.kind
	return s.render(v)
}

func (s *State) render(v verdict) string {
	if l, ok := s.renderItem(v); ok {
		return l
	}
	if l, ok := s.renderFolder(v); ok {
		return l
	}
	return fmt.Sprintf("Unrecognized cascade (%d events)", v.n)
}

// renderItem labels the kinds about items.
func (s *State) renderItem(v verdict) (string, bool) {
	name := s.tree.Name
	what := func() string {
		if v.n > 1 {
			return fmt.Sprintf("%d items", v.n)
		}
		return s.noun(v.item, v.oldItem, v.to)
	}
	switch v.kind {
	case KindNewMail:
		return "New mail in " + name(v.to), true
	case KindMeetingRequest:
		return "Meeting request in " + name(v.to), true
	case KindSendMail:
		return "Mail sent", true
	case KindMoveItem:
		return fmt.Sprintf("%s moved %s → %s", what(), name(v.from), name(v.to)), true
	case KindSoftDelete:
		return fmt.Sprintf("%s deleted from %s (moved to Deleted Items)", what(), name(v.from)), true
	case KindCopyItem:
		return fmt.Sprintf("%s copied %s → %s", what(), name(v.from), name(v.to)), true
	case KindHardDelete:
		// A DeletedEvent does not say whether the item is gone or in
		// Recoverable Items: Microsoft's deletion table gives the same
		// events for DeleteItem HardDelete and SoftDelete (Exchange 2010;
		// 2013 to subscriptions on all folders).
		if v.folders > 0 {
			var parts []string
			if v.n > 0 {
				parts = append(parts, plural(v.n, "item"))
			}
			parts = append(parts, plural(v.folders, "folder"))
			return fmt.Sprintf("%s deleted from %s (permanently or to Recoverable Items)", strings.Join(parts, " and "), name(v.to)), true
		}
		return fmt.Sprintf("%s deleted from %s (permanently or to Recoverable Items)", what(), name(v.to)), true
	case KindDumpsterDelete:
		return fmt.Sprintf("%s deleted from %s (to Recoverable Items)", what(), name(v.from)), true
	case KindUpdateAppt:
		return "Appointment updated in " + name(v.to), true
	case KindAcceptMeeting:
		if v.tent {
			return "Meeting tentatively accepted in " + name(v.to) + " (response sent)", true
		}
		return "Meeting accepted in " + name(v.to) + " (response sent)", true
	case KindDeclineMeeting:
		return "Meeting declined in " + name(v.to) + " (response sent)", true
	case KindSaveDraft:
		return "Draft saved in " + name(v.to), true
	case KindItemCreated:
		return fmt.Sprintf("%s created in %s", what(), name(v.to)), true
	case KindItemChanged:
		return fmt.Sprintf("%s changed in %s", what(), name(v.to)), true
	case KindMarkRead:
		return fmt.Sprintf("%s marked read in %s", what(), name(v.to)), true
	case KindMarkUnread:
		return fmt.Sprintf("%s marked unread in %s", what(), name(v.to)), true
	case KindReadChanged:
		return fmt.Sprintf("%s read state changed in %s (unread %d)", what(), name(v.to), v.unread), true
	}
	return "", false
}

// renderFolder labels the kinds about folders and free/busy.
func (s *State) renderFolder(v verdict) (string, bool) {
	name := s.tree.Name
	switch v.kind {
	case KindFolderToDI:
		if v.folder == "" {
			return fmt.Sprintf("A folder deleted from %s (moved to Deleted Items)", name(v.from)), true
		}
		return fmt.Sprintf("Folder '%s' deleted from %s (moved to Deleted Items)", name(v.folder), name(v.from)), true
	case KindCreateFolder:
		return fmt.Sprintf("Folder '%s' created under %s", name(v.folder), name(v.to)), true
	case KindMoveFolder:
		return fmt.Sprintf("Folder '%s' moved %s → %s", name(v.folder), name(v.from), name(v.to)), true
	case KindCopyFolder:
		return fmt.Sprintf("Folder '%s' copied %s → %s", name(v.folder), name(v.from), name(v.to)), true
	case KindDeleteFolder:
		return fmt.Sprintf("Folder '%s' deleted from %s", name(v.folder), name(v.to)), true
	case KindRenameFolder:
		if v.was == "" {
			return fmt.Sprintf("Folder '%s' renamed", name(v.folder)), true
		}
		return fmt.Sprintf("Folder '%s' renamed to '%s'", v.was, name(v.folder)), true
	case KindFolderChanged:
		if v.unread < 0 {
			return fmt.Sprintf("Folder '%s' changed", name(v.folder)), true
		}
		return fmt.Sprintf("Folder '%s' changed (unread %d)", name(v.folder), v.unread), true
	case KindFreeBusy:
		if v.n < 0 {
			return "Free/busy data updated", true
		}
		if v.to != "" {
			return "Free/busy changed in " + name(v.to), true
		}
		return "Free/busy changed", true
	}
	return "", false
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (s *State) classify(c *Cascade) verdict {
	n := len(c.Entries)
	unrec := verdict{kind: KindUnrecognized, n: n}
	if n == 0 || n > maxClassified {
		return unrec
	}
	// Small cascades classify without allocating.
	var pb, bb [maxClassified]*ews.Event
	var eb [maxClassified]*Entry
	prims, fbs, fmodEntries := pb[:0], bb[:0], eb[:0]
	t := s.tree
	noise := 0
	for _, e := range c.Entries {
		ev := &e.Event
		switch {
		case ev.Type == ews.FreeBusyChangedEvent:
			fbs = append(fbs, ev)
		case ev.Type == ews.ModifiedEvent && ev.IsFolderEvent():
			fmodEntries = append(fmodEntries, e)
		case !ev.ItemId.IsZero() && t.hiddenRole(ev.ParentFolderId.Id) == roleFreeBusy:
			noise++ // free/busy data written by a calendar operation
		default:
			prims = append(prims, ev)
		}
	}
	// The AllItems search folder repeating a deletion is not another
	// deletion.
	keep := prims[:0]
	for _, ev := range prims {
		if ev.Type == ews.DeletedEvent && !ev.ItemId.IsZero() && t.allItemsLike(ev.ParentFolderId.Id) && deletedElsewhere(prims, ev) {
			continue
		}
		keep = append(keep, ev)
	}
	prims = keep
	if len(prims) == 0 {
		if noise > 0 && len(fmodEntries) == 0 && len(fbs) == 0 {
			return verdict{kind: KindFreeBusy, n: -1}
		}
		return s.classifyFolderChanges(fmodEntries, fbs, unrec)
	}
	if v, ok := s.classifyAllItemsMove(prims, fmodEntries); ok {
		return v
	}
	folderPrims := 0
	for _, ev := range prims {
		if ev.ItemId.IsZero() {
			folderPrims++
		}
	}
	if folderPrims > 0 {
		return s.classifyFolderAction(prims, unrec)
	}
	return s.classifyItemAction(prims, fmodEntries, fbs, unrec)
}

// deletedElsewhere reports whether the item ev deletes from an AllItems-like
// folder is also deleted from a folder of the tree.
func deletedElsewhere(prims []*ews.Event, ev *ews.Event) bool {
	for _, o := range prims {
		if o != ev && o.Type == ews.DeletedEvent && o.ItemId.Id == ev.ItemId.Id && o.ParentFolderId.Id != ev.ParentFolderId.Id {
			return true
		}
	}
	return false
}

// classifyAllItemsMove: a move as the Exchange 2013 store reports it to a
// subscription on all folders (Microsoft's deletion table, "Move to the
// Deleted Items folder"): a DeletedEvent and a CreatedEvent per item in the
// AllItems search folder, which name neither folder, and the changes of
// the old and the new folder, which do.
func (s *State) classifyAllItemsMove(prims []*ews.Event, fmods []*Entry) (verdict, bool) {
	t := s.tree
	dels, creates := 0, 0
	var item string
	for _, ev := range prims {
		if ev.ItemId.IsZero() || !t.allItemsLike(ev.ParentFolderId.Id) || ev.ParentFolderId.Id != prims[0].ParentFolderId.Id {
			return verdict{}, false
		}
		switch ev.Type {
		case ews.DeletedEvent:
			dels++
		case ews.CreatedEvent:
			creates++
			if item == "" {
				item = ev.ItemId.Id
			}
		default:
			return verdict{}, false
		}
	}
	if dels == 0 || dels != creates {
		return verdict{}, false
	}
	var folders []string
	for _, e := range fmods {
		f := e.Event.FolderId.Id
		if len(folders) == 0 || folders[len(folders)-1] != f {
			folders = append(folders, f)
		}
	}
	if len(folders) != 2 || folders[0] == folders[1] {
		return verdict{}, false
	}
	from, to := folders[0], folders[1]
	if t.is(from, "deleteditems") {
		from, to = to, from
	}
	v := verdict{kind: KindMoveItem, n: dels, item: item, from: from, to: to}
	if t.is(to, "deleteditems") {
		v.kind = KindSoftDelete
	}
	return v, true
}

func (s *State) classifyFolderChanges(fmods []*Entry, fbs []*ews.Event, unrec verdict) verdict {
	t := s.tree
	if len(fmods) == 0 {
		return verdict{kind: KindFreeBusy, to: fbs[0].ParentFolderId.Id}
	}
	if len(fbs) > 0 {
		return unrec
	}
	f := fmods[0].Event.FolderId.Id
	if len(fmods) == 2 && fmods[1].Event.FolderId.Id != f && t.is(fmods[1].Event.FolderId.Id, "deleteditems") &&
		fmods[0].Event.UnreadCount != nil && fmods[1].Event.UnreadCount != nil {
		// A folder deleted to Deleted Items, as the Exchange 2013 store
		// reports it to a subscription on all folders (Microsoft's deletion
		// table): only the old parent's and Deleted Items' changes. Which
		// folder moved, the sync tells.
		di := fmods[1].Event.FolderId.Id
		return verdict{kind: KindFolderToDI, folder: t.movedInto(f, di), from: f, to: di}
	}
	for _, e := range fmods[1:] {
		if e.Event.FolderId.Id != f {
			return unrec
		}
	}
	was, now := fmods[0].folderName, t.knownName(f)
	if was != "" && now != "" && was != now {
		return verdict{kind: KindRenameFolder, folder: f, was: was}
	}
	last := fmods[len(fmods)-1].Event.UnreadCount
	if last == nil {
		// A folder change without a count: a property change such as a
		// rename, or (subscriptions made at Exchange2010, which get no
		// UnreadCount) any change. It is a rename once the sync shows a new
		// name; if the sync learned it before the event arrived (a pull
		// subscription polls late), the tree remembers the old one.
		if old, ok := t.renamedFrom[f]; ok && old != now {
			return verdict{kind: KindRenameFolder, folder: f, was: old}
		}
		if s.sawUnreadCount {
			return verdict{kind: KindRenameFolder, folder: f}
		}
		return verdict{kind: KindFolderChanged, folder: f, unread: -1}
	}
	return verdict{kind: KindFolderChanged, folder: f, unread: *last}
}

// classifyFolderAction: a folder created, moved, copied or deleted (with,
// for a delete, the deletion of what it held).
func (s *State) classifyFolderAction(prims []*ews.Event, unrec verdict) verdict {
	t := s.tree
	var top *ews.Event
	for _, ev := range prims {
		if ev.ItemId.IsZero() {
			top = ev
			break
		}
	}
	var deleted [maxClassified]string
	nd := 0
	isDeleted := func(id string) bool {
		for _, d := range deleted[:nd] {
			if d == id {
				return true
			}
		}
		return false
	}
	if v, ok := classifyEmptying(prims); ok {
		return v
	}
	if top.Type == ews.DeletedEvent {
		deleted[0], nd = top.FolderId.Id, 1
	}
	for _, ev := range prims {
		if ev == top {
			continue
		}
		// Everything else must be the deletion of what the deleted folder
		// held.
		if ev.Type != ews.DeletedEvent || !isDeleted(ev.ParentFolderId.Id) {
			return unrec
		}
		if ev.ItemId.IsZero() {
			deleted[nd] = ev.FolderId.Id
			nd++
		}
	}
	f, from, to := top.FolderId.Id, top.OldParentFolderId.Id, top.ParentFolderId.Id
	switch top.Type {
	case ews.CreatedEvent:
		return verdict{kind: KindCreateFolder, folder: f, to: to}
	case ews.MovedEvent:
		if t.is(to, "deleteditems") {
			return verdict{kind: KindFolderToDI, folder: f, from: from, to: to}
		}
		return verdict{kind: KindMoveFolder, folder: f, from: from, to: to}
	case ews.CopiedEvent:
		return verdict{kind: KindCopyFolder, folder: f, from: from, to: to}
	case ews.DeletedEvent:
		return verdict{kind: KindDeleteFolder, folder: f, to: to}
	}
	return unrec
}

// classifyEmptying: items and folders deleted from one folder, items first
// (EmptyFolder with DeleteSubFolders).
func classifyEmptying(prims []*ews.Event) (verdict, bool) {
	p := prims[0].ParentFolderId.Id
	items, folders := 0, 0
	for _, ev := range prims {
		if ev.Type != ews.DeletedEvent || ev.ParentFolderId.Id != p {
			return verdict{}, false
		}
		if ev.ItemId.IsZero() {
			folders++
		} else {
			if folders > 0 {
				return verdict{}, false
			}
			items++
		}
	}
	if items == 0 && folders < 2 {
		return verdict{}, false
	}
	return verdict{kind: KindHardDelete, n: items, folders: folders, to: p, item: prims[0].ItemId.Id}, true
}

// classifyCalendarWork: an appointment changed, or a meeting request
// answered (the calendar item changed or removed, free/busy changed and the
// response saved in Sent Items).
func (s *State) classifyCalendarWork(prims []*ews.Event) (verdict, bool) {
	t := s.tree
	var cal, sent *ews.Event
	for _, ev := range prims {
		p := ev.ParentFolderId.Id
		switch {
		case (ev.Type == ews.ModifiedEvent || ev.Type == ews.DeletedEvent) && s.maybe(p, "calendar") && !t.is(p, "sentitems"):
			if cal != nil && (cal.Type != ev.Type || ev.Type == ews.DeletedEvent) {
				return verdict{}, false
			}
			cal = ev
		case ev.Type == ews.CreatedEvent && s.maybe(p, "sentitems") && sent == nil:
			sent = ev
		default:
			return verdict{}, false
		}
	}
	if cal == nil {
		return verdict{}, false
	}
	calendar := cal.ParentFolderId.Id
	if sent == nil {
		if cal.Type == ews.ModifiedEvent {
			return verdict{kind: KindUpdateAppt, to: calendar, item: cal.ItemId.Id}, true
		}
		return verdict{}, false
	}
	v := verdict{kind: KindAcceptMeeting, to: calendar, item: cal.ItemId.Id}
	if cal.Type == ews.DeletedEvent {
		v.kind = KindDeclineMeeting
	}
	// The response's class, once GetItem told it, is the final word.
	if it, ok := s.items[sent.ItemId.Id]; ok {
		switch {
		case strings.HasPrefix(it.ItemClass, "IPM.Schedule.Meeting.Resp.Neg"):
			v.kind = KindDeclineMeeting
		case strings.HasPrefix(it.ItemClass, "IPM.Schedule.Meeting.Resp.Tent"):
			v.kind, v.tent = KindAcceptMeeting, true
		case strings.HasPrefix(it.ItemClass, "IPM.Schedule.Meeting.Resp.Pos"):
			v.kind = KindAcceptMeeting
		}
	}
	return v, true
}

// classifyDraft: a draft created (and saved again, and re-filed) in Drafts.
func (s *State) classifyDraft(prims []*ews.Event) (verdict, bool) {
	t := s.tree
	if prims[0].Type != ews.CreatedEvent || !t.is(prims[0].ParentFolderId.Id, "drafts") {
		return verdict{}, false
	}
	drafts := prims[0].ParentFolderId.Id
	for _, ev := range prims[1:] {
		switch {
		case ev.ParentFolderId.Id != drafts:
			return verdict{}, false
		case ev.Type == ews.ModifiedEvent:
		case ev.Type == ews.MovedEvent && ev.OldParentFolderId.Id == drafts:
		default:
			return verdict{}, false
		}
	}
	return verdict{kind: KindSaveDraft, to: drafts, item: prims[0].ItemId.Id}, true
}

func (s *State) classifyItemAction(prims []*ews.Event, fmods []*Entry, fbs []*ews.Event, unrec verdict) verdict {
	if v, ok, bad := s.classifyArrival(prims, fbs); ok || bad {
		if bad {
			return unrec
		}
		return v
	}
	if len(fbs) > 0 {
		if v, ok := s.classifyCalendarWork(prims); ok {
			return v
		}
		if !onlyCalendarWork(prims) {
			return unrec
		}
	}
	if s.isSending(prims) {
		return verdict{kind: KindSendMail}
	}
	if v, ok := s.classifyDraft(prims); ok {
		return v
	}
	return s.classifyOperation(prims, fmods, unrec)
}

// classifyArrival: new mail or a meeting request (a NewMailEvent and the
// item's CreatedEvent, for a meeting request also its calendar item or
// free/busy). bad: a NewMailEvent with events that do not fit.
func (s *State) classifyArrival(prims []*ews.Event, fbs []*ews.Event) (v verdict, ok, bad bool) {
	var newMail *ews.Event
	for _, ev := range prims {
		if ev.Type == ews.NewMailEvent {
			if newMail != nil {
				return v, false, true
			}
			newMail = ev
		}
	}
	if newMail == nil {
		return v, false, false
	}
	x, dir := newMail.ItemId.Id, newMail.ParentFolderId.Id
	others := 0
	for _, ev := range prims {
		switch {
		case ev.ItemId.Id == x && ev.Type != ews.CreatedEvent && ev.Type != ews.NewMailEvent:
			return v, false, true
		case ev.ItemId.Id == x:
		case ev.Type != ews.CreatedEvent && ev.Type != ews.ModifiedEvent:
			return v, false, true
		default:
			others++
		}
	}
	it, known := s.items[x]
	if others > 0 || len(fbs) > 0 || (known && strings.HasPrefix(it.ItemClass, "IPM.Schedule.Meeting.Request")) {
		return verdict{kind: KindMeetingRequest, to: dir}, true, false
	}
	return verdict{kind: KindNewMail, item: x, to: dir}, true, false
}

// isSending: the message ends up in Sent Items, coming from Drafts or Outbox
// (or saved there directly).
func (s *State) isSending(prims []*ews.Event) bool {
	t := s.tree
	landsInSent, fromOutgoing, allCreatedInSent := false, false, true
	for _, ev := range prims {
		p, op := ev.ParentFolderId.Id, ev.OldParentFolderId.Id
		inSent := t.is(p, "sentitems")
		if inSent && ev.Type != ews.DeletedEvent && ev.Type != ews.ModifiedEvent {
			landsInSent = true
		}
		if !(inSent && ev.Type == ews.CreatedEvent) {
			allCreatedInSent = false
		}
		if t.is(p, "drafts") || t.is(p, "outbox") || t.is(op, "drafts") || t.is(op, "outbox") {
			fromOutgoing = true
		}
	}
	return landsInSent && (fromOutgoing || allCreatedInSent)
}

// classifyOperation: the events that are not follow-up changes of an item
// this action created or moved must all be the same operation between the
// same folders (one item, or several: a multi-select).
func (s *State) classifyOperation(prims []*ews.Event, fmods []*Entry, unrec verdict) verdict {
	t := s.tree
	var op *ews.Event
	count := 0
	for i, ev := range prims {
		if ev.Type == ews.ModifiedEvent && seenItem(prims[:i], ev.ItemId.Id) {
			continue
		}
		if op == nil {
			op = ev
		} else if ev.Type != op.Type || ev.ParentFolderId.Id != op.ParentFolderId.Id || ev.OldParentFolderId.Id != op.OldParentFolderId.Id {
			return unrec
		}
		count++
	}
	v := verdict{n: count, item: op.ItemId.Id, oldItem: op.OldItemId.Id, from: op.OldParentFolderId.Id, to: op.ParentFolderId.Id}
	switch op.Type {
	case ews.MovedEvent:
		v.kind = KindMoveItem
		switch {
		case t.is(v.to, "deleteditems"):
			v.kind = KindSoftDelete
		case t.hiddenRole(v.to) == roleRecoverable:
			// DeleteItem SoftDelete on the Exchange 2013 store, to a
			// subscription naming folder ids (Microsoft's deletion table).
			v.kind = KindDumpsterDelete
		}
	case ews.CopiedEvent:
		v.kind = KindCopyItem
	case ews.DeletedEvent:
		v.kind = KindHardDelete
	case ews.CreatedEvent:
		v.kind = KindItemCreated
	case ews.ModifiedEvent:
		v.kind = KindItemChanged
		if count == 1 {
			v.kind, v.unread = readState(v.to, fmods)
		}
	default:
		return unrec
	}
	return v
}

// seenItem reports whether an earlier event of the cascade is about the
// item (under its id or as the new id of a move or copy).
func seenItem(evs []*ews.Event, id string) bool {
	for _, ev := range evs {
		if ev.ItemId.Id == id {
			return true
		}
	}
	return false
}

// onlyCalendarWork: free/busy may accompany creating or changing a calendar
// item.
func onlyCalendarWork(prims []*ews.Event) bool {
	for _, ev := range prims {
		if ev.Type != ews.CreatedEvent && ev.Type != ews.ModifiedEvent {
			return false
		}
	}
	return true
}

// readState tells marking read from marking unread by the folder's unread
// count before and after.
func readState(folder string, fmods []*Entry) (CascadeKind, int) {
	for _, e := range fmods {
		ev := &e.Event
		if ev.FolderId.Id != folder || ev.UnreadCount == nil {
			continue
		}
		switch now := *ev.UnreadCount; {
		case e.prevUnread < 0:
			return KindReadChanged, now
		case now < e.prevUnread:
			return KindMarkRead, now
		case now > e.prevUnread:
			return KindMarkUnread, now
		}
	}
	return KindItemChanged, -1
}

// noun names an item for a label: by its class when GetItem told us, else
// by the folder it is in.
func (s *State) noun(id, oldID, folder string) string {
	for _, k := range []string{id, oldID} {
		if it, ok := s.items[k]; ok && it.ItemClass != "" {
			c := it.ItemClass
			switch {
			case strings.HasPrefix(c, "IPM.Schedule.Meeting"):
				return "Meeting message"
			case strings.HasPrefix(c, "IPM.Appointment"):
				return "Appointment"
			case strings.HasPrefix(c, "IPM.Contact"):
				return "Contact"
			case strings.HasPrefix(c, "IPM.Task"):
				return "Task"
			case strings.HasPrefix(c, "IPM.StickyNote"):
				return "Note"
			}
			return "Mail"
		}
	}
	switch {
	case s.tree.is(folder, "calendar"):
		return "Appointment"
	case s.tree.is(folder, "contacts"):
		return "Contact"
	case s.tree.is(folder, "tasks"):
		return "Task"
	}
	return "Mail"
}
