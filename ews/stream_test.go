package ews

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// stream-mixed.xml is one GetStreamingEvents body of three envelopes in the
// three shapes servers send: an unprefixed <Envelope xmlns=…> with
// ConnectionStatus OK (real Exchange), Microsoft's published s:-prefixed
// envelope with m:Notification, and an unprefixed envelope with a
// default-namespace response, a t:Notification, an error with
// ErrorSubscriptionIds and ConnectionStatus Closed.
func mixedStream(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/stream-mixed.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantMixed() []*StreamMessage {
	const sub = "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag="
	item := ItemId{Id: "AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+MVIvofglBwDZGACZQpSgSpyNkexYe2b7AAAAAAENAADZGACZQpSgSpyNkexYe2b7AAANGFYwAAA=", ChangeKey: "CQAAAA=="}
	inbox := FolderId{Id: "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA", ChangeKey: "AQAAAA=="}
	root := FolderId{Id: "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA", ChangeKey: "AQAAAA=="}
	at := ts("2013-09-16T04:31:29Z")
	one := 1
	v1 := ServerVersionInfo{MajorVersion: 15, MinorVersion: 2, MajorBuildNumber: 1544, MinorBuildNumber: 4, Version: "V2017_07_11"}
	v2 := ServerVersionInfo{MajorVersion: 15, MajorBuildNumber: 785, MinorBuildNumber: 6, Version: "V2_6"}
	return []*StreamMessage{
		{ConnectionStatus: ConnectionOK, Version: &v1},
		{Version: &v2, Notifications: []Notification{{SubscriptionId: sub, Events: []Event{
			{Type: CreatedEvent, TimeStamp: at, ItemId: item, ParentFolderId: inbox, SubscriptionId: sub},
			{Type: NewMailEvent, TimeStamp: at, ItemId: item, ParentFolderId: inbox, SubscriptionId: sub},
			{Type: ModifiedEvent, TimeStamp: at, FolderId: inbox, ParentFolderId: root, UnreadCount: &one, SubscriptionId: sub},
		}}}},
		{ConnectionStatus: ConnectionClosed,
			Notifications: []Notification{{SubscriptionId: "sub-B", Events: []Event{
				{Type: MovedEvent, TimeStamp: ts("2026-11-23T00:20:05Z"), ItemId: ItemId{Id: "new-item", ChangeKey: "CQAAAB=="}, ParentFolderId: FolderId{Id: "archive"},
					OldItemId: ItemId{Id: "old-item", ChangeKey: "CQAAAA=="}, OldParentFolderId: FolderId{Id: "inbox"}, SubscriptionId: "sub-B"},
				{Type: CopiedEvent, TimeStamp: ts("2026-11-23T00:20:06Z"), FolderId: FolderId{Id: "f-copy"}, ParentFolderId: FolderId{Id: "archive"},
					OldFolderId: FolderId{Id: "f-orig"}, OldParentFolderId: FolderId{Id: "inbox"}, SubscriptionId: "sub-B"},
			}}},
			Errors: []*ResponseError{{Op: "GetStreamingEvents", Code: "ErrorSubscriptionNotFound", Message: "The specified subscription was not found.", SubscriptionIds: []string{"sub-gone"}}},
		},
	}
}

func readAll(t testing.TB, sr *StreamReader) ([]*StreamMessage, error) {
	var out []*StreamMessage
	for {
		m, err := sr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

// splitReader returns data[:at] from its first Read and the rest after.
type splitReader struct {
	data []byte
	at   int
	n    int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	end := len(s.data)
	if s.n == 0 && s.at < end {
		end = s.at
	}
	s.n++
	if end > len(p) {
		end = len(p)
	}
	k := copy(p, s.data[:end])
	s.data = s.data[k:]
	return k, nil
}

func TestStreamSplitAtEveryByte(t *testing.T) {
	t.Parallel()
	data := mixedStream(t)
	want := wantMixed()
	for at := 0; at <= len(data); at++ {
		got, err := readAll(t, NewStreamReader(&splitReader{data: data, at: at}, 0))
		if err != nil {
			t.Fatalf("split at %d: %v", at, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("split at %d: got %d messages, differ from expected:\n%+v", at, len(got), got)
		}
	}
	got, err := readAll(t, NewStreamReader(iotest.OneByteReader(bytes.NewReader(data)), 0))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("one byte per read: %v", err)
	}
	got, err = readAll(t, NewStreamReader(iotest.DataErrReader(bytes.NewReader(data)), 0))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("data with EOF: %v", err)
	}
}

// Each envelope is handed over as soon as it is complete, while the
// connection stays open and nothing more has arrived.
func TestStreamHandsOverEachEnvelopeAtOnce(t *testing.T) {
	data := mixedStream(t)
	ends := envelopeEnds(data)
	pr, pw := io.Pipe()
	sr := NewStreamReader(pr, 0)
	sr.KeepRaw()
	want := wantMixed()
	start := 0
	for i, end := range ends {
		done := make(chan struct{})
		go func(chunk []byte) {
			defer close(done)
			_, _ = pw.Write(chunk)
		}(data[start:end])
		m, err := sr.Next()
		if err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
		<-done
		if !bytes.Equal(m.Raw, bytes.TrimSpace(data[start:end])) {
			t.Errorf("envelope %d raw = %q", i, m.Raw)
		}
		for _, e := range m.Events() {
			if !bytes.Equal(e.RawXML, m.Raw) {
				t.Errorf("envelope %d: event RawXML is not the envelope", i)
			}
		}
		m.Raw = nil
		for j := range m.Notifications {
			for k := range m.Notifications[j].Events {
				m.Notifications[j].Events[k].RawXML = nil
			}
		}
		if !reflect.DeepEqual(m, want[i]) {
			t.Errorf("envelope %d: %+v", i, m)
		}
		start = end
	}
	pw.Close()
	if _, err := sr.Next(); err != io.EOF {
		t.Errorf("after close: %v, want io.EOF", err)
	}
}

// envelopeEnds returns the offset just past each top-level envelope.
func envelopeEnds(data []byte) []int {
	var ends []int
	for _, tag := range []string{"</Envelope>", "</s:Envelope>"} {
		off := 0
		for {
			i := bytes.Index(data[off:], []byte(tag))
			if i < 0 {
				break
			}
			off += i + len(tag)
			ends = append(ends, off)
		}
	}
	// sort (two tags)
	for i := 1; i < len(ends); i++ {
		for j := i; j > 0 && ends[j] < ends[j-1]; j-- {
			ends[j], ends[j-1] = ends[j-1], ends[j]
		}
	}
	return ends
}

func TestStreamTruncated(t *testing.T) {
	t.Parallel()
	data := mixedStream(t)
	ends := envelopeEnds(data)
	if len(ends) != 3 {
		t.Fatalf("envelopes: %v", ends)
	}
	for cut := 1; cut < len(data); cut++ {
		got, err := readAll(t, NewStreamReader(bytes.NewReader(data[:cut]), 0))
		complete := 0
		for _, e := range ends {
			if e <= cut {
				complete++
			}
		}
		boundary := false
		for _, e := range ends {
			if e <= cut && len(bytes.TrimSpace(data[e:cut])) == 0 {
				boundary = true
			}
		}
		if len(got) != complete {
			t.Fatalf("cut at %d: %d messages, want %d", cut, len(got), complete)
		}
		if boundary {
			if err != nil {
				t.Fatalf("cut at envelope boundary %d: %v", cut, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "cut off") {
			t.Fatalf("cut at %d: err = %v, want a cut-off DecodeError", cut, err)
		}
		if de.Offset != int64(cut) {
			t.Fatalf("cut at %d: offset %d", cut, de.Offset)
		}
	}
}

func TestStreamOversizeEnvelope(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("A", 17<<20)
	doc := `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><m:GetStreamingEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Filler>` + big + `</m:Filler></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse></Body></Envelope>`
	cr := &countingReader{r: strings.NewReader(string(mixedStream(t)) + doc)}
	sr := NewStreamReader(cr, 0)
	got, err := readAll(t, sr)
	if len(got) != 3 {
		t.Errorf("the envelopes before the big one: %d, want 3", len(got))
	}
	if !errors.Is(err, ErrEnvelopeTooLarge) {
		t.Fatalf("err = %v, want ErrEnvelopeTooLarge", err)
	}
	// Reading stopped at the limit (plus the reader's buffer), not at the
	// end of the 17 MiB envelope.
	if cr.n > int64(len(mixedStream(t)))+DefaultMaxEnvelope+64<<10 {
		t.Errorf("read %d bytes before giving up", cr.n)
	}
	// A smaller limit applies per envelope, not to the whole stream.
	got, err = readAll(t, NewStreamReader(bytes.NewReader(mixedStream(t)), 3200))
	if err != nil || len(got) != 3 {
		t.Errorf("3200-byte limit on envelopes under it: %d messages, %v", len(got), err)
	}
	_, err = readAll(t, NewStreamReader(bytes.NewReader(mixedStream(t)), 1000))
	if !errors.Is(err, ErrEnvelopeTooLarge) {
		t.Errorf("1000-byte limit: %v", err)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestStreamRejectsOtherResponses(t *testing.T) {
	for name, doc := range map[string]string{
		"not xml":    "HTTP/1.1 502 Bad Gateway",
		"other op":   string(readSample(t, "getevents-newmail-x2-response.xml")),
		"html error": "<html><head><title>Error</title></head></html>",
	} {
		_, err := readAll(t, NewStreamReader(strings.NewReader(doc), 0))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want *DecodeError", name, err)
		}
	}
	// A SOAP fault on the stream is an error message, not a decode error.
	got, err := readAll(t, NewStreamReader(strings.NewReader(serverBusyFault), 0))
	if err != nil || len(got) != 1 || len(got[0].Errors) != 1 || !errors.Is(got[0].Errors[0], ErrServerBusy) {
		t.Errorf("fault: %v %+v", err, got)
	}
}
