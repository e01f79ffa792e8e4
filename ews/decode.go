package ews

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http/httputil"
	"strings"
)

// Decode reads saved EWS XML — one response, a whole GetStreamingEvents
// body with many envelopes, a push SendNotification request, or a SOAP
// fault — and emits one Record per event, connection status and error, in
// document order; a response (or request) that carries no events is one
// "Response" (or "Request") line, followed by a line for each folder,
// folder change or item it holds. A saved HTTP message (start line and
// headers before the XML) is accepted too. Input that is not XML or is cut
// off returns a *DecodeError with the byte offset; the records before it
// have been emitted.
func Decode(r io.Reader, emit func(Record)) error {
	return DecodeAll(r, func(d Decoded) { emit(d.Record) })
}

// Decoded is one line of Decode with the typed value it came from, for a
// caller that groups the events or names the folders (ewsmon decode).
type Decoded struct {
	Record Record
	Event  *Event                     // an event
	Sync   *SyncFolderHierarchyResult // a SyncFolderHierarchy Response (its changes follow as FolderChange lines)
	Folder *Folder                    // a Folder line (GetFolder and other folder operations)
	Item   *Item                      // an Item line (GetItem)
}

// DecodeAll is Decode with the typed values.
func DecodeAll(r io.Reader, emit func(Decoded)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); len(head) == 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
		return &DecodeError{Offset: 0, Err: errUTF16}
	}
	skipped, chunked, err := skipHTTPHead(br)
	if err != nil {
		return &DecodeError{Offset: skipped, Err: err}
	}
	var body io.Reader = br
	if chunked {
		// A saved raw streaming response keeps its chunk-size lines;
		// offsets are then counted in the de-chunked body.
		body = cutIsEOF{httputil.NewChunkedReader(br)}
	}
	er := newElementReader(body, DefaultMaxEnvelope)
	for {
		root, err := er.next()
		if err == io.EOF {
			if !er.seen {
				return &DecodeError{Offset: skipped + er.Offset(), Err: errNoEnvelope}
			}
			return nil
		}
		if err != nil {
			return &DecodeError{Offset: skipped + er.Offset(), Err: err}
		}
		env, err := parseEnvelope(root)
		if err != nil {
			return &DecodeError{Offset: skipped + er.Offset(), Err: err}
		}
		if env.Fault != nil {
			emit(Decoded{Record: ErrorRecord(env.Fault)})
		}
		decodeBody(env.Body, emit)
	}
}

// cutIsEOF ends a chunked body that is cut off like any other input that
// ends early, so that the complete envelopes before are still decoded and
// the error says "cut off".
type cutIsEOF struct{ r io.Reader }

func (c cutIsEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// errUTF16 is a UTF-16 file, as Windows PowerShell's Out-File writes.
var errUTF16 = errors.New("the input is UTF-16; EWS XML is read as UTF-8 (convert it, e.g. iconv -f UTF-16 -t UTF-8)")

// skipHTTPHead skips an HTTP start line and headers ("POST … HTTP/1.1",
// "HTTP/1.1 200 OK") up to the first '<' at the start of a line, or up to
// the blank line after the headers when they say Transfer-Encoding: chunked
// (then chunked is true and the body is still chunk-encoded).
func skipHTTPHead(br *bufio.Reader) (n int64, chunked bool, err error) {
	head, _ := br.Peek(8)
	s := string(head)
	if !strings.HasPrefix(s, "HTTP/") && !strings.HasPrefix(s, "POST ") {
		return 0, false, nil
	}
	for {
		line, err := br.ReadSlice('\n')
		n += int64(len(line))
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return n, false, errNoEnvelope
			}
			return n, false, err
		}
		trimmed := bytes.TrimSpace(line)
		if name, value, ok := bytes.Cut(trimmed, []byte(":")); ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Transfer-Encoding")) &&
			bytes.Contains(bytes.ToLower(value), []byte("chunked")) {
			chunked = true
		}
		if chunked && len(trimmed) == 0 {
			return n, true, nil
		}
		next, _ := br.Peek(1)
		if len(next) == 1 && next[0] == '<' {
			return n, false, nil
		}
		if len(trimmed) == 0 && len(next) == 0 {
			return n, false, errNoEnvelope
		}
	}
}

// decodeBody emits the lines of an envelope's body: the messages of a
// response, the events of a request that carries them (SendNotification),
// else one line naming the request.
func decodeBody(b *node, emit func(Decoded)) {
	if b == nil {
		return
	}
	if b.Space == "" {
		// Microsoft's own push Subscribe sample puts the operation in no
		// namespace; a server would refuse it, but it is still a request.
		emit(Decoded{Record: Record{Type: "Request", Operation: b.Local}})
		return
	}
	if !isEWS(b.Space) {
		return
	}
	if op, ok := strings.CutSuffix(b.Local, "Response"); ok && op != "" && b.Child("ResponseMessages") != nil {
		for _, m := range b.Child("ResponseMessages").Kids {
			if isEWS(m.Space) {
				decodeMessage(op, m, emit)
			}
		}
		return
	}
	if b.Local == "SendNotificationResult" {
		// A push listener's answer: keep (OK) or end (Unsubscribe) the
		// subscription.
		emit(Decoded{Record: Record{Type: "Response", Operation: "SendNotification", Status: b.ChildText("SubscriptionStatus")}})
		return
	}
	n := 0
	walkRecords(b, func(d Decoded) { n++; emit(d) })
	if n == 0 && b.Space == NSMessages {
		emit(Decoded{Record: Record{Type: "Request", Operation: b.Local}})
	}
}

// decodeMessage emits the lines of one m:…ResponseMessage of operation op.
func decodeMessage(op string, m *node, emit func(Decoded)) {
	if e := messageError(op, m); e != nil {
		rec := ErrorRecord(e)
		rec.Operation = op
		emit(Decoded{Record: rec})
		if cs := m.ChildText("ConnectionStatus"); cs != "" {
			emit(Decoded{Record: Record{Type: "ConnectionStatus", Status: cs}})
		}
		return
	}
	resp := Record{Type: "Response", Operation: op, ResponseCode: m.ChildText("ResponseCode")}
	switch {
	case op == "Subscribe":
		resp.SubscriptionId, resp.Watermark = m.ChildText("SubscriptionId"), m.ChildText("Watermark")
		emit(Decoded{Record: resp})
	case op == "SyncFolderHierarchy":
		decodeSyncFolderHierarchy(m, resp, emit)
	case m.Child("Folders") != nil:
		kids := ewsElements(m.Child("Folders"))
		n := len(kids)
		resp.Folders = &n
		emit(Decoded{Record: resp})
		for _, k := range kids {
			f := parseFolder(k)
			emit(Decoded{Record: folderRecord(f, k), Folder: &f})
		}
	case m.Child("Items") != nil:
		kids := ewsElements(m.Child("Items"))
		n := len(kids)
		resp.Items = &n
		emit(Decoded{Record: resp})
		for _, k := range kids {
			it := parseItem(k)
			emit(Decoded{Record: ItemRecord(it), Item: &it})
		}
	default:
		// Event-carrying answers (GetEvents, GetStreamingEvents) say enough
		// with their events and connection status; others get their line.
		n := 0
		walkRecords(m, func(d Decoded) { n++; emit(d) })
		if n == 0 {
			if nt := m.Child("Notification"); nt != nil {
				resp.SubscriptionId = nt.ChildText("SubscriptionId")
			}
			emit(Decoded{Record: resp})
		}
	}
}

// ewsElements are n's children in an EWS namespace.
func ewsElements(n *node) []*node {
	var out []*node
	for _, k := range n.Elements() {
		if isEWS(k.Space) {
			out = append(out, k)
		}
	}
	return out
}

// decodeSyncFolderHierarchy emits a SyncFolderHierarchy answer: its
// Response line with the change counts, then one FolderChange per change.
func decodeSyncFolderHierarchy(m *node, resp Record, emit func(Decoded)) {
	res := &SyncFolderHierarchyResult{SyncState: m.ChildText("SyncState"), IncludesLastFolderInRange: parseBool(m.ChildText("IncludesLastFolderInRange"))}
	var nodes []*node
	eachFolderChange(m, func(ch FolderChange, f *node) {
		res.Changes = append(res.Changes, ch)
		nodes = append(nodes, f)
	})
	var counts [3]int
	for _, ch := range res.Changes {
		switch ch.Kind {
		case ChangeCreate:
			counts[0]++
		case ChangeUpdate:
			counts[1]++
		case ChangeDelete:
			counts[2]++
		}
	}
	last := res.IncludesLastFolderInRange
	resp.SyncState, resp.IncludesLastFolderInRange = res.SyncState, &last
	resp.Creates, resp.Updates, resp.Deletes = &counts[0], &counts[1], &counts[2]
	emit(Decoded{Record: resp, Sync: res})
	for i, ch := range res.Changes {
		rec := Record{Type: "FolderChange", Change: string(ch.Kind), FolderId: ch.Folder.FolderId.Id}
		if ch.Kind != ChangeDelete {
			rec = folderRecord(ch.Folder, nodes[i])
			rec.Type, rec.Change = "FolderChange", string(ch.Kind)
		}
		emit(Decoded{Record: rec})
	}
}

// eachFolderChange calls fn for each t:Create, t:Update and t:Delete under
// a SyncFolderHierarchy message's Changes, with the folder element (nil for
// a Delete).
func eachFolderChange(m *node, fn func(FolderChange, *node)) {
	for _, ch := range m.Child("Changes").Elements() {
		if !isEWS(ch.Space) {
			continue
		}
		kind := ChangeKind(ch.Local)
		switch kind {
		case ChangeCreate, ChangeUpdate:
			for _, f := range ch.Kids {
				if isEWS(f.Space) && strings.HasSuffix(f.Local, "Folder") {
					fn(FolderChange{Kind: kind, Folder: parseFolder(f)}, f)
				}
			}
		case ChangeDelete:
			fn(FolderChange{Kind: kind, Folder: Folder{FolderId: folderIdOf(ch.Child("FolderId"))}}, nil)
		}
	}
}

// folderRecord is a "Folder" line; counts only where the response has them
// (a GetFolder of the IdOnly shape has none).
func folderRecord(f Folder, n *node) Record {
	r := Record{
		Type:           "Folder",
		FolderId:       f.FolderId.Id,
		ParentFolderId: f.ParentFolderId.Id,
		FolderName:     f.DisplayName,
		FolderClass:    f.FolderClass,
	}
	if n.Child("UnreadCount") != nil {
		r.UnreadCount = &f.UnreadCount
	}
	if n.Child("TotalCount") != nil {
		r.TotalCount = &f.TotalCount
	}
	if n.Child("ChildFolderCount") != nil {
		r.ChildFolderCount = &f.ChildFolderCount
	}
	return r
}

// walkRecords emits the events, connection statuses and errors under n in
// document order.
func walkRecords(n *node, emit func(Decoded)) {
	if n == nil || !isEWS(n.Space) {
		return
	}
	switch {
	case n.Attribute("ResponseClass") == "Error":
		emit(Decoded{Record: ErrorRecord(messageError("", n))})
		if cs := n.ChildText("ConnectionStatus"); cs != "" {
			emit(Decoded{Record: Record{Type: "ConnectionStatus", Status: cs}})
		}
		return
	case n.Local == "Notification":
		for _, e := range parseNotification(n).Events {
			emit(Decoded{Record: EventRecord(e), Event: &e})
		}
		return
	case n.Local == "ConnectionStatus":
		emit(Decoded{Record: Record{Type: "ConnectionStatus", Status: strings.TrimSpace(n.Text)}})
		return
	}
	for _, k := range n.Kids {
		walkRecords(k, emit)
	}
}

// ErrorRecord is the JSON form of an EWS error.
func ErrorRecord(e *ResponseError) Record {
	r := Record{Type: "Error", ErrorCode: e.Code, Message: e.Message, SubscriptionIds: e.SubscriptionIds}
	if e.BackOff > 0 {
		ms := e.BackOff.Milliseconds()
		r.BackOffMs = &ms
	}
	return r
}
