package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Actions are the mailbox actions the simulator can perform, each firing the
// cascade of events Exchange fires for it (docs/cascades.md).
var Actions = []string{
	"new-mail", "mark-read", "mark-unread", "move-item", "copy-item", "soft-delete", "hard-delete",
	"create-folder", "rename-folder", "move-folder", "delete-folder", "meeting-request", "send-mail",
}

// ActionRequest names one action. Mailbox and Folder are optional: "" picks
// the default mailbox and a suitable folder. Folder is a distinguished name
// ("inbox"), a display name or path ("Inbox/Projects"), or a folder id.
type ActionRequest struct {
	Action  string `json:"action"`
	Mailbox string `json:"mailbox,omitempty"`
	Folder  string `json:"folder,omitempty"`
}

// ActionResult lists the events the action appended to the journal, in
// order, each with its journal watermark.
type ActionResult struct {
	Action string
	Events []ews.Event
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
	known := false
	for _, a := range Actions {
		known = known || a == name
	}
	if !known {
		return ActionResult{}, fmt.Errorf("unknown action %q (one of %s)", req.Action, strings.Join(Actions, ", "))
	}
	mb := s.mailboxes[0]
	if req.Mailbox != "" {
		mb = s.byAddr[strings.ToLower(strings.TrimSpace(req.Mailbox))]
		if mb == nil {
			return ActionResult{}, fmt.Errorf("no mailbox %q in the simulator", req.Mailbox)
		}
	}
	var f *folder
	if req.Folder != "" {
		f = s.findFolderByName(mb, req.Folder)
		if f == nil {
			return ActionResult{}, fmt.Errorf("no folder %q in mailbox %s", req.Folder, mb.smtp)
		}
	}
	a := &actor{s: s, mb: mb, now: s.clock.Now().UTC().Truncate(time.Second)}
	var err error
	switch name {
	case "new-mail":
		err = a.newMail(f)
	case "mark-read":
		err = a.markRead(f, true)
	case "mark-unread":
		err = a.markRead(f, false)
	case "move-item":
		err = a.moveItem(f, nil)
	case "copy-item":
		err = a.copyItem(f)
	case "soft-delete":
		err = a.softDelete(f)
	case "hard-delete":
		err = a.hardDelete(f)
	case "create-folder":
		err = a.createFolder(f)
	case "rename-folder":
		err = a.renameFolder(f)
	case "move-folder":
		err = a.moveFolder(f)
	case "delete-folder":
		err = a.deleteFolder(f)
	case "meeting-request":
		err = a.meetingRequest()
	case "send-mail":
		err = a.sendMail()
	}
	if err != nil {
		if errors.Is(err, errNoTarget) {
			err = fmt.Errorf("%s in %s: %w", name, mb.smtp, err)
		}
		return ActionResult{}, err
	}
	return ActionResult{Action: name, Events: a.events}, nil
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
	s      *Server
	mb     *mailbox
	now    time.Time // one TimeStamp for every event of the action
	events []ews.Event
}

func (a *actor) emit(ev ews.Event) {
	ev.TimeStamp = a.now
	a.events = append(a.events, a.s.appendEvent(a.mb, ev))
}

func (a *actor) itemEvent(t ews.EventType, it *item) {
	a.emit(ews.Event{Type: t, ItemId: it.ref(), ParentFolderId: it.folder.ref()})
}

// folderModified is the ModifiedEvent on a folder whose contents or counts
// changed, with its UnreadCount as Exchange sends it.
func (a *actor) folderModified(f *folder) {
	f.touch()
	n := f.unread
	a.emit(ews.Event{Type: ews.ModifiedEvent, FolderId: f.ref(), ParentFolderId: f.parent.ref(), UnreadCount: &n})
}

// mailFolders are the folders mail can be moved or filed into.
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
		if f.class == "IPF.Note" && f != a.mb.root && f != a.mb.msgroot && !skip[f] {
			out = append(out, f)
		}
	}
	return out
}

// userFolders are folders the user created (not distinguished).
func (a *actor) userFolders() []*folder {
	var out []*folder
	for _, f := range a.s.allFolders(a.mb) {
		if f.distinguished == "" {
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
// has one) that matches ok.
func (a *actor) pickItem(f *folder, defaults []string, ok func(*item) bool) *item {
	var cands []*folder
	if f != nil {
		cands = []*folder{f}
	} else {
		for _, d := range defaults {
			cands = append(cands, a.mb.dist[d])
		}
		cands = append(cands, a.s.allFolders(a.mb)...)
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

// newMail: delivery of a message. CreatedEvent + NewMailEvent on the item,
// ModifiedEvent on its folder (UnreadCount + 1).
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

// markRead: ModifiedEvent on the item, ModifiedEvent on its folder.
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

// move moves an item: it gets a new id in the destination (as Exchange
// items do). MovedEvent, then ModifiedEvent on the old and the new folder.
func (a *actor) move(it *item, dst *folder) {
	s := a.s
	src := it.folder
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
	a.emit(ews.Event{Type: ews.MovedEvent, ItemId: it.ref(), ParentFolderId: dst.ref(), OldItemId: old, OldParentFolderId: src.ref()})
	a.folderModified(src)
	a.folderModified(dst)
}

func (a *actor) moveItem(f *folder, dst *folder) error {
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
	a.move(it, dst)
	return nil
}

// copyItem: CopiedEvent (new item, old item), ModifiedEvent on the
// destination folder.
func (a *actor) copyItem(f *folder) error {
	s := a.s
	it := a.pickItem(f, []string{"inbox"}, isMail)
	if it == nil {
		return fmt.Errorf("no message to copy: %w", errNoTarget)
	}
	dst := a.pickFolder(a.mailFolders(it.folder))
	if dst == nil {
		return fmt.Errorf("no folder to copy to: %w", errNoTarget)
	}
	cp := s.addItem(dst, it.class, it.subject, it.from, it.received)
	cp.read = it.read
	if !cp.read {
		dst.unread++
	}
	a.emit(ews.Event{Type: ews.CopiedEvent, ItemId: cp.ref(), ParentFolderId: dst.ref(), OldItemId: it.ref(), OldParentFolderId: it.folder.ref()})
	a.folderModified(dst)
	return nil
}

// softDelete moves the item to Deleted Items.
func (a *actor) softDelete(f *folder) error {
	del := a.mb.dist["deleteditems"]
	if f == del {
		return fmt.Errorf("soft delete from Deleted Items: use hard-delete")
	}
	it := a.pickItem(f, []string{"inbox"}, func(it *item) bool { return it.folder != del && it.folder.class == "IPF.Note" })
	if it == nil {
		return fmt.Errorf("no message to delete: %w", errNoTarget)
	}
	a.move(it, del)
	return nil
}

// hardDelete: DeletedEvent on the item, ModifiedEvent on its folder.
func (a *actor) hardDelete(f *folder) error {
	it := a.pickItem(f, []string{"deleteditems", "inbox"}, func(*item) bool { return true })
	if it == nil {
		return fmt.Errorf("no item to delete: %w", errNoTarget)
	}
	src := it.folder
	a.itemEvent(ews.DeletedEvent, it)
	a.s.unplaceItem(it)
	delete(a.s.items, it.id)
	a.folderModified(src)
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
	if parent == nil || parent == a.mb.root {
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
		if f.distinguished != "" {
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

// renameFolder: ModifiedEvent on the folder.
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

// moveFolder: MovedEvent on the folder (its id stays), ModifiedEvent on the
// old and the new parent.
func (a *actor) moveFolder(f *folder) error {
	f, err := a.pickUserFolder(f)
	if err != nil {
		return err
	}
	var dests []*folder
	for _, d := range a.mailFolders() {
		if d != f.parent && !d.isDescendantOf(f) {
			dests = append(dests, d)
		}
	}
	dst := a.pickFolder(dests)
	if dst == nil {
		return fmt.Errorf("no folder to move %s into: %w", f.name, errNoTarget)
	}
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
	a.emit(ews.Event{Type: ews.MovedEvent, FolderId: f.ref(), ParentFolderId: dst.ref(), OldFolderId: f.ref(), OldParentFolderId: old.ref()})
	a.folderModified(old)
	a.folderModified(dst)
	return nil
}

// deleteFolder hard-deletes a user folder with its subfolders and items:
// DeletedEvent on the folder, ModifiedEvent on its parent. Exchange fires no
// events for the contents.
func (a *actor) deleteFolder(f *folder) error {
	f, err := a.pickUserFolder(f)
	if err != nil {
		return err
	}
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
	a.folderModified(parent)
	return nil
}

// meetingRequest: the request arrives as new mail in the Inbox, then the
// calendar item is created tentatively and free/busy changes.
func (a *actor) meetingRequest() error {
	s := a.s
	inbox, cal := a.mb.dist["inbox"], a.mb.dist["calendar"]
	org := s.randomSender()
	subject := s.randomMeeting()
	now := s.clock.Now().UTC()
	mr := s.addItem(inbox, classMeetingRequest, subject, org, now)
	inbox.unread++
	a.itemEvent(ews.CreatedEvent, mr)
	a.itemEvent(ews.NewMailEvent, mr)
	a.folderModified(inbox)
	appt := s.addItem(cal, classAppointment, subject, org, now)
	appt.read = true
	a.itemEvent(ews.CreatedEvent, appt)
	a.folderModified(cal)
	a.itemEvent(ews.FreeBusyChangedEvent, appt)
	return nil
}

// sendMail: the draft is created in Drafts, then sending moves it to Sent
// Items.
func (a *actor) sendMail() error {
	s := a.s
	drafts, sent := a.mb.dist["drafts"], a.mb.dist["sentitems"]
	it := s.addItem(drafts, classNote, s.randomSubject(), ews.Mailbox{Name: a.mb.name, EmailAddress: a.mb.smtp}, s.clock.Now().UTC())
	it.read = true
	a.itemEvent(ews.CreatedEvent, it)
	a.folderModified(drafts)
	a.move(it, sent)
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
