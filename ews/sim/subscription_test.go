package sim

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPullPagingWatermarksAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	id, wm := e.subscribePull(`<t:DistinguishedFolderId Id="inbox"/>`, 10, "")
	// Nothing new: a StatusEvent carrying a watermark.
	doc := e.getEvents(id, wm)
	e.mustCode(doc, "NoError")
	if got := eventTypes(doc); len(got) != 1 || got[0] != "StatusEvent" || field(doc, "Watermark") == "" {
		t.Fatalf("idle GetEvents = %v\n%s", got, doc)
	}
	wm = field(doc, "Watermark")
	// 20 new mails = 60 events: 50, then 10.
	for i := 0; i < 20; i++ {
		e.act("new-mail", "inbox")
	}
	first := e.getEvents(id, wm)
	if n := len(eventTypes(first)); n != 50 || field(first, "MoreEvents") != "true" {
		t.Fatalf("first page: %d events, MoreEvents %s; want 50, true", n, field(first, "MoreEvents"))
	}
	wms := fields(first, "Watermark")
	if len(wms) != 50 || field(first, "PreviousWatermark") != wm {
		t.Fatalf("each pull event carries a watermark and PreviousWatermark is the one sent: %d, %s vs %s", len(wms), field(first, "PreviousWatermark"), wm)
	}
	// The client's watermark is the bookmark: re-sending the old one (an
	// answer lost in transit) gets the same first page again, and the
	// page's last watermark gets the rest.
	again := e.getEvents(id, wm)
	if got := fields(again, "Watermark"); len(got) != 50 || got[0] != wms[0] || got[49] != wms[49] {
		t.Fatalf("old watermark re-sent: %d events from %v; want the first page again", len(got), got[:min(len(got), 1)])
	}
	second := e.getEvents(id, wms[49])
	if n := len(eventTypes(second)); n != 10 || field(second, "MoreEvents") != "false" || field(second, "PreviousWatermark") != wms[49] {
		t.Fatalf("second page: %d events, MoreEvents %s; want 10, false", n, field(second, "MoreEvents"))
	}
	ids := map[string]bool{}
	for _, d := range [][]byte{first, second} {
		for _, w := range fields(d, "Watermark") {
			if ids[w] {
				t.Fatalf("event watermark %s delivered twice", w)
			}
			ids[w] = true
		}
	}
	last := fields(second, "Watermark")[9]
	if got := eventTypes(e.getEvents(id, last)); len(got) != 1 || got[0] != "StatusEvent" {
		t.Fatalf("after paging: %v, want a StatusEvent", got)
	}

	// Resubscribing with a watermark replays everything after it.
	rid, _ := e.subscribePull(`<t:DistinguishedFolderId Id="inbox"/>`, 10, wms[44])
	replay := e.getEvents(rid, wms[44])
	if n := len(eventTypes(replay)); n != 15 {
		t.Fatalf("resubscribe after event 45 replays %d events, want 15", n)
	}
	if fields(replay, "Watermark")[0] == wms[44] || fields(replay, "Watermark")[0] != wms[45] {
		t.Errorf("replay starts at %s, want %s", fields(replay, "Watermark")[0], wms[45])
	}
	// Unknown watermarks.
	for _, bad := range []string{"AAAAAP//////////AQ==", "garbage!", encodeWatermark(&mailbox{idx: 7}, 1)} {
		_, doc := e.post(soap(`<m:Subscribe><m:PullSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `<t:Watermark>` + bad + `</t:Watermark><t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`))
		e.mustCode(doc, "ErrorInvalidWatermark")
		e.mustCode(e.getEvents(id, bad), "ErrorInvalidWatermark")
	}
}

func TestPullFolderFilterAndEventTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	_, doc := e.post(soap(`<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="sentitems"/></t:FolderIds><t:EventTypes><t:EventType>MovedEvent</t:EventType></t:EventTypes><t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "NoError")
	id, wm := field(doc, "SubscriptionId"), field(doc, "Watermark")
	e.act("new-mail", "inbox")
	e.act("send-mail", "")
	got := eventTypes(e.getEvents(id, wm))
	if strings.Join(got, ",") != "MovedEvent" {
		t.Fatalf("Sent Items, MovedEvent only: got %v", got)
	}
}

func TestPullExpiresWhenNotPolled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	id, wm := e.subscribePull("", 2, "")
	e.clock.Advance(119 * time.Second)
	e.mustCode(e.getEvents(id, wm), "NoError") // polled in time: the timer restarts
	e.clock.Advance(119 * time.Second)
	e.mustCode(e.getEvents(id, wm), "NoError")
	e.clock.Advance(2 * time.Minute)
	e.mustCode(e.getEvents(id, wm), "ErrorExpiredSubscription")
	e.mustCode(e.getEvents(id, wm), "ErrorExpiredSubscription")
}

func TestSubscriptionErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Mailboxes: []string{"alice@example.com", "bob@example.com"}})
	pull, wm := e.subscribePull("", 5, "")
	stream := e.subscribeStreaming("")
	e.mustCode(e.getEvents("not-a-subscription", wm), "ErrorInvalidSubscription")
	e.mustCode(e.getEvents(stream, wm), "ErrorInvalidSubscription") // GetEvents on a streaming subscription
	rs := e.openStream(1, pull)                                     // GetStreamingEvents on a pull subscription
	body, _ := io.ReadAll(rs.br)
	e.v.addStream("GetStreamingEvents error", body)
	if rs.code != -200 || field(body, "ResponseCode") != "ErrorInvalidSubscription" || !strings.Contains(string(body), pull) {
		t.Errorf("GetStreamingEvents with a pull id: %d\n%s", rs.code, body)
	}
	_, doc := e.post(soap(`<m:Unsubscribe><m:SubscriptionId>` + pull + `</m:SubscriptionId></m:Unsubscribe>`))
	e.mustCode(doc, "NoError")
	e.mustCode(e.getEvents(pull, wm), "ErrorSubscriptionNotFound")
	_, doc = e.post(soap(`<m:Unsubscribe><m:SubscriptionId>` + pull + `</m:SubscriptionId></m:Unsubscribe>`))
	e.mustCode(doc, "ErrorSubscriptionNotFound")
	// Another mailbox's folder without impersonation.
	_, doc = e.post(soap(`<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>bob@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></t:FolderIds>` + allTypes + `</m:StreamingSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "ErrorSubscriptionDelegateAccessNotSupported")
	// With impersonation it works.
	imp := strings.Replace(soap(`<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>bob@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></t:FolderIds>`+allTypes+`</m:StreamingSubscriptionRequest></m:Subscribe>`),
		`</soap:Header>`, `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>bob@example.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header>`, 1)
	_, doc = e.post(imp)
	e.mustCode(doc, "NoError")
	// ServerBusy: a SOAP fault with BackOffMilliseconds, for N requests.
	e.s.Faults().ServerBusy(2, 1500*time.Millisecond)
	for i := 0; i < 2; i++ {
		resp, doc := e.post(soap(`<m:GetEvents><m:SubscriptionId>` + stream + `</m:SubscriptionId><m:Watermark>` + wm + `</m:Watermark></m:GetEvents>`))
		if resp.StatusCode != 500 || !strings.Contains(string(doc), "<s:Fault>") || !strings.Contains(string(doc), `<t:Value Name="BackOffMilliseconds">1500</t:Value>`) || field(doc, "ResponseCode") != "ErrorServerBusy" {
			t.Fatalf("ServerBusy: HTTP %d\n%s", resp.StatusCode, doc)
		}
	}
	e.mustCode(e.getEvents(stream, wm), "ErrorInvalidSubscription")
	// Subscription count limit.
	l := newEnv(t, Config{MaxSubscriptions: 2})
	l.subscribeStreaming("")
	l.subscribeStreaming("")
	_, doc = l.post(soap(`<m:Subscribe><m:StreamingSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `</m:StreamingSubscriptionRequest></m:Subscribe>`))
	l.mustCode(doc, "ErrorExceededSubscriptionCount")
}

func TestStreamingChunksHeartbeatsAndClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{HeartbeatInterval: 30 * time.Second})
	id := e.subscribeStreaming(`<t:DistinguishedFolderId Id="inbox"/>`)
	before := e.clock.Waiters()
	rs := e.openStream(2, id)
	if rs.code != 200 || rs.hdr.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Fatalf("stream answer %d %v", rs.code, rs.hdr)
	}
	if c := e.next(rs); field(c, "ConnectionStatus") != "OK" {
		t.Fatalf("first envelope:\n%s", c)
	}
	// Events: one envelope, one chunk, in the m:Notification form, no
	// watermarks.
	res := e.act("new-mail", "inbox")
	c := e.next(rs)
	if got := strings.Join(eventTypes(c), ","); got != "CreatedEvent,NewMailEvent,ModifiedEvent" {
		t.Fatalf("notification envelope events %s", got)
	}
	if !strings.Contains(string(c), "<m:Notification><t:SubscriptionId>"+id) || strings.Contains(string(c), "Watermark") {
		t.Errorf("streaming notification shape:\n%s", c)
	}
	if !strings.Contains(string(c), res.Events[0].ItemId.Id) {
		t.Errorf("notification lacks the new item's id")
	}
	// Heartbeat after 30 s idle (the handler's heartbeat and closing timers
	// are pending).
	if !e.clock.WaitForWaiters(before+2, 5*time.Second) {
		t.Fatal("stream did not arm its timers")
	}
	e.clock.Advance(30 * time.Second)
	if c := e.next(rs); field(c, "ConnectionStatus") != "OK" || len(eventTypes(c)) != 0 {
		t.Fatalf("heartbeat:\n%s", c)
	}
	// Closed at ConnectionTimeout (2 min), then the response ends.
	e.clock.WaitForWaiters(before+2, 5*time.Second)
	e.clock.Advance(90 * time.Second)
	for {
		c := e.next(rs)
		if field(c, "ConnectionStatus") == "Closed" {
			break
		}
		if field(c, "ConnectionStatus") != "OK" {
			t.Fatalf("unexpected envelope before Closed:\n%s", c)
		}
	}
	if _, err := rs.chunk(); err != errStreamEnd {
		t.Fatalf("after Closed: %v, want the terminating chunk", err)
	}
	// Events while no connection is open are queued for the next one.
	e.act("new-mail", "inbox")
	rs2 := e.openStream(1, id)
	e.next(rs2) // OK
	if got := eventTypes(e.next(rs2)); len(got) != 3 {
		t.Fatalf("queued events on reconnect: %v", got)
	}
}

func TestStreamingSecondConnectionEvictsFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	a := e.subscribeStreaming("")
	b := e.subscribeStreaming("")
	rs1 := e.openStream(30, a, b)
	e.next(rs1)
	rs2 := e.openStream(30, a)
	e.next(rs2)
	c := e.next(rs1)
	if field(c, "ResponseCode") != "ErrorNewEventStreamConnectionOpened" || !strings.Contains(string(c), "<m:SubscriptionId>"+a+"</m:SubscriptionId>") {
		t.Fatalf("first connection after a second one took subscription a:\n%s", c)
	}
	// The first connection keeps b; a's events go to the second.
	e.act("new-mail", "inbox")
	c1, c2 := e.next(rs1), e.next(rs2)
	if !strings.Contains(string(c1), b) || strings.Contains(string(c1), a) || !strings.Contains(string(c2), a) {
		t.Fatalf("after eviction:\nfirst: %s\nsecond: %s", c1, c2)
	}
	// Taking b too ends the first connection.
	rs3 := e.openStream(30, b)
	e.next(rs3)
	c = e.next(rs1)
	if field(c, "ResponseCode") != "ErrorNewEventStreamConnectionOpened" {
		t.Fatalf("second eviction:\n%s", c)
	}
	if _, err := rs1.chunk(); err != errStreamEnd {
		t.Fatalf("first connection with no subscription left: %v, want end of stream", err)
	}
}

func TestStreamingLimitsAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{StreamingExpiry: 10 * time.Minute})
	id := e.subscribeStreaming("")
	var ids []string
	for i := 0; i < 201; i++ {
		ids = append(ids, id+strconv.Itoa(i))
	}
	rs := e.openStream(1, ids...)
	body, _ := io.ReadAll(rs.br)
	e.v.addStream("201 ids", body)
	if field(body, "ResponseCode") != "ErrorInvalidRequest" {
		t.Errorf("201 ids: %s", body)
	}
	e.clock.Advance(10 * time.Minute)
	rs = e.openStream(1, id)
	body, _ = io.ReadAll(rs.br)
	e.v.addStream("expired", body)
	if field(body, "ResponseCode") != "ErrorExpiredSubscription" {
		t.Errorf("streaming subscription unused for StreamingExpiry: %s", body)
	}
	// Faults: expire an open stream's subscription.
	id2 := e.subscribeStreaming("")
	rs = e.openStream(30, id2)
	e.next(rs)
	if !e.s.Faults().Expire(id2) {
		t.Fatal("Expire: not found")
	}
	if c := e.next(rs); field(c, "ResponseCode") != "ErrorExpiredSubscription" {
		t.Fatalf("expired while streaming:\n%s", c)
	}
}

func TestStreamFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	id := e.subscribeStreaming("")
	rs := e.openStream(30, id)
	e.next(rs)
	e.s.Faults().CutNextStream()
	e.act("new-mail", "inbox")
	c, err := rs.chunk()
	if err != nil || !strings.HasPrefix(string(c), "<Envelope") || strings.HasSuffix(string(c), "</Envelope>") {
		t.Fatalf("cut envelope: %v\n%s", err, c)
	}
	if _, err := rs.chunk(); err == nil || err == errStreamEnd {
		t.Fatalf("after a cut the connection must break without the terminating chunk, got %v", err)
	}
	// An event counts as delivered only once its envelope is written
	// whole: the next connection of the same subscription gets the cut
	// envelope's events again.
	rs = e.openStream(30, id)
	redelivered := false
	for range 3 {
		if bytes.Contains(e.next(rs), []byte("NewMailEvent")) {
			redelivered = true
			break
		}
	}
	if !redelivered {
		t.Fatal("the cut envelope's events were not delivered on the next connection")
	}
	// Nothing else is due on the stream (the clock does not move), so the
	// corrupted answer is the GetFolder's.

	e.s.Faults().CorruptNext()
	_, doc := e.do(false, soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
	if _, err := parseXML(doc); err == nil {
		t.Fatalf("CorruptNext: response still parses:\n%s", doc)
	}

	e.s.Faults().Delay(5 * time.Second)
	done := make(chan []byte)
	go func() {
		_, doc := e.post(soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
		done <- doc
	}()
	select {
	case <-done:
		t.Fatal("delayed response arrived before the clock moved")
	case <-time.After(50 * time.Millisecond):
	}
	e.s.Faults().Delay(0)
	e.clock.Advance(5 * time.Second)
	if doc := <-done; field(doc, "ResponseCode") != "NoError" {
		t.Fatalf("delayed response: %s", doc)
	}
}

func TestPushDeliveryStatusRetryAndUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	pl := newPushListener(t, "OK")
	before := e.clock.Waiters()
	_, doc := e.post(soap(`<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"/></t:FolderIds>` + allTypes + `<t:StatusFrequency>1</t:StatusFrequency><t:URL>` + pl.url + `</t:URL></m:PushSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "NoError")
	id := field(doc, "SubscriptionId")
	e.act("new-mail", "inbox")
	n := pl.wait(t)
	e.v.add("SendNotification", n)
	if got := strings.Join(eventTypes(n), ","); got != "CreatedEvent,NewMailEvent,ModifiedEvent" || !strings.Contains(string(n), id) || len(fields(n, "Watermark")) != 3 {
		t.Fatalf("push notification:\n%s", n)
	}
	// StatusEvent after StatusFrequency without events.
	if !e.clock.WaitForWaiters(before+1, 5*time.Second) {
		t.Fatal("push worker did not arm its status timer")
	}
	e.clock.Advance(time.Minute)
	n = pl.wait(t)
	e.v.add("SendNotification status", n)
	if got := eventTypes(n); len(got) != 1 || got[0] != "StatusEvent" {
		t.Fatalf("status notification: %v", got)
	}
	// The listener fails: the server retries after a backoff.
	pl.setAnswer("fail")
	e.act("new-mail", "inbox")
	pl.wait(t) // failed attempt
	if !e.clock.WaitForWaiters(before+2, 5*time.Second) {
		t.Fatal("push worker did not arm a retry timer")
	}
	pl.setAnswer("Unsubscribe")
	e.clock.Advance(30 * time.Second)
	n = pl.wait(t)
	if got := eventTypes(n); len(got) != 3 {
		t.Fatalf("retried notification: %v", got)
	}
	// The listener answered Unsubscribe: the subscription is gone.
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.s.mu.Lock()
		_, live := e.s.subs[id]
		e.s.mu.Unlock()
		if !live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("subscription still live after the listener answered Unsubscribe")
		}
		time.Sleep(time.Millisecond)
	}
	e.act("new-mail", "inbox")
	select {
	case b := <-pl.got:
		t.Fatalf("notification after Unsubscribe:\n%s", b)
	case <-time.After(50 * time.Millisecond):
	}
}

// A subscription whose unread events the bounded journal dropped reports
// ErrorMissedNotificationEvents (pull and streaming).
func TestMissedNotificationEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.s.mu.Lock()
	e.s.journalMax = 20
	e.s.mu.Unlock()
	id, wm := e.subscribePull("", 10, "")
	stream := e.subscribeStreaming("")
	for i := 0; i < 10; i++ { // 30 events: the journal keeps the newest 10..20
		e.act("new-mail", "inbox")
	}
	e.mustCode(e.getEvents(id, wm), "ErrorMissedNotificationEvents")
	rs := e.openStream(1, stream)
	e.next(rs) // OK
	if c := e.next(rs); field(c, "ResponseCode") != "ErrorMissedNotificationEvents" {
		t.Fatalf("stream of a subscription that fell behind:\n%s", c)
	}
	if _, err := rs.chunk(); err != errStreamEnd {
		t.Fatalf("after the error: %v, want the end of the stream", err)
	}
}

func TestConnectionLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{MaxConnections: 1})
	a, b := e.subscribeStreaming(""), e.subscribeStreaming("")
	rs := e.openStream(30, a)
	e.next(rs)
	rs2 := e.openStream(30, b)
	body, _ := io.ReadAll(rs2.br)
	e.v.addStream("over the connection limit", body)
	if rs2.code != -200 || field(body, "ResponseCode") != "ErrorExceededConnectionCount" {
		t.Fatalf("second connection over the limit: %d\n%s", rs2.code, body)
	}
}
