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
// document order. A saved HTTP message (start line and headers before the
// XML) is accepted too. Input that is not XML or is cut off returns a
// *DecodeError with the byte offset; the records before it have been
// emitted.
func Decode(r io.Reader, emit func(Record)) error {
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
			emit(ErrorRecord(env.Fault))
		}
		walkRecords(env.Body, emit)
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

// walkRecords emits the records of an envelope body in document order.
func walkRecords(n *node, emit func(Record)) {
	if n == nil || !isEWS(n.Space) {
		return
	}
	switch {
	case n.attr("ResponseClass") == "Error":
		emit(ErrorRecord(messageError("", n)))
		if cs := n.text("ConnectionStatus"); cs != "" {
			emit(Record{Type: "ConnectionStatus", Status: cs})
		}
		return
	case n.Local == "Notification":
		for _, e := range parseNotification(n).Events {
			emit(EventRecord(e))
		}
		return
	case n.Local == "ConnectionStatus":
		emit(Record{Type: "ConnectionStatus", Status: strings.TrimSpace(n.Text)})
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
