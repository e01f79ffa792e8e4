package sim

import (
	"encoding/base64"
	"encoding/binary"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Item-level change tracking: what SyncFolderItems reports and what the two
// folder change properties (PR_LOCAL_COMMIT_TIME_MAX, PR_DELETED_COUNT_TOTAL)
// say. All of it is guarded by Server.mu.
//
// Every change to an item in a folder takes the next number of the
// mailbox's item sequence: the item remembers when it was placed in its
// folder (created, copied or moved in), when its content last changed and
// when its read flag last changed; a folder keeps a tombstone for each item
// that left it. A SyncState is a position in that sequence, so "what changed
// since" is a scan of the folder's items and tombstones — the shape of
// Exchange's ICS, modelled: Microsoft documents the operation
// (learn.microsoft.com/exchange/client-developer/web-service-reference/
// syncfolderitems-operation), not how the store keeps its state.

// itemTomb records an item that left a folder.
type itemTomb struct {
	id                 string
	placedSeq, leftSeq uint64
}

// maxItemTombs bounds each folder's tombstones; a SyncState older than the
// newest dropped one is refused with ErrorInvalidSyncStateData.
const maxItemTombs = 20000

// nextItemSeq advances the mailbox's item sequence.
func (mb *mailbox) nextItemSeq() uint64 {
	mb.itemSeq++
	return mb.itemSeq
}

// committed records a change to f's contents for PR_LOCAL_COMMIT_TIME_MAX:
// the time of the newest change, strictly increasing so that two changes in
// the same clock tick still differ (Exchange keeps FILETIMEs, 100 ns).
func (s *Server) committed(f *folder) {
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	if !now.After(f.commitMax) {
		now = f.commitMax.Add(time.Microsecond)
	}
	f.commitMax = now
}

// itemPlaced notes an item arriving in its folder.
func (s *Server) itemPlaced(it *item) {
	it.placedSeq = it.folder.mb.nextItemSeq()
	it.changeSeq, it.readSeq = 0, 0
	s.committed(it.folder)
}

// itemLeft notes an item leaving folder f (moved out or deleted).
func (s *Server) itemLeft(it *item, f *folder) {
	f.tombs = append(f.tombs, itemTomb{id: it.id, placedSeq: it.placedSeq, leftSeq: f.mb.nextItemSeq()})
	if len(f.tombs) > maxItemTombs {
		drop := len(f.tombs) - maxItemTombs/2
		f.tombFloor = f.tombs[drop-1].leftSeq
		f.tombs = append([]itemTomb(nil), f.tombs[drop:]...)
	}
	f.deletedTotal++
}

// itemChanged notes a change of an item in place: its read flag only
// (ReadFlagChange) or its content (Update).
func (s *Server) itemChanged(it *item, readOnly bool) {
	seq := it.folder.mb.nextItemSeq()
	if readOnly {
		it.readSeq = seq
	} else {
		it.changeSeq = seq
	}
	s.committed(it.folder)
}

// Item SyncStates name the server run, the folder and a position.
func (s *Server) encodeItemSyncState(f *folder, seq uint64) string {
	b := []byte("ewsmon-sim-items:")
	b = append(b, s.run[:]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, f.id...)
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) decodeItemSyncState(st string, f *folder) (uint64, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st))
	const prefix = "ewsmon-sim-items:"
	if err != nil || len(b) < len(prefix)+len(s.run)+8 || string(b[:len(prefix)]) != prefix {
		return 0, false
	}
	b = b[len(prefix):]
	if string(b[:len(s.run)]) != string(s.run[:]) {
		return 0, false
	}
	b = b[len(s.run):]
	seq := binary.BigEndian.Uint64(b)
	if string(b[8:]) != f.id || seq > f.mb.itemSeq || seq < f.tombFloor {
		return 0, false
	}
	return seq, true
}

// itemSyncChange is one change SyncFolderItems reports.
type itemSyncChange struct {
	seq  uint64
	kind string // Create, Update, Delete, ReadFlagChange
	it   *item  // nil for Delete
	id   string // Delete
}

// itemChangesSince lists f's changes after seq, oldest first: an item placed
// since is a Create (carrying its current state), one changed since an
// Update or (read flag only) a ReadFlagChange, one that left a Delete.
func itemChangesSince(f *folder, seq uint64, initial bool) []itemSyncChange {
	var out []itemSyncChange
	for _, it := range f.items {
		switch {
		case initial || it.placedSeq > seq:
			out = append(out, itemSyncChange{seq: it.placedSeq, kind: "Create", it: it})
		case it.changeSeq > seq:
			out = append(out, itemSyncChange{seq: max(it.changeSeq, it.readSeq), kind: "Update", it: it})
		case it.readSeq > seq:
			out = append(out, itemSyncChange{seq: it.readSeq, kind: "ReadFlagChange", it: it})
		}
	}
	if !initial {
		for _, t := range f.tombs {
			if t.leftSeq > seq && t.placedSeq <= seq {
				out = append(out, itemSyncChange{seq: t.leftSeq, kind: "Delete", id: t.id})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// syncItemXML is an item with the IdOnly shape plus ItemClass and Subject
// (what SyncFolderItems returns; it never returns bodies).
func syncItemXML(b *strings.Builder, it *item) {
	el := itemElement(it.class)
	b.WriteString(`<t:` + el + `>`)
	b.WriteString(itemIdXML("ItemId", it.ref()))
	b.WriteString(`<t:ItemClass>` + esc(it.class) + `</t:ItemClass>`)
	b.WriteString(`<t:Subject>` + esc(it.subject) + `</t:Subject>`)
	b.WriteString(`</t:` + el + `>`)
}

// syncFolderItems reports one folder's item changes since a SyncState, at
// most MaxChangesReturned (1..512) per call.
func (c *call) syncFolderItems() {
	refs := folderRefs(c.op.Child("SyncFolderId"))
	maxText := strings.TrimSpace(c.op.ChildText("MaxChangesReturned"))
	maxN, err := strconv.Atoi(maxText)
	if len(refs) != 1 || err != nil || maxN < 1 || maxN > 512 {
		c.schema("SyncFolderItems needs ItemShape, a SyncFolderId with one folder and MaxChangesReturned from 1 to 512.")
		return
	}
	s := c.s
	s.mu.Lock()
	f, e := c.resolveFolder(refs[0])
	if e != nil {
		s.mu.Unlock()
		if e.Code == "ErrorFolderNotFound" {
			e = &ewsError{Code: "ErrorSyncFolderNotFound", Text: "The folder to synchronize was not found."}
		}
		c.replyErr(e)
		return
	}
	var since uint64
	initial := true
	if st := c.op.ChildText("SyncState"); st != "" {
		seq, ok := s.decodeItemSyncState(st, f)
		if !ok {
			s.mu.Unlock()
			c.replyErr(newErr("ErrorInvalidSyncStateData"))
			return
		}
		since, initial = seq, false
	}
	changes := itemChangesSince(f, since, initial)
	last := true
	next := f.mb.itemSeq
	if len(changes) > maxN {
		changes, last = changes[:maxN], false
		next = changes[maxN-1].seq
	}
	var b strings.Builder
	b.WriteString(`<m:SyncState>` + s.encodeItemSyncState(f, next) + `</m:SyncState><m:IncludesLastItemInRange>` + strconv.FormatBool(last) + `</m:IncludesLastItemInRange><m:Changes>`)
	for _, ch := range changes {
		switch ch.kind {
		case "Create", "Update":
			b.WriteString(`<t:` + ch.kind + `>`)
			syncItemXML(&b, ch.it)
			b.WriteString(`</t:` + ch.kind + `>`)
		case "ReadFlagChange":
			b.WriteString(`<t:ReadFlagChange>` + itemIdXML("ItemId", ch.it.ref()) + `<t:IsRead>` + strconv.FormatBool(ch.it.read) + `</t:IsRead></t:ReadFlagChange>`)
		case "Delete":
			b.WriteString(`<t:Delete><t:ItemId Id="` + esc(ch.id) + `"/></t:Delete>`)
		}
	}
	b.WriteString(`</m:Changes>`)
	msg := c.ok(b.String())
	s.mu.Unlock()
	c.reply(msg)
}

// wantsChangeMarks reports whether a GetFolder shape asks for the two
// change properties (by PropertyTag, in any of its spellings).
func wantsChangeMarks(shape *xnode) bool {
	props := shape.Child("AdditionalProperties")
	if props == nil {
		return false
	}
	for _, k := range props.Children("ExtendedFieldURI") {
		switch strings.ToLower(k.Attribute("PropertyTag")) {
		case "0x670a", "0x670b", "0x670a0040", "0x670b0003", "26378", "26379":
			return true
		}
	}
	return false
}

// changeMarkXML renders the two change properties as t:ExtendedProperty.
func changeMarkXML(b *strings.Builder, f *folder) {
	t := f.commitMax
	if t.IsZero() {
		t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	b.WriteString(`<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x670a" PropertyType="SystemTime"/><t:Value>` + t.UTC().Format("2006-01-02T15:04:05.000000Z") + `</t:Value></t:ExtendedProperty>`)
	b.WriteString(`<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x670b" PropertyType="Integer"/><t:Value>` + strconv.FormatInt(f.deletedTotal, 10) + `</t:Value></t:ExtendedProperty>`)
}
