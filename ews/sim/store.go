package sim

import (
	crand "crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// The mailbox store: folders, items and the per-mailbox event journal. All of
// it is guarded by Server.mu.

// Item classes.
const (
	classNote           = "IPM.Note"
	classMeetingRequest = "IPM.Schedule.Meeting.Request"
	classAppointment    = "IPM.Appointment"
	classResponsePos    = "IPM.Schedule.Meeting.Resp.Pos"
	classResponseNeg    = "IPM.Schedule.Meeting.Resp.Neg"
	// Free/busy data items, which calendar operations create and delete
	// in the hidden "Freebusy Data" folder (MS-OXOPFFB names the class;
	// the create/delete pair per calendar operation is modelled).
	classFreeBusy = "IPM.SchedulePlus.FreeBusy.BinaryData"
)

type folder struct {
	id            string
	ver           uint32
	mb            *mailbox
	parent        *folder
	children      []*folder
	name          string
	class         string
	distinguished string // "" for user folders
	hidden        bool   // outside the IPM subtree (msgfolderroot): Recoverable Items, AllItems…
	items         []*item
	unread        int
	// hierarchy journal positions (SyncFolderHierarchy)
	createdSeq, changedSeq uint64
	// item sync (itemsync.go): the change properties and the tombstones
	commitMax    time.Time
	deletedTotal int64
	tombs        []itemTomb
	tombFloor    uint64
}

func (f *folder) ref() ews.FolderId {
	return ews.FolderId{Id: f.id, ChangeKey: changeKey(0x01, f.id, f.ver)}
}

// touch gives the folder a new change key.
func (f *folder) touch() { f.ver++ }

func (f *folder) isDescendantOf(a *folder) bool {
	for p := f; p != nil; p = p.parent {
		if p == a {
			return true
		}
	}
	return false
}

// path is the display path below msgfolderroot, e.g. "Inbox/Projects".
func (f *folder) path() string {
	var parts []string
	for p := f; p != nil && p != f.mb.msgroot && p != f.mb.root; p = p.parent {
		parts = append([]string{p.name}, parts...)
	}
	return strings.Join(parts, "/")
}

type item struct {
	id       string
	ver      uint32
	folder   *folder
	idx      int // position in folder.items
	class    string
	subject  string
	from     ews.Mailbox
	received time.Time
	read     bool
	flagged  bool
	meeting  *item // a meeting request's calendar item
	answered bool  // a meeting request that was accepted or declined
	// item sync positions (itemsync.go)
	placedSeq, changeSeq, readSeq uint64
}

func (it *item) ref() ews.ItemId {
	return ews.ItemId{Id: it.id, ChangeKey: changeKey(0x09, it.id, it.ver)}
}

// journalEvent is one event in a mailbox's journal; seq numbers start at 1
// and have no gaps.
type journalEvent struct {
	seq         uint64
	ev          ews.Event
	scope       eventScope
	xml         string // the event element without a watermark (streaming), rendered once
	xmlNoUnread string // the same without UnreadCount, when the event has one
}

// eventScope says which subscriptions see an event: Exchange 2013's store
// fires some events only to subscriptions on all folders and others only to
// subscriptions on folder ids (Microsoft's table "Pull notifications for
// EWS deletion-related mailbox events").
type eventScope byte

const (
	scopeBoth    eventScope = iota
	scopeFolders            // subscriptions that name folder ids
	scopeAll                // subscriptions with SubscribeToAllFolders
)

type tombstone struct {
	id                    string
	createdSeq, deletedAt uint64
	under                 []*folder // ancestors at deletion time (for sync scope)
}

type mailbox struct {
	idx     int
	smtp    string
	name    string
	root    *folder
	msgroot *folder
	dist    map[string]*folder
	// hidden folders the events of some profiles name (nil where the
	// profile has none): the AllItems search folder (Exchange 2013 and
	// later) and Freebusy Data.
	allItems, freeBusy *folder

	journal  []journalEvent
	firstSeq uint64 // seq of journal[0]
	nextSeq  uint64
	history  [16]byte // names this event history in watermarks

	hierSeq       uint64
	tombstones    []tombstone
	hierTombFloor uint64 // hierarchy SyncStates before this are refused

	itemSeq uint64 // item sync sequence (itemsync.go)
}

func (mb *mailbox) head() uint64 { return mb.nextSeq - 1 }

// distinguished folders under msgfolderroot, in Outlook's order.
var standardFolders = []struct{ dist, name, class string }{
	{"inbox", "Inbox", "IPF.Note"},
	{"drafts", "Drafts", "IPF.Note"},
	{"sentitems", "Sent Items", "IPF.Note"},
	{"deleteditems", "Deleted Items", "IPF.Note"},
	{"outbox", "Outbox", "IPF.Note"},
	{"junkemail", "Junk Email", "IPF.Note"},
	{"calendar", "Calendar", "IPF.Appointment"},
	{"contacts", "Contacts", "IPF.Contact"},
	{"tasks", "Tasks", "IPF.Task"},
	{"notes", "Notes", "IPF.StickyNote"},
}

// newMailbox builds the standard tree plus a few user folders and items.
func (s *Server) newMailbox(idx int, smtp string) *mailbox {
	mb := &mailbox{idx: idx, smtp: smtp, dist: map[string]*folder{}, firstSeq: 1, nextSeq: 1}
	_, _ = crand.Read(mb.history[:])
	local := smtp
	if i := strings.IndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	if local != "" {
		mb.name = strings.ToUpper(local[:1]) + local[1:]
	}
	mb.root = s.addFolder(mb, nil, "", "", "root")
	mb.msgroot = s.addFolder(mb, mb.root, "Top of Information Store", "IPF.Note", "msgfolderroot")
	for _, sf := range standardFolders {
		s.addFolder(mb, mb.msgroot, sf.name, sf.class, sf.dist)
	}
	// The non-IPM subtree, outside the folders a client shows: Recoverable
	// Items with its Deletions, Versions and Purges (distinguished ids
	// recoverableitems* in types.xsd, Exchange 2010 and later), the search
	// folders root (searchfolders), the AllItems search folder that the
	// Exchange 2013 store reports moves and deletes from (Microsoft's
	// table "Pull notifications for EWS deletion-related mailbox events";
	// it has no distinguished id) and Freebusy Data.
	hide := func(f *folder) *folder { f.hidden = true; return f }
	ri := hide(s.addFolder(mb, mb.root, "Recoverable Items", "", "recoverableitemsroot"))
	hide(s.addFolder(mb, ri, "Deletions", "", "recoverableitemsdeletions"))
	hide(s.addFolder(mb, ri, "Versions", "", "recoverableitemsversions"))
	hide(s.addFolder(mb, ri, "Purges", "", "recoverableitemspurges"))
	hide(s.addFolder(mb, mb.root, "Finder", "", "searchfolders"))
	if s.profile.Store13 {
		mb.allItems = hide(s.addFolder(mb, mb.root, "AllItems", "", ""))
	}
	mb.freeBusy = hide(s.addFolder(mb, mb.root, "Freebusy Data", "", ""))
	inbox := mb.dist["inbox"]
	projects := s.addFolder(mb, inbox, "Projects", "IPF.Note", "")
	s.addFolder(mb, projects, "Alpha", "IPF.Note", "")
	s.addFolder(mb, projects, "Beta", "IPF.Note", "")
	s.addFolder(mb, inbox, "Receipts", "IPF.Note", "")
	archive := s.addFolder(mb, mb.msgroot, "Archive", "IPF.Note", "")
	s.addFolder(mb, archive, "2025", "IPF.Note", "")

	now := s.clock.Now().UTC()
	for i := 0; i < 6; i++ {
		it := s.addItem(inbox, classNote, s.randomSubject(), s.randomSender(), now.Add(-time.Duration(6-i)*time.Hour))
		it.read = i < 4
		if !it.read {
			inbox.unread++
		}
	}
	for i := 0; i < 2; i++ {
		it := s.addItem(projects, classNote, s.randomSubject(), s.randomSender(), now.Add(-time.Duration(30+i)*time.Hour))
		it.read = true
	}
	for i := 0; i < 2; i++ {
		it := s.addItem(mb.dist["sentitems"], classNote, s.randomSubject(), ews.Mailbox{Name: mb.name, EmailAddress: smtp}, now.Add(-time.Duration(20+i)*time.Hour))
		it.read = true
	}
	it := s.addItem(mb.dist["calendar"], classAppointment, "Weekly sync", ews.Mailbox{Name: mb.name, EmailAddress: smtp}, now.Add(-48*time.Hour))
	it.read = true
	// The initial tree is the base state: sync starts after it.
	mb.hierSeq = 0
	for _, f := range s.allFolders(mb) {
		f.createdSeq, f.changedSeq = 0, 0
	}
	return mb
}

func (s *Server) addFolder(mb *mailbox, parent *folder, name, class, dist string) *folder {
	s.idCounter++
	f := &folder{id: s.newID(0x01, mb.idx), mb: mb, parent: parent, name: name, class: class, distinguished: dist}
	mb.hierSeq++
	f.createdSeq, f.changedSeq = mb.hierSeq, mb.hierSeq
	if parent != nil {
		parent.children = append(parent.children, f)
	}
	if dist != "" {
		mb.dist[dist] = f
	}
	s.folders[f.id] = f
	return f
}

func (s *Server) addItem(f *folder, class, subject string, from ews.Mailbox, received time.Time) *item {
	it := &item{id: s.newID(0x02, f.mb.idx), class: class, subject: subject, from: from, received: received}
	s.placeItem(it, f)
	s.items[it.id] = it
	return it
}

func (s *Server) placeItem(it *item, f *folder) {
	it.folder = f
	it.idx = len(f.items)
	f.items = append(f.items, it)
	s.itemPlaced(it)
}

// unplaceItem removes the item from its folder (not from the id index).
func (s *Server) unplaceItem(it *item) {
	f := it.folder
	last := f.items[len(f.items)-1]
	f.items[it.idx] = last
	last.idx = it.idx
	f.items = f.items[:len(f.items)-1]
	if !it.read {
		f.unread--
	}
	s.itemLeft(it, f)
	it.folder = nil
}

// allFolders lists a mailbox's folders depth-first, parents before children.
func (s *Server) allFolders(mb *mailbox) []*folder {
	var out []*folder
	var walk func(f *folder)
	walk = func(f *folder) {
		out = append(out, f)
		for _, c := range f.children {
			walk(c)
		}
	}
	walk(mb.root)
	return out
}

// newID makes an opaque base64 id in the shape of Exchange's: a fixed
// prefix, the kind, the mailbox, a counter and a per-server salt.
func (s *Server) newID(kind byte, mb int) string {
	s.idCounter++
	b := make([]byte, 0, 32)
	b = append(b, 0x00, 0x03, 0x24, kind)
	b = binary.BigEndian.AppendUint16(b, uint16(mb))
	b = binary.BigEndian.AppendUint64(b, s.idCounter)
	b = append(b, s.salt[:]...)
	return base64.StdEncoding.EncodeToString(b)
}

// changeKey is derived from the kind, the id and the object's version, so it
// changes whenever the object changes.
func changeKey(kind byte, id string, ver uint32) string {
	var h uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	b := make([]byte, 0, 12)
	b = append(b, kind, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, ver+1)
	b = binary.LittleEndian.AppendUint32(b, h)
	return base64.StdEncoding.EncodeToString(b)
}

// Watermarks: 29 bytes in the shape of Exchange 2010 and later's
// (Microsoft's push Subscribe sample carries
// "AQAAAOpvG0LURVdOhQkPOWZLPcI8EgAAAAAAAAE=": 4 bytes, a 16-byte GUID, an
// 8-byte counter and a trailing 1). Here: the mailbox index, the GUID of the
// mailbox's event history, the journal sequence number and a 1. A watermark
// of another history (another simulator run, or one from before
// lose-history) names no position in this one: ErrorInvalidWatermark.
func encodeWatermark(mb *mailbox, seq uint64) string {
	b := make([]byte, 0, 29)
	b = binary.LittleEndian.AppendUint32(b, uint32(mb.idx))
	b = append(b, mb.history[:]...)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = append(b, 1)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeWatermark(w string) (mb int, history [16]byte, seq uint64, ok bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(w))
	if err != nil || len(b) != 29 || b[28] != 1 {
		return 0, history, 0, false
	}
	copy(history[:], b[4:20])
	return int(binary.LittleEndian.Uint32(b)), history, binary.LittleEndian.Uint64(b[20:]), true
}

// validWatermark reports whether w names a position this mailbox's journal
// still holds (events after it can be replayed).
func (mb *mailbox) validWatermark(w string) (uint64, bool) {
	idx, hist, seq, ok := decodeWatermark(w)
	if !ok || idx != mb.idx || hist != mb.history || seq > mb.head() || seq+1 < mb.firstSeq {
		return 0, false
	}
	return seq, true
}

// trimmedWatermark reports a watermark of this history whose events the
// bounded journal has dropped.
func (mb *mailbox) trimmedWatermark(w string) bool {
	idx, hist, seq, ok := decodeWatermark(w)
	return ok && idx == mb.idx && hist == mb.history && seq+1 < mb.firstSeq
}

// newHistory starts a new event history: every earlier watermark becomes
// invalid.
func (mb *mailbox) newHistory() {
	_, _ = crand.Read(mb.history[:])
	mb.journal = nil
	mb.firstSeq = mb.nextSeq
}

// SyncState for SyncFolderHierarchy.
// A hierarchy SyncState names the simulator process it came from (its
// random run id), the mailbox and a position in its hierarchy changes: the
// store lives as long as the process, so another process refuses the state
// (ErrorInvalidSyncStateData), as Exchange refuses a state it cannot read.
func encodeSyncState(run [4]byte, mb int, seq uint64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("ewsmon-sim:%x:%d:%d", run, mb, seq)))
}

func decodeSyncState(run [4]byte, st string) (mb int, seq uint64, ok bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st))
	if err != nil {
		return 0, 0, false
	}
	var r string
	if _, err := fmt.Sscanf(strings.ReplaceAll(string(b), ":", " "), "ewsmon-sim %s %d %d", &r, &mb, &seq); err != nil || r != fmt.Sprintf("%x", run) {
		return 0, 0, false
	}
	return mb, seq, true
}

// maxJournal bounds each mailbox's journal; older events are dropped and a
// subscription that had not read them gets ErrorMissedNotificationEvents.
const maxJournal = 200000

// appendEvent adds an event to the journal and wakes the subscriptions that
// want it. It returns the event as stored, with its watermark.
func (s *Server) appendEvent(mb *mailbox, ev ews.Event, scope eventScope) ews.Event {
	if ev.TimeStamp.IsZero() {
		ev.TimeStamp = s.clock.Now().UTC().Truncate(time.Second)
	}
	seq := mb.nextSeq
	mb.nextSeq++
	var x strings.Builder
	eventXML(&x, ev, "")
	je := journalEvent{seq: seq, ev: ev, scope: scope, xml: x.String()}
	if ev.UnreadCount != nil {
		var y strings.Builder
		nu := ev
		nu.UnreadCount = nil
		eventXML(&y, nu, "")
		je.xmlNoUnread = y.String()
	}
	mb.journal = append(mb.journal, je)
	if len(mb.journal) > s.journalMax {
		drop := len(mb.journal) - s.journalMax/2
		mb.journal = append([]journalEvent(nil), mb.journal[drop:]...)
		mb.firstSeq = mb.journal[0].seq
	}
	for _, sub := range s.subs {
		if sub.mb == mb && sub.wants(&je) {
			sub.wake()
		}
	}
	ev.Watermark = encodeWatermark(mb, seq)
	return ev
}

// eventsAfter returns up to max journal events after pos that sub wants, and
// the position to continue from (the last event scanned). more reports
// whether wanted events remain.
func (mb *mailbox) eventsAfter(pos uint64, max int, want func(*journalEvent) bool) (evs []journalEvent, next uint64, more bool) {
	next = pos
	if pos+1 < mb.firstSeq {
		pos = mb.firstSeq - 1
	}
	start := int(pos + 1 - mb.firstSeq)
	for i := start; i < len(mb.journal); i++ {
		je := mb.journal[i]
		if !want(&je) {
			next = je.seq
			continue
		}
		if len(evs) == max {
			more = true
			break
		}
		evs = append(evs, je)
		next = je.seq
	}
	return evs, next, more
}

// hierarchyChanged records a folder create/update for SyncFolderHierarchy.
func (mb *mailbox) hierarchyChanged(f *folder, created bool) {
	mb.hierSeq++
	if created {
		f.createdSeq = mb.hierSeq
	}
	f.changedSeq = mb.hierSeq
}
