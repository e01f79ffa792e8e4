package sim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Actions are the mailbox actions the simulator can perform, each firing the
// cascade of events the server profile fires for it (docs/cascades.md is the
// matrix; Matrix holds it as data). The names are stable: scripts use them
// in POST /sim/actions.
var Actions = []string{
	"new-mail", "mark-read", "mark-unread", "flag-item", "move-item", "copy-item",
	"soft-delete", "dumpster-delete", "hard-delete", "empty-deleted-items",
	"create-folder", "rename-folder", "move-folder", "folder-to-deleted-items", "delete-folder",
	"meeting-request", "update-appointment", "accept-meeting", "decline-meeting",
	"save-draft", "send-mail",
}

// ActionRequest names one action. Mailbox, Folder and To are optional: ""
// picks the default mailbox and suitable folders. Folder is where the action
// happens (the source of a move), To the destination of a move or copy;
// each is a distinguished name ("inbox"), a display name or path
// ("Inbox/Projects"), or a folder id.
type ActionRequest struct {
	Action  string `json:"action"`
	Mailbox string `json:"mailbox,omitempty"`
	Folder  string `json:"folder,omitempty"`
	To      string `json:"to,omitempty"`
}

// ActionResult lists the events the action appended to the journal, in
// order, each with its journal watermark: Events as a subscription to all
// folders receives them (the dashboard's default), FolderEvents as a
// subscription naming folder ids receives them (before its folder filter).
// They differ on profiles whose store fires differently by scope.
type ActionResult struct {
	Action       string
	Events       []ews.Event
	FolderEvents []ews.Event
}

// errNoTarget means the action has nothing to act on (no unread item, no
// user folder...). The generator then picks another action.
var errNoTarget = errors.New("nothing to act on")

// Act performs one action now.
func (s *Server) Act(ctx context.Context, req ActionRequest) (ActionResult, error) {
	if err := ctx.Err(); err != nil {
		return ActionResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.act(req)
}

// act performs an action. Caller holds s.mu.
func (s *Server) act(req ActionRequest) (ActionResult, error) {
	name := strings.ToLower(strings.TrimSpace(req.Action))
	do := perform[name]
	if do == nil {
		return ActionResult{}, fmt.Errorf("unknown action %q (one of %s)", req.Action, strings.Join(Actions, ", "))
	}
	mb, f, to, err := s.actionTargets(req)
	if err != nil {
		return ActionResult{}, err
	}
	a := s.newActor(mb)
	if err := do(a, f, to); err != nil {
		if errors.Is(err, errNoTarget) {
			err = fmt.Errorf("%s in %s: %w", name, mb.smtp, err)
		}
		return ActionResult{}, err
	}
	res := ActionResult{Action: name}
	for _, se := range a.events {
		if se.scope != scopeFolders {
			res.Events = append(res.Events, se.ev)
		}
		if se.scope != scopeAll {
			res.FolderEvents = append(res.FolderEvents, se.ev)
		}
	}
	return res, nil
}

// perform is what each of Actions does, given the request's folder and
// destination (nil when it names none: the action picks).
var perform = map[string]func(a *actor, f, to *folder) error{
	"new-mail":                func(a *actor, f, _ *folder) error { return a.newMail(f) },
	"mark-read":               func(a *actor, f, _ *folder) error { return a.markRead(f, true) },
	"mark-unread":             func(a *actor, f, _ *folder) error { return a.markRead(f, false) },
	"flag-item":               func(a *actor, f, _ *folder) error { return a.flagItem(f) },
	"move-item":               func(a *actor, f, to *folder) error { return a.moveItem(f, to) },
	"copy-item":               func(a *actor, f, to *folder) error { return a.copyItem(f, to) },
	"soft-delete":             func(a *actor, f, _ *folder) error { return a.softDelete(f) },
	"dumpster-delete":         func(a *actor, f, _ *folder) error { return a.dumpsterDelete(f) },
	"hard-delete":             func(a *actor, f, _ *folder) error { return a.hardDelete(f) },
	"empty-deleted-items":     func(a *actor, _, _ *folder) error { return a.emptyDeletedItems() },
	"create-folder":           func(a *actor, f, _ *folder) error { return a.createFolder(f) },
	"rename-folder":           func(a *actor, f, _ *folder) error { return a.renameFolder(f) },
	"move-folder":             func(a *actor, f, to *folder) error { return a.moveFolder(f, to) },
	"folder-to-deleted-items": func(a *actor, f, _ *folder) error { return a.folderToDeletedItems(f) },
	"delete-folder":           func(a *actor, f, _ *folder) error { return a.deleteFolder(f) },
	"meeting-request":         func(a *actor, _, _ *folder) error { return a.meetingRequest() },
	"update-appointment":      func(a *actor, _, _ *folder) error { return a.updateAppointment() },
	"accept-meeting":          func(a *actor, _, _ *folder) error { return a.respondMeeting(true) },
	"decline-meeting":         func(a *actor, _, _ *folder) error { return a.respondMeeting(false) },
	"save-draft":              func(a *actor, _, _ *folder) error { return a.saveDraft() },
	"send-mail":               func(a *actor, _, _ *folder) error { return a.sendMail() },
}

// actionTargets resolves the request's mailbox (default: the first), folder
// and destination (nil when not named).
func (s *Server) actionTargets(req ActionRequest) (mb *mailbox, f, to *folder, err error) {
	mb = s.mailboxes[0]
	if req.Mailbox != "" {
		mb = s.byAddr[strings.ToLower(strings.TrimSpace(req.Mailbox))]
		if mb == nil {
			return nil, nil, nil, fmt.Errorf("no mailbox %q in the simulator", req.Mailbox)
		}
	}
	named := func(name string) (*folder, error) {
		if name == "" {
			return nil, nil
		}
		if f := s.findFolderByName(mb, name); f != nil {
			return f, nil
		}
		return nil, fmt.Errorf("no folder %q in mailbox %s", name, mb.smtp)
	}
	if f, err = named(req.Folder); err != nil {
		return nil, nil, nil, err
	}
	if to, err = named(req.To); err != nil {
		return nil, nil, nil, err
	}
	return mb, f, to, nil
}

// findFolderByName resolves a distinguished name, folder id, path or
// display name.
func (s *Server) findFolderByName(mb *mailbox, name string) *folder {
	n := strings.TrimSpace(name)
	if f := mb.dist[strings.ToLower(n)]; f != nil {
		return f
	}
	if f := s.folders[n]; f != nil && f.mb == mb {
		return f
	}
	all := s.allFolders(mb)
	for _, f := range all {
		if strings.EqualFold(f.path(), strings.Trim(n, "/")) {
			return f
		}
	}
	for _, f := range all {
		if strings.EqualFold(f.name, n) {
			return f
		}
	}
	return nil
}

// actor performs one action's mutations and collects its events.
type actor struct {
	s       *Server
	mb      *mailbox
	store13 bool
	now     time.Time // one TimeStamp for every event of the action
	events  []scopedEvent
}

type scopedEvent struct {
	scope eventScope
	ev    ews.Event
}

func (s *Server) newActor(mb *mailbox) *actor {
	return &actor{s: s, mb: mb, store13: s.profile.Store13, now: s.clock.Now().UTC().Truncate(time.Second)}
}

// emit appends an event that every subscription wanting it sees.
func (a *actor) emit(ev ews.Event) { a.emitScoped(scopeBoth, ev) }

// emitScoped appends an event only subscriptions of one scope see.
func (a *actor) emitScoped(scope eventScope, ev ews.Event) {
	ev.TimeStamp = a.now
	a.events = append(a.events, scopedEvent{scope, a.s.appendEvent(a.mb, ev, scope)})
}

func (a *actor) itemEvent(t ews.EventType, it *item) {
	a.emit(ews.Event{Type: t, ItemId: it.ref(), ParentFolderId: it.folder.ref()})
}

// folderModified is the ModifiedEvent on a folder whose contents or counts
// changed, with its UnreadCount (which a subscription made at a version
// before Exchange2010_SP1 does not get: sendsUnreadCount).
func (a *actor) folderModified(f *folder) { a.emit(a.folderModEvent(f)) }

func (a *actor) folderModEvent(f *folder) ews.Event {
	f.touch()
	n := f.unread
	return ews.Event{Type: ews.ModifiedEvent, FolderId: f.ref(), ParentFolderId: f.parent.ref(), UnreadCount: &n}
}

// mailFolders are the visible folders mail can be moved or filed into.
func (a *actor) mailFolders(except ...*folder) []*folder {
	var out []*folder
	skip := map[*folder]bool{}
	for _, e := range except {
		skip[e] = true
	}
	for _, d := range []string{"drafts", "outbox", "deleteditems", "sentitems"} {
		skip[a.mb.dist[d]] = true
	}
	for _, f := range a.s.allFolders(a.mb) {
		if f.class == "IPF.Note" && f != a.mb.root && f != a.mb.msgroot && !f.hidden && !skip[f] && !f.isDescendantOf(a.mb.dist["deleteditems"]) {
			out = append(out, f)
		}
	}
	return out
}

// userFolders are visible folders the user created (not distinguished),
// except those already in Deleted Items.
func (a *actor) userFolders() []*folder {
	var out []*folder
	for _, f := range a.s.allFolders(a.mb) {
		if f.distinguished == "" && !f.hidden && !f.isDescendantOf(a.mb.dist["deleteditems"]) {
			out = append(out, f)
		}
	}
	return out
}

func (a *actor) pickFolder(fs []*folder) *folder {
	if len(fs) == 0 {
		return nil
	}
	return fs[a.s.rng.IntN(len(fs))]
}

// pickItem picks an item in f (or, with f nil, in the first of defaults that
// has one, then any visible folder) that matches ok.
func (a *actor) pickItem(f *folder, defaults []string, ok func(*item) bool) *item {
	var cands []*folder
	if f != nil {
		cands = []*folder{f}
	} else {
		for _, d := range defaults {
			cands = append(cands, a.mb.dist[d])
		}
		for _, c := range a.s.allFolders(a.mb) {
			if !c.hidden {
				cands = append(cands, c)
			}
		}
	}
	for _, c := range cands {
		var match []*item
		for _, it := range c.items {
			if ok(it) {
				match = append(match, it)
			}
		}
		if len(match) > 0 {
			return match[a.s.rng.IntN(len(match))]
		}
		if f != nil {
			break
		}
	}
	return nil
}

func isMail(it *item) bool { return it.class == classNote || it.class == classMeetingRequest }

// freeBusyNoise: calendar operations make Exchange write and drop a free/busy
// data item in the hidden Freebusy Data folder, which a subscription to all
// folders sees as a CreatedEvent and a DeletedEvent there (modelled: the
// class is MS-OXOPFFB's; a subscription naming folder ids does not name
// that folder, so it never sees them).
func (a *actor) freeBusyNoise() {
	fb := a.mb.freeBusy
	if fb == nil {
		return
	}
	s := a.s
	it := s.addItem(fb, classFreeBusy, "LocalFreebusy", ews.Mailbox{Name: a.mb.name, EmailAddress: a.mb.smtp}, s.clock.Now().UTC())
	it.read = true
	a.emitScoped(scopeAll, ews.Event{Type: ews.CreatedEvent, ItemId: it.ref(), ParentFolderId: fb.ref()})
	a.emitScoped(scopeAll, ews.Event{Type: ews.DeletedEvent, ItemId: it.ref(), ParentFolderId: fb.ref()})
	s.unplaceItem(it)
	delete(s.items, it.id)
}

// newMail: delivery of a message. CreatedEvent + NewMailEvent on the item,
// ModifiedEvent on its folder (UnreadCount + 1): Microsoft's streaming
// sample.
func (a *actor) newMail(f *folder) error {
	if f == nil {
		f = a.mb.dist["inbox"]
	}
	s := a.s
	it := s.addItem(f, classNote, s.randomSubject(), s.randomSender(), s.clock.Now().UTC())
	f.unread++
	a.itemEvent(ews.CreatedEvent, it)
	a.itemEvent(ews.NewMailEvent, it)
	a.folderModified(f)
	return nil
}

// markRead: ModifiedEvent on the item, ModifiedEvent on its folder
// (ModifiedEvent reference: "Two modified events are generated for each
// modification of an item in a folder").
func (a *actor) markRead(f *folder, read bool) error {
	it := a.pickItem(f, []string{"inbox"}, func(it *item) bool { return isMail(it) && it.read != read })
	if it == nil {
		if read {
			return fmt.Errorf("no unread message: %w", errNoTarget)
		}
		return fmt.Errorf("no read message: %w", errNoTarget)
	}
	it.read = read
	it.ver++
	a.s.itemChanged(it, true)
	if read {
		it.folder.unread--
	} else {
		it.folder.unread++
	}
	a.itemEvent(ews.ModifiedEvent, it)
	a.folderModified(it.folder)
	return nil
}

// flagItem sets or clears a message's follow-up flag: the same two
// ModifiedEvents as any item change, the count unchanged.
func (a *actor) flagItem(f *folder) error {
	it := a.pickItem(f, []string{"inbox"}, isMail)
	if it == nil {
		return fmt.Errorf("no message to flag: %w", errNoTarget)
	}
	it.flagged = !it.flagged
	it.ver++
	a.s.itemChanged(it, false)
	a.itemEvent(ews.ModifiedEvent, it)
	a.folderModified(it.folder)
	return nil
}

// relocate moves an item to dst in the store: it gets a new id there (as
// Exchange items do). It returns the old id.
func (a *actor) relocate(it *item, dst *folder) ews.ItemId {
	s := a.s
	old := it.ref()
	s.unplaceItem(it)
	delete(s.items, it.id)
	it.id = s.newID(0x02, a.mb.idx)
	it.ver = 0
	s.items[it.id] = it
	s.placeItem(it, dst)
	if !it.read {
		dst.unread++
	}
	return old
}

// move is MoveItem: MovedEvent, then ModifiedEvent on the old and the new
// folder. On the Exchange 2013 store an item ModifiedEvent follows the
// MovedEvent (Microsoft's figure "Event types returned by notification
// subscriptions", Exchange 2013); withItemModified asks for it.
func (a *actor) move(it *item, dst *folder, withItemModified bool) {
	src := it.folder
	old := a.relocate(it, dst)
	a.emit(ews.Event{Type: ews.MovedEvent, ItemId: it.ref(), ParentFolderId: dst.ref(), OldItemId: old, OldParentFolderId: src.ref()})
	if withItemModified && a.store13 {
		it.ver++
		a.itemEvent(ews.ModifiedEvent, it)
	}
	a.folderModified(src)
	a.folderModified(dst)
}

func (a *actor) moveItem(f, dst *folder) error {
	it := a.pickItem(f, []string{"inbox"}, isMail)
	if it == nil {
		return fmt.Errorf("no message to move: %w", errNoTarget)
	}
	if dst == nil {
		dst = a.pickFolder(a.mailFolders(it.folder))
	}
	if dst == nil {
		return fmt.Errorf("no folder to move to: %w", errNoTarget)
	}
	if dst == it.folder {
		return fmt.Errorf("the message is already in %s", dst.name)
	}
	a.move(it, dst, true)
	return nil
}

// copyItem: Exchange 2010 fires a CopiedEvent (new item, old item) and a
// ModifiedEvent on the destination (modelled from the CopiedEvent
// reference); the Exchange 2013 store fires a CreatedEvent for the copy
// instead (Microsoft's figure).
func (a *actor) copyItem(f, dst *folder) error {
	s := a.s
	it := a.pickItem(f, []string{"inbox"}, isMail)
	if it == nil {
		return fmt.Errorf("no message to copy: %w", errNoTarget)
	}
	if dst == nil {
		dst = a.pickFolder(a.mailFolders(it.folder))
	}
	if dst == nil {
		return fmt.Errorf("no folder to copy to: %w", errNoTarget)
	}
	cp := s.addItem(dst, it.class, it.subject, it.from, it.received)
	cp.read = it.read
	if !cp.read {
		dst.unread++
	}
	if a.store13 {
		a.itemEvent(ews.CreatedEvent, cp)
	} else {
		a.emit(ews.Event{Type: ews.CopiedEvent, ItemId: cp.ref(), ParentFolderId: dst.ref(), OldItemId: it.ref(), OldParentFolderId: it.folder.ref()})
	}
	a.folderModified(dst)
	return nil
}

// deletable picks a message for the delete actions.
func (a *actor) deletable(f *folder, verb string) (*item, error) {
	del := a.mb.dist["deleteditems"]
	if f == del {
		return nil, fmt.Errorf("%s from Deleted Items: use hard-delete or empty-deleted-items", verb)
	}
	it := a.pickItem(f, []string{"inbox"}, func(it *item) bool { return it.folder != del && it.folder.class == "IPF.Note" })
	if it == nil {
		return nil, fmt.Errorf("no message to delete: %w", errNoTarget)
	}
	return it, nil
}

// softDelete is Outlook's Delete: DeleteItem with MoveToDeletedItems.
// Microsoft's deletion table: Exchange 2010, and 2013 to a subscription
// naming folder ids, fire a MovedEvent and ModifiedEvents on the old
// folder and Deleted Items; the 2013 store, to a subscription on all
// folders, fires no MovedEvent but a DeletedEvent and a CreatedEvent from
// the AllItems search folder before the two folder changes.
func (a *actor) softDelete(f *folder) error {
	it, err := a.deletable(f, "soft delete")
	if err != nil {
		return err
	}
	del := a.mb.dist["deleteditems"]
	src := it.folder
	old := a.relocate(it, del)
	moved := ews.Event{Type: ews.MovedEvent, ItemId: it.ref(), ParentFolderId: del.ref(), OldItemId: old, OldParentFolderId: src.ref()}
	if a.store13 && a.mb.allItems != nil {
		ai := a.mb.allItems.ref()
		a.emitScoped(scopeFolders, moved)
		a.emitScoped(scopeAll, ews.Event{Type: ews.DeletedEvent, ItemId: old, ParentFolderId: ai})
		a.emitScoped(scopeAll, ews.Event{Type: ews.CreatedEvent, ItemId: it.ref(), ParentFolderId: ai})
	} else {
		a.emit(moved)
	}
	a.folderModified(src)
	a.folderModified(del)
	return nil
}

// dumpsterDelete is DeleteItem with SoftDelete: the item goes to
// Recoverable Items\Deletions. Microsoft's deletion table: Exchange 2010
// fires a DeletedEvent and a ModifiedEvent on the folder; 2013, to a
// subscription naming folder ids, a MovedEvent into Deletions and the
// folder change; to one on all folders, the DeletedEvent, a DeletedEvent
// from the AllItems search folder and the folder change.
func (a *actor) dumpsterDelete(f *folder) error {
	it, err := a.deletable(f, "dumpster delete")
	if err != nil {
		return err
	}
	dels := a.mb.dist["recoverableitemsdeletions"]
	src := it.folder
	old := a.relocate(it, dels)
	if a.store13 {
		a.emitScoped(scopeFolders, ews.Event{Type: ews.MovedEvent, ItemId: it.ref(), ParentFolderId: dels.ref(), OldItemId: old, OldParentFolderId: src.ref()})
		a.emitScoped(scopeAll, ews.Event{Type: ews.DeletedEvent, ItemId: old, ParentFolderId: src.ref()})
		if a.mb.allItems != nil {
			a.emitScoped(scopeAll, ews.Event{Type: ews.DeletedEvent, ItemId: old, ParentFolderId: a.mb.allItems.ref()})
		}
	} else {
		a.emit(ews.Event{Type: ews.DeletedEvent, ItemId: old, ParentFolderId: src.ref()})
	}
	a.folderModified(src)
	return nil
}

// purge removes an item for good and emits its DeletedEvent(s): Microsoft's
// deletion table adds, on the 2013 store and to a subscription on all
// folders, a DeletedEvent from the AllItems search folder.
func (a *actor) purge(it *item) {
	ref, src := it.ref(), it.folder
	a.emit(ews.Event{Type: ews.DeletedEvent, ItemId: ref, ParentFolderId: src.ref()})
	if a.store13 && a.mb.allItems != nil {
		a.emitScoped(scopeAll, ews.Event{Type: ews.DeletedEvent, ItemId: ref, ParentFolderId: a.mb.allItems.ref()})
	}
	a.s.unplaceItem(it)
	delete(a.s.items, it.id)
}

// hardDelete: DeleteItem with HardDelete (Microsoft's deletion table).
func (a *actor) hardDelete(f *folder) error {
	if f != nil && f.hidden {
		return fmt.Errorf("%s is a hidden folder", f.name)
	}
	it := a.pickItem(f, []string{"deleteditems", "inbox"}, func(*item) bool { return true })
	if it == nil {
		return fmt.Errorf("no item to delete: %w", errNoTarget)
	}
	src := it.folder
	a.purge(it)
	a.folderModified(src)
	return nil
}

// emptyDeletedItems is EmptyFolder on Deleted Items with HardDelete and
// DeleteSubFolders: each item's hard-delete events, each subfolder's
// DeletedEvent, then one ModifiedEvent on Deleted Items (modelled on the
// deletion table's hard-delete rows; one folder change for the batch).
func (a *actor) emptyDeletedItems() error {
	del := a.mb.dist["deleteditems"]
	if len(del.items) == 0 && len(del.children) == 0 {
		return fmt.Errorf("the Deleted Items folder is empty: %w", errNoTarget)
	}
	items := append([]*item(nil), del.items...)
	sort.Slice(items, func(i, j int) bool { return items[i].id < items[j].id })
	for _, it := range items {
		a.purge(it)
	}
	for len(del.children) > 0 {
		a.removeFolder(del.children[0])
	}
	a.folderModified(del)
	return nil
}

var folderNames = []string{"Projects 2027", "Travel", "Newsletters", "Clients", "Invoices", "Team", "Reports", "Later", "Reference", "Family"}

func (s *Server) newFolderName() string {
	s.names++
	n := folderNames[s.rng.IntN(len(folderNames))]
	return fmt.Sprintf("%s %d", n, s.names)
}

// createFolder: CreatedEvent on the folder, ModifiedEvent on its parent.
func (a *actor) createFolder(parent *folder) error {
	s := a.s
	if parent == nil {
		parent = a.pickFolder(a.mailFolders())
	}
	if parent == nil || parent == a.mb.root || parent.hidden {
		parent = a.mb.dist["inbox"]
	}
	f := s.addFolder(a.mb, parent, s.newFolderName(), "IPF.Note", "")
	a.mb.hierarchyChanged(f, true)
	a.emit(ews.Event{Type: ews.CreatedEvent, FolderId: f.ref(), ParentFolderId: parent.ref()})
	a.folderModified(parent)
	return nil
}

func (a *actor) pickUserFolder(f *folder) (*folder, error) {
	if f != nil {
		if f.distinguished != "" || f.hidden || f == a.mb.root {
			return nil, fmt.Errorf("%s is a distinguished folder; only user folders can be renamed, moved or deleted", f.name)
		}
		return f, nil
	}
	f = a.pickFolder(a.userFolders())
	if f == nil {
		return nil, fmt.Errorf("no user folder: %w", errNoTarget)
	}
	return f, nil
}

// renameFolder: ModifiedEvent on the folder, without UnreadCount (a
// property change, not a change of counts; modelled).
func (a *actor) renameFolder(f *folder) error {
	f, err := a.pickUserFolder(f)
	if err != nil {
		return err
	}
	f.name = a.s.newFolderName()
	f.touch()
	a.mb.hierarchyChanged(f, false)
	a.emit(ews.Event{Type: ews.ModifiedEvent, FolderId: f.ref(), ParentFolderId: f.parent.ref()})
	return nil
}

// reparent moves folder f under dst in the store; it returns the old parent.
func (a *actor) reparent(f, dst *folder) *folder {
	old := f.parent
	for i, c := range old.children {
		if c == f {
			old.children = append(old.children[:i:i], old.children[i+1:]...)
			break
		}
	}
	f.parent = dst
	dst.children = append(dst.children, f)
	f.touch()
	a.mb.hierarchyChanged(f, false)
	return old
}

// moveFolder: MovedEvent on the folder (its id stays), ModifiedEvent on the
// old and the new parent (Microsoft: "in the case of a folder move
// operation, three folder events are created").
func (a *actor) moveFolder(f, dst *folder) error {
	f, err := a.pickUserFolder(f)
	if err != nil {
		return err
	}
	if dst == nil {
		var dests []*folder
		for _, d := range a.mailFolders() {
			if d != f.parent && !d.isDescendantOf(f) {
				dests = append(dests, d)
			}
		}
		dst = a.pickFolder(dests)
	}
	if dst == nil {
		return fmt.Errorf("no folder to move %s into: %w", f.name, errNoTarget)
	}
	if dst == f.parent || dst.isDescendantOf(f) || dst.hidden || dst == a.mb.root {
		return fmt.Errorf("cannot move %s into %s", f.name, dst.name)
	}
	old := a.reparent(f, dst)
	a.emit(ews.Event{Type: ews.MovedEvent, FolderId: f.ref(), ParentFolderId: dst.ref(), OldFolderId: f.ref(), OldParentFolderId: old.ref()})
	a.folderModified(old)
	a.folderModified(dst)
	return nil
}

// folderToDeletedItems is DeleteFolder with MoveToDeletedItems. Microsoft's
// deletion table: a MovedEvent and ModifiedEvents on the old parent and
// Deleted Items, except on the 2013 store to a subscription on all
// folders, which gets only the two folder changes.
func (a *actor) folderToDeletedItems(f *folder) error {
	f, err := a.pickUserFolder(f)
	if err != nil {
		return err
	}
	del := a.mb.dist["deleteditems"]
	old := a.reparent(f, del)
	moved := ews.Event{Type: ews.MovedEvent, FolderId: f.ref(), ParentFolderId: del.ref(), OldFolderId: f.ref(), OldParentFolderId: old.ref()}
	if a.store13 {
		a.emitScoped(scopeFolders, moved)
	} else {
		a.emit(moved)
	}
	a.folderModified(old)
	a.folderModified(del)
	return nil
}

// removeFolder hard-deletes a folder with its subfolders and items: its
// DeletedEvent; Exchange fires no events for the contents (Microsoft's
// deletion table lists only the folder's). SyncFolderHierarchy reports a
// Delete for it and each subfolder.
func (a *actor) removeFolder(f *folder) {
	s := a.s
	parent := f.parent
	a.emit(ews.Event{Type: ews.DeletedEvent, FolderId: f.ref(), ParentFolderId: parent.ref()})
	for i, c := range parent.children {
		if c == f {
			parent.children = append(parent.children[:i:i], parent.children[i+1:]...)
			break
		}
	}
	var ancestors []*folder
	for p := parent; p != nil; p = p.parent {
		ancestors = append(ancestors, p)
	}
	a.mb.hierSeq++
	var gone func(x *folder, under []*folder)
	gone = func(x *folder, under []*folder) {
		for _, it := range x.items {
			delete(s.items, it.id)
			it.folder = nil
		}
		delete(s.folders, x.id)
		a.mb.tombstones = append(a.mb.tombstones, tombstone{id: x.id, createdSeq: x.createdSeq, deletedAt: a.mb.hierSeq, under: under})
		for _, c := range x.children {
			gone(c, append(append([]*folder(nil), under...), x))
		}
	}
	gone(f, ancestors)
	if len(a.mb.tombstones) > 10000 {
		// A SyncState from before the newest dropped tombstone would miss
		// deletions: it is refused from now on (ErrorInvalidSyncStateData).
		a.mb.hierTombFloor = a.mb.tombstones[4999].deletedAt
		a.mb.tombstones = append([]tombstone(nil), a.mb.tombstones[5000:]...)
	}
}

// deleteFolder is DeleteFolder with HardDelete (or SoftDelete: the deletion
// table gives both the same events): DeletedEvent on the folder,
// ModifiedEvent on its parent.
func (a *actor) deleteFolder(f *folder) error {
	f, err := a.pickUserFolder(f)
	if err != nil {
		return err
	}
	parent := f.parent
	a.removeFolder(f)
	a.folderModified(parent)
	return nil
}

// organizer picks who sends a meeting request: another simulated mailbox
// when there is one (so that responses reach it), else a made-up sender.
func (a *actor) organizer() ews.Mailbox {
	for _, o := range a.s.mailboxes {
		if o != a.mb {
			return ews.Mailbox{Name: o.name, EmailAddress: o.smtp}
		}
	}
	return a.s.randomSender()
}

// meetingRequest: the request arrives as new mail in the Inbox, then the
// calendar item is created tentatively and free/busy changes (modelled on
// new mail plus Microsoft's remark that free/busy can change when a request
// arrives, before it is read), with the free/busy data noise.
func (a *actor) meetingRequest() error {
	s := a.s
	inbox, cal := a.mb.dist["inbox"], a.mb.dist["calendar"]
	org := a.organizer()
	subject := s.randomMeeting()
	now := s.clock.Now().UTC()
	mr := s.addItem(inbox, classMeetingRequest, subject, org, now)
	inbox.unread++
	a.itemEvent(ews.CreatedEvent, mr)
	a.itemEvent(ews.NewMailEvent, mr)
	a.folderModified(inbox)
	appt := s.addItem(cal, classAppointment, subject, org, now)
	appt.read = true
	mr.meeting = appt
	a.itemEvent(ews.CreatedEvent, appt)
	a.folderModified(cal)
	a.itemEvent(ews.FreeBusyChangedEvent, appt)
	a.freeBusyNoise()
	return nil
}

// updateAppointment changes a calendar item's time: a ModifiedEvent and a
// FreeBusyChangedEvent on the item, then one ModifiedEvent on Calendar
// (the shape reported from an Exchange 2016 capture, which we do not have
// to hand: modelled after that report), with the free/busy data noise.
func (a *actor) updateAppointment() error {
	cal := a.mb.dist["calendar"]
	it := a.pickItem(cal, nil, func(it *item) bool { return it.class == classAppointment })
	if it == nil {
		return fmt.Errorf("no calendar item: %w", errNoTarget)
	}
	it.ver++
	a.s.itemChanged(it, false)
	a.itemEvent(ews.ModifiedEvent, it)
	a.itemEvent(ews.FreeBusyChangedEvent, it)
	a.folderModified(cal)
	a.freeBusyNoise()
	return nil
}

// respondMeeting accepts or declines a meeting request (modelled; the
// request stays in the Inbox, as with Outlook's "keep the request" choice).
// Accept: the calendar item changes (ModifiedEvent, FreeBusyChangedEvent,
// Calendar's ModifiedEvent). Decline: free/busy changes and the calendar
// item is removed (its hard-delete events), then Calendar's ModifiedEvent.
// Either way the response is sent and saved in Sent Items (CreatedEvent,
// Sent Items' ModifiedEvent), the free/busy data noise follows, and when
// the organizer is a simulated mailbox the response arrives there as new
// mail (Created, NewMail, Inbox's ModifiedEvent, in that mailbox).
func (a *actor) respondMeeting(accept bool) error {
	s := a.s
	inbox, cal, sent := a.mb.dist["inbox"], a.mb.dist["calendar"], a.mb.dist["sentitems"]
	mr := a.pickItem(nil, []string{"inbox"}, func(it *item) bool {
		return it.class == classMeetingRequest && !it.answered && it.meeting != nil && it.meeting.folder == cal
	})
	if mr == nil {
		return fmt.Errorf("no meeting request to answer: %w", errNoTarget)
	}
	mr.answered = true
	appt := mr.meeting
	if accept {
		appt.ver++
		s.itemChanged(appt, false)
		a.itemEvent(ews.ModifiedEvent, appt)
		a.itemEvent(ews.FreeBusyChangedEvent, appt)
	} else {
		a.itemEvent(ews.FreeBusyChangedEvent, appt)
		a.purge(appt)
		mr.meeting = nil
	}
	a.folderModified(cal)
	class, verb := classResponsePos, "Accepted: "
	if !accept {
		class, verb = classResponseNeg, "Declined: "
	}
	me := ews.Mailbox{Name: a.mb.name, EmailAddress: a.mb.smtp}
	resp := s.addItem(sent, class, verb+mr.subject, me, s.clock.Now().UTC())
	resp.read = true
	a.itemEvent(ews.CreatedEvent, resp)
	a.folderModified(sent)
	a.freeBusyNoise()
	_ = inbox
	if org := s.byAddr[strings.ToLower(mr.from.EmailAddress)]; org != nil && org != a.mb {
		o := s.newActor(org)
		oin := org.dist["inbox"]
		r := s.addItem(oin, class, verb+mr.subject, me, s.clock.Now().UTC())
		oin.unread++
		o.itemEvent(ews.CreatedEvent, r)
		o.itemEvent(ews.NewMailEvent, r)
		o.folderModified(oin)
	}
	return nil
}

// saveDraft saves a new draft. Microsoft's figure (Exchange 2013) lists
// CreatedEvent, ModifiedEvent, MovedEvent and a folder ModifiedEvent; it
// does not say between which folders the draft moves, so the simulator
// models the move as Exchange re-filing the saved draft in Drafts (a new
// ItemId, Drafts both old and new parent). Exchange 2010: the CreatedEvent,
// the ModifiedEvent and Drafts' ModifiedEvent (modelled).
func (a *actor) saveDraft() error {
	s := a.s
	drafts := a.mb.dist["drafts"]
	it := s.addItem(drafts, classNote, s.randomSubject(), ews.Mailbox{Name: a.mb.name, EmailAddress: a.mb.smtp}, s.clock.Now().UTC())
	it.read = true
	a.itemEvent(ews.CreatedEvent, it)
	it.ver++
	s.itemChanged(it, false)
	a.itemEvent(ews.ModifiedEvent, it)
	if a.store13 {
		old := a.relocate(it, drafts)
		a.emit(ews.Event{Type: ews.MovedEvent, ItemId: it.ref(), ParentFolderId: drafts.ref(), OldItemId: old, OldParentFolderId: drafts.ref()})
	}
	a.folderModified(drafts)
	return nil
}

// sendMail: the draft is created in Drafts, then sending moves it to Sent
// Items (modelled on new mail and MoveItem).
func (a *actor) sendMail() error {
	s := a.s
	drafts, sent := a.mb.dist["drafts"], a.mb.dist["sentitems"]
	it := s.addItem(drafts, classNote, s.randomSubject(), ews.Mailbox{Name: a.mb.name, EmailAddress: a.mb.smtp}, s.clock.Now().UTC())
	it.read = true
	a.itemEvent(ews.CreatedEvent, it)
	a.folderModified(drafts)
	a.move(it, sent, false)
	return nil
}

var (
	subjects = []string{"Quarterly report", "Lunch on Friday?", "Re: build is red again", "Invoice 4711", "Your order has shipped",
		"Re: design review notes", "Fwd: conference schedule", "Welcome aboard", "Password expiry notice", "Minutes of today's call",
		"Re: EWS subscription question", "Holiday rota", "Coffee machine is fixed", "Re: contract draft v3", "Weekly metrics"}
	senders = []ews.Mailbox{
		{Name: "Bob Baker", EmailAddress: "bob@example.com"}, {Name: "Carol Chen", EmailAddress: "carol@example.com"},
		{Name: "Dave Diaz", EmailAddress: "dave@example.org"}, {Name: "Erin Evans", EmailAddress: "erin@example.net"},
		{Name: "Build Bot", EmailAddress: "ci@build.example.com"}, {Name: "Frank Fischer", EmailAddress: "frank@example.de"},
	}
	meetings = []string{"Sprint planning", "1:1", "Design review", "All hands", "Customer call", "Retrospective"}
)

func (s *Server) randomSubject() string     { return subjects[s.rng.IntN(len(subjects))] }
func (s *Server) randomSender() ews.Mailbox { return senders[s.rng.IntN(len(senders))] }
func (s *Server) randomMeeting() string     { return meetings[s.rng.IntN(len(meetings))] }
