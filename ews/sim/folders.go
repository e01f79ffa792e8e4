package sim

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// GetFolder, FindFolder, GetItem and SyncFolderHierarchy.

// folderRefs returns the FolderId / DistinguishedFolderId children of n in
// document order.
func folderRefs(n *xnode) []*xnode {
	var out []*xnode
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Is("FolderId") || k.Is("DistinguishedFolderId") {
			out = append(out, k)
		}
	}
	return out
}

// resolveFolder finds the folder a t:FolderId or t:DistinguishedFolderId
// names. Caller holds s.mu.
func (c *call) resolveFolder(ref *xnode) (*folder, *ewsError) {
	s := c.s
	if ref.Is("FolderId") {
		id := ref.Attribute("Id")
		if f := s.folders[id]; f != nil {
			return f, nil
		}
		if _, err := base64.StdEncoding.DecodeString(id); err != nil || id == "" {
			return nil, newErr("ErrorInvalidIdMalformed")
		}
		return nil, newErr("ErrorFolderNotFound")
	}
	mb := c.acting
	if m := ref.Child("Mailbox"); m != nil {
		addr := m.ChildText("EmailAddress")
		mb = s.byAddr[strings.ToLower(addr)]
		if mb == nil {
			return nil, &ewsError{Code: "ErrorNonExistentMailbox", Text: "No mailbox with such SMTP address: " + addr + "."}
		}
	}
	f := mb.dist[strings.ToLower(ref.Attribute("Id"))]
	if f == nil {
		return nil, &ewsError{Code: "ErrorFolderNotFound", Text: "The distinguished folder " + ref.Attribute("Id") + " does not exist in the ewsmon simulator."}
	}
	return f, nil
}

// folderXML renders a folder with the Default shape plus counts. Calendar and
// contacts folders have no UnreadCount in the schema.
func folderXML(b *strings.Builder, f *folder, marks bool) {
	el := "Folder"
	switch f.class {
	case "IPF.Appointment":
		el = "CalendarFolder"
	case "IPF.Contact":
		el = "ContactsFolder"
	case "IPF.Task":
		el = "TasksFolder"
	}
	b.WriteString(`<t:` + el + `>`)
	b.WriteString(folderIdXML("FolderId", f.ref()))
	if f.parent != nil {
		b.WriteString(folderIdXML("ParentFolderId", f.parent.ref()))
	}
	if f.class != "" {
		b.WriteString(`<t:FolderClass>` + esc(f.class) + `</t:FolderClass>`)
	}
	b.WriteString(`<t:DisplayName>` + esc(f.name) + `</t:DisplayName>`)
	b.WriteString(`<t:TotalCount>` + strconv.Itoa(len(f.items)) + `</t:TotalCount>`)
	b.WriteString(`<t:ChildFolderCount>` + strconv.Itoa(len(f.children)) + `</t:ChildFolderCount>`)
	if marks {
		changeMarkXML(b, f)
	}
	if el == "Folder" || el == "TasksFolder" {
		b.WriteString(`<t:UnreadCount>` + strconv.Itoa(f.unread) + `</t:UnreadCount>`)
	}
	b.WriteString(`</t:` + el + `>`)
}

func (c *call) getFolder() {
	refs := folderRefs(c.op.Child("FolderIds"))
	if len(refs) == 0 {
		c.schema("GetFolder needs FolderIds with at least one FolderId or DistinguishedFolderId.")
		return
	}
	marks := wantsChangeMarks(c.op.Child("FolderShape"))
	s := c.s
	s.mu.Lock()
	msgs := make([]string, 0, len(refs))
	for _, ref := range refs {
		f, e := c.resolveFolder(ref)
		if e != nil {
			msgs = append(msgs, c.fail(e))
			continue
		}
		var b strings.Builder
		b.WriteString(`<m:Folders>`)
		folderXML(&b, f, marks)
		b.WriteString(`</m:Folders>`)
		msgs = append(msgs, c.ok(b.String()))
	}
	s.mu.Unlock()
	c.reply(msgs...)
}

func (c *call) findFolder() {
	refs := folderRefs(c.op.Child("ParentFolderIds"))
	if len(refs) == 0 {
		c.schema("FindFolder needs ParentFolderIds with at least one folder.")
		return
	}
	deep := strings.EqualFold(c.op.Attribute("Traversal"), "Deep")
	offset, max := 0, -1
	if v := c.op.Child("IndexedPageFolderView"); v != nil {
		if n, err := strconv.Atoi(v.Attribute("Offset")); err == nil && n >= 0 {
			offset = n
		}
		if n, err := strconv.Atoi(v.Attribute("MaxEntriesReturned")); err == nil && n > 0 {
			max = n
		}
		if strings.EqualFold(v.Attribute("BasePoint"), "End") {
			offset = -offset - 1 // resolved below
		}
	}
	s := c.s
	s.mu.Lock()
	msgs := make([]string, 0, len(refs))
	for _, ref := range refs {
		f, e := c.resolveFolder(ref)
		if e != nil {
			msgs = append(msgs, c.fail(e))
			continue
		}
		var found []*folder
		var walk func(p *folder)
		walk = func(p *folder) {
			for _, ch := range p.children {
				found = append(found, ch)
				if deep {
					walk(ch)
				}
			}
		}
		walk(f)
		total := len(found)
		start := offset
		if start < 0 {
			start = total + start + 1 - max
			if max < 0 || start < 0 {
				start = 0
			}
		}
		if start > total {
			start = total
		}
		end := total
		if max >= 0 && start+max < total {
			end = start + max
		}
		var b strings.Builder
		b.WriteString(`<m:RootFolder IndexedPagingOffset="` + strconv.Itoa(end) + `" TotalItemsInView="` + strconv.Itoa(total) + `" IncludesLastItemInRange="` + strconv.FormatBool(end == total) + `"><t:Folders>`)
		for _, ch := range found[start:end] {
			folderXML(&b, ch, false)
		}
		b.WriteString(`</t:Folders></m:RootFolder>`)
		msgs = append(msgs, c.ok(b.String()))
	}
	s.mu.Unlock()
	c.reply(msgs...)
}

// itemElement is the types.xsd element for an item class.
func itemElement(class string) string {
	switch class {
	case classMeetingRequest:
		return "MeetingRequest"
	case classResponsePos, classResponseNeg:
		return "MeetingResponse"
	case classAppointment:
		return "CalendarItem"
	case classFreeBusy:
		return "Item"
	}
	return "Message"
}

// itemXML renders an item: t:Message, t:MeetingRequest or t:CalendarItem.
func itemXML(b *strings.Builder, it *item) {
	el := itemElement(it.class)
	b.WriteString(`<t:` + el + `>`)
	b.WriteString(itemIdXML("ItemId", it.ref()))
	b.WriteString(folderIdXML("ParentFolderId", it.folder.ref()))
	b.WriteString(`<t:ItemClass>` + esc(it.class) + `</t:ItemClass>`)
	b.WriteString(`<t:Subject>` + esc(it.subject) + `</t:Subject>`)
	b.WriteString(`<t:DateTimeReceived>` + xmlTime(it.received) + `</t:DateTimeReceived>`)
	b.WriteString(`<t:Size>` + strconv.Itoa(1024+len(it.subject)*16) + `</t:Size>`)
	b.WriteString(`<t:DateTimeSent>` + xmlTime(it.received) + `</t:DateTimeSent>`)
	b.WriteString(`<t:DateTimeCreated>` + xmlTime(it.received) + `</t:DateTimeCreated>`)
	if el != "CalendarItem" && el != "Item" {
		b.WriteString(`<t:From><t:Mailbox><t:Name>` + esc(it.from.Name) + `</t:Name><t:EmailAddress>` + esc(it.from.EmailAddress) + `</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:From>`)
		b.WriteString(`<t:IsRead>` + strconv.FormatBool(it.read) + `</t:IsRead>`)
	}
	b.WriteString(`</t:` + el + `>`)
}

func (c *call) getItem() {
	ids := c.op.Child("ItemIds")
	var refs []*xnode
	if ids != nil {
		for _, k := range ids.Kids {
			if k.Is("ItemId") {
				refs = append(refs, k)
			}
		}
	}
	if len(refs) == 0 {
		c.schema("GetItem needs ItemIds with at least one ItemId.")
		return
	}
	s := c.s
	s.mu.Lock()
	msgs := make([]string, 0, len(refs))
	for _, ref := range refs {
		id := ref.Attribute("Id")
		it := s.items[id]
		if it == nil || it.folder == nil {
			// The schema wants an (empty) m:Items even in an error.
			e := newErr("ErrorItemNotFound")
			if _, err := base64.StdEncoding.DecodeString(id); err != nil || id == "" {
				e = newErr("ErrorInvalidIdMalformed")
			}
			msgs = append(msgs, errMsg(c.op.Local, e, `<m:Items/>`))
			continue
		}
		var b strings.Builder
		b.WriteString(`<m:Items>`)
		itemXML(&b, it)
		b.WriteString(`</m:Items>`)
		msgs = append(msgs, c.ok(b.String()))
	}
	s.mu.Unlock()
	c.reply(msgs...)
}

// syncFolderHierarchy reports folder creates, updates and deletes since a
// SyncState, below SyncFolderId (default: the whole mailbox from root).
func (c *call) syncFolderHierarchy() {
	s := c.s
	s.mu.Lock()
	base := c.acting.root
	if sf := c.op.Child("SyncFolderId"); sf != nil {
		refs := folderRefs(sf)
		if len(refs) != 1 {
			s.mu.Unlock()
			c.schema("SyncFolderId must hold one FolderId or DistinguishedFolderId.")
			return
		}
		f, e := c.resolveFolder(refs[0])
		if e != nil {
			s.mu.Unlock()
			c.replyErr(e)
			return
		}
		base = f
	}
	mb := base.mb
	var since uint64
	initial := true
	if st := c.op.ChildText("SyncState"); st != "" {
		idx, seq, ok := decodeSyncState(s.run, st)
		if !ok || idx != mb.idx || seq > mb.hierSeq || seq < mb.hierTombFloor {
			s.mu.Unlock()
			c.replyErr(newErr("ErrorInvalidSyncStateData"))
			return
		}
		since, initial = seq, false
	}
	var b strings.Builder
	b.WriteString(`<m:SyncState>` + encodeSyncState(s.run, mb.idx, mb.hierSeq) + `</m:SyncState><m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange><m:Changes>`)
	var walk func(p *folder)
	walk = func(p *folder) {
		for _, f := range p.children {
			if f.hidden {
				// Modelled: the simulator syncs the IPM subtree (what
				// Outlook shows); GetFolder still answers for hidden ones.
				continue
			}
			switch {
			case initial || f.createdSeq > since:
				b.WriteString(`<t:Create>`)
				folderXML(&b, f, false)
				b.WriteString(`</t:Create>`)
			case f.changedSeq > since:
				b.WriteString(`<t:Update>`)
				folderXML(&b, f, false)
				b.WriteString(`</t:Update>`)
			}
			walk(f)
		}
	}
	walk(base)
	if !initial {
		for _, t := range mb.tombstones {
			if t.deletedAt <= since || t.createdSeq > since {
				continue
			}
			inScope := false
			for _, a := range t.under {
				if a == base {
					inScope = true
				}
			}
			if inScope {
				b.WriteString(`<t:Delete><t:FolderId Id="` + esc(t.id) + `"/></t:Delete>`)
			}
		}
	}
	b.WriteString(`</m:Changes>`)
	msg := c.ok(b.String())
	s.mu.Unlock()
	c.reply(msg)
}
