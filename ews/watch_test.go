package ews

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Envelopes in the shape Exchange writes on a stream.
func streamEnvelope(messages string) string {
	return `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><soap11:Body xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<m:GetStreamingEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>` +
		messages + `</m:ResponseMessages></m:GetStreamingEventsResponse></soap11:Body></Envelope>`
}

func statusEnvelope(status string) string {
	return streamEnvelope(`<m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ConnectionStatus>` + status + `</m:ConnectionStatus></m:GetStreamingEventsResponseMessage>`)
}

func newMailEnvelope(sub, item string) string {
	return streamEnvelope(`<m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification>` +
		`<t:SubscriptionId>` + sub + `</t:SubscriptionId>` +
		`<t:CreatedEvent><t:TimeStamp>2026-11-23T00:30:00Z</t:TimeStamp><t:ItemId Id="` + item + `" ChangeKey="CQ"/><t:ParentFolderId Id="inbox"/></t:CreatedEvent>` +
		`<t:NewMailEvent><t:TimeStamp>2026-11-23T00:30:00Z</t:TimeStamp><t:ItemId Id="` + item + `" ChangeKey="CQ"/><t:ParentFolderId Id="inbox"/></t:NewMailEvent>` +
		`</m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage>`)
}

func streamErrorEnvelope(code, sub string) string {
	return streamEnvelope(`<m:GetStreamingEventsResponseMessage ResponseClass="Error"><m:MessageText>` + code + ` happened.</m:MessageText><m:ResponseCode>` + code +
		`</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:ErrorSubscriptionIds><m:SubscriptionId>` + sub + `</m:SubscriptionId></m:ErrorSubscriptionIds></m:GetStreamingEventsResponseMessage>`)
}

func subscribeResponse(id, watermark string) string {
	wm := ""
	if watermark != "" {
		wm = `<m:Watermark>` + watermark + `</m:Watermark>`
	}
	return `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:SubscribeResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SubscriptionId>` +
		id + `</m:SubscriptionId>` + wm + `</m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse></s:Body></s:Envelope>`
}

const unsubscribeOK = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:UnsubscribeResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:UnsubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UnsubscribeResponseMessage></m:ResponseMessages></m:UnsubscribeResponse></s:Body></s:Envelope>`

func getEventsResponse(sub, prev string, more bool, events string) string {
	return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetEventsResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">` +
		`<ResponseMessages><GetEventsResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode><Notification>` +
		`<t:SubscriptionId>` + sub + `</t:SubscriptionId><t:PreviousWatermark>` + prev + `</t:PreviousWatermark><t:MoreEvents>` + fmt.Sprint(more) + `</t:MoreEvents>` +
		events + `</Notification></GetEventsResponseMessage></ResponseMessages></GetEventsResponse></soap:Body></soap:Envelope>`
}

func pullEvent(typ, wm, item string) string {
	if typ == "StatusEvent" {
		return `<t:StatusEvent><t:Watermark>` + wm + `</t:Watermark></t:StatusEvent>`
	}
	return `<t:` + typ + `><t:Watermark>` + wm + `</t:Watermark><t:TimeStamp>2026-11-23T00:30:00Z</t:TimeStamp><t:ItemId Id="` + item + `"/><t:ParentFolderId Id="inbox"/></t:` + typ + `>`
}

func getEventsError(code string) string {
	return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:GetEventsResponseMessage ResponseClass="Error"><m:MessageText>gone</m:MessageText><m:ResponseCode>` +
		code + `</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:GetEventsResponseMessage></m:ResponseMessages></m:GetEventsResponse></soap:Body></soap:Envelope>`
}

// watchServer is a fakeEWS with Subscribe (ids sub-1, sub-2, …),
// Unsubscribe, and a scripted GetStreamingEvents: script(n, …) serves the
// n-th connection (from 1).
type watchServer struct {
	*fakeEWS
	subs atomic.Int32
}

func newWatchServer(t *testing.T, script func(n int, w io.Writer, flush func(), r *fakeReq)) *watchServer {
	ws := &watchServer{fakeEWS: newFakeEWS(t)}
	ws.handle("Subscribe", func(w http.ResponseWriter, r *fakeReq) {
		n := ws.subs.Add(1)
		wm := ""
		if r.Body.Child("PullSubscriptionRequest") != nil {
			wm = fmt.Sprintf("WM-sub-%d", n)
		}
		reply(subscribeResponse(fmt.Sprintf("sub-%d", n), wm))(w, r)
	})
	ws.handle("Unsubscribe", reply(unsubscribeOK))
	var conns atomic.Int32
	ws.handle("GetStreamingEvents", func(w http.ResponseWriter, r *fakeReq) {
		n := int(conns.Add(1))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		flush := func() { w.(http.Flusher).Flush() }
		script(n, w, flush, r)
	})
	return ws
}

// hold blocks a handler until the client goes away.
func hold(r *fakeReq) { <-r.http.Context().Done() }

func nextUpdate(t *testing.T, ch <-chan Update) Update {
	t.Helper()
	select {
	case u, ok := <-ch:
		if !ok {
			t.Fatal("update channel closed early")
		}
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no update within 10s")
	}
	return Update{}
}

// waitUpdate reads updates until one matches.
func waitUpdate(t *testing.T, ch <-chan Update, what string, match func(Update) bool) Update {
	t.Helper()
	var seen []string
	for {
		u := nextUpdate(t, ch)
		seen = append(seen, fmt.Sprintf("%s(%d events, err %v)", u.State, len(u.Events), u.Err))
		if match(u) {
			return u
		}
		if len(seen) > 50 {
			t.Fatalf("never got %s; saw %v", what, seen)
		}
	}
}

// advanceUntil moves the clock a second at a time (every 5ms of real
// time) until an update matches.
func advanceUntil(t *testing.T, clock *FakeClock, ch <-chan Update, what string, match func(Update) bool) Update {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case u, ok := <-ch:
			if !ok {
				t.Fatalf("updates ended waiting for %s", what)
			}
			if match(u) {
				return u
			}
		case <-tick.C:
			clock.Advance(time.Second)
		case <-deadline:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

// finish cancels, reads to the end and returns the last update.
func finish(t *testing.T, cancel context.CancelFunc, ch <-chan Update) Update {
	t.Helper()
	cancel()
	var last Update
	deadline := time.After(10 * time.Second)
	for {
		select {
		case u, ok := <-ch:
			if !ok {
				return last
			}
			last = u
		case <-deadline:
			t.Fatal("channel not closed within 10s of cancel")
		}
	}
}

// noLeak waits until no goroutine of this package's runner or stream is
// left and the goroutine count is back to base.
func noLeak(t *testing.T, base int, c *Client, ws *watchServer) {
	t.Helper()
	c.CloseIdleConnections()
	ws.srv.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		ours := strings.Contains(stacks, "ews.(*runner)") || strings.Contains(stacks, "ews.(*Stream)")
		if !ours && runtime.NumGoroutine() <= base {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left behind (%d, base %d):\n%s", runtime.NumGoroutine(), base, stacks)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling interval of the leak check, not a wait for an event
	}
}

func TestStreamingReconnectsAtOnceOnClosed(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		switch n {
		case 1:
			io.WriteString(w, statusEnvelope("OK"))
			flush()
			io.WriteString(w, newMailEnvelope("sub-1", "item-1")+statusEnvelope("OK"))
			flush()
			io.WriteString(w, statusEnvelope("Closed"))
		default:
			io.WriteString(w, statusEnvelope("OK"))
			flush()
			hold(r)
		}
	})
	clock := NewFakeClock(time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC))
	c := ws.client(t, Config{Clock: clock, AnchorMailbox: "alice@example.com"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{Folders: []FolderRef{Distinguished("inbox")}, ConnectionTimeout: 20})

	u := nextUpdate(t, ch)
	if u.State != StateSubscribing || u.Mode != ModeStreaming {
		t.Fatalf("first update %+v", u)
	}
	u = nextUpdate(t, ch)
	if u.State != StateOpen || !u.Heartbeat || u.SubscriptionId != "sub-1" || len(u.Events) != 0 {
		t.Fatalf("open: %+v", u)
	}
	if want := clock.Now().Add(20 * time.Minute); !u.Deadlines.ConnectionEnds.Equal(want) || !u.Deadlines.LastHeartbeat.Equal(clock.Now()) {
		t.Errorf("deadlines %+v", u.Deadlines)
	}
	u = nextUpdate(t, ch)
	if len(u.Events) != 2 || u.Events[0].Type != CreatedEvent || u.Events[1].Type != NewMailEvent || u.Events[1].ItemId.Id != "item-1" ||
		u.Events[0].SubscriptionId != "sub-1" || len(u.Events[0].RawXML) == 0 {
		t.Fatalf("events: %+v", u)
	}
	waitUpdate(t, ch, "closed", func(u Update) bool { return u.State == StateClosed })
	// At once, without any clock advance: a new connection for the same
	// subscription.
	u = waitUpdate(t, ch, "reopened", func(u Update) bool { return u.State == StateOpen })
	if u.SubscriptionId != "sub-1" || u.Reconnects != 0 {
		t.Errorf("after Closed: %+v", u)
	}
	gse := ws.requests("GetStreamingEvents")
	if len(gse) != 2 || len(ws.requests("Subscribe")) != 1 {
		t.Fatalf("%d connections, %d subscribes", len(gse), len(ws.requests("Subscribe")))
	}
	for _, r := range gse {
		ids := r.Body.Child("SubscriptionIds").Children("SubscriptionId")
		if len(ids) != 1 || strings.TrimSpace(ids[0].Text) != "sub-1" || r.Body.ChildText("ConnectionTimeout") != "20" {
			t.Errorf("GetStreamingEvents request: %s", r.Raw)
		}
		if r.Header.Get("X-AnchorMailbox") != "alice@example.com" || r.Header.Get("X-PreferServerAffinity") != "true" {
			t.Errorf("affinity headers: %v", r.Header)
		}
	}
	sub := ws.requests("Subscribe")[0]
	if sub.Body.Child("StreamingSubscriptionRequest").Child("FolderIds").Child("DistinguishedFolderId").Attribute("Id") != "inbox" {
		t.Errorf("subscribe: %s", sub.Raw)
	}

	last := finish(t, cancel, ch)
	if last.State != StateUnsubscribed || last.Err != nil {
		t.Errorf("final update %+v", last)
	}
	uns := ws.requests("Unsubscribe")
	if len(uns) != 1 || uns[0].Body.ChildText("SubscriptionId") != "sub-1" {
		t.Errorf("unsubscribe requests: %d", len(uns))
	}
	noLeak(t, base, c, ws)
}

func TestStreamingDeadConnectionAfter90s(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		io.WriteString(w, statusEnvelope("OK"))
		flush()
		hold(r) // then silence
	})
	clock := NewFakeClock(time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
	if !clock.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("the watchdog never started waiting")
	}
	clock.Advance(89 * time.Second)
	if got := len(ws.requests("GetStreamingEvents")); got != 1 {
		t.Fatalf("reconnected after 89s of silence (%d connections)", got)
	}
	clock.Advance(time.Second)
	u := waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	if !errors.Is(u.Err, ErrDeadConnection) || u.Reconnects != 1 {
		t.Errorf("reconnecting: %+v", u)
	}
	u = waitUpdate(t, ch, "reopened", func(u Update) bool { return u.State == StateOpen })
	if u.SubscriptionId != "sub-1" || len(ws.requests("GetStreamingEvents")) != 2 || len(ws.requests("Subscribe")) != 1 {
		t.Errorf("after the dead connection: %+v", u)
	}
	if last := finish(t, cancel, ch); last.State != StateUnsubscribed {
		t.Errorf("final %+v", last)
	}
	noLeak(t, base, c, ws)
}

// When the server says the subscription is gone, a new one is made.
func TestStreamingResubscribesWhenSubscriptionGone(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		io.WriteString(w, statusEnvelope("OK"))
		flush()
		if n == 1 {
			io.WriteString(w, streamErrorEnvelope("ErrorSubscriptionNotFound", "sub-1"))
			flush()
		}
		hold(r)
	})
	c := ws.client(t, Config{Clock: NewFakeClock(time.Unix(1e9, 0))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	u := waitUpdate(t, ch, "expired", func(u Update) bool { return u.State == StateExpired })
	if !errors.Is(u.Err, ErrSubscriptionNotFound) || u.SubscriptionId != "" {
		t.Errorf("expired: %+v", u)
	}
	u = waitUpdate(t, ch, "open on the new subscription", func(u Update) bool { return u.State == StateOpen })
	if u.SubscriptionId != "sub-2" {
		t.Errorf("resubscribed: %+v", u)
	}
	gse := ws.requests("GetStreamingEvents")
	if len(gse) != 2 || gse[1].Body.Child("SubscriptionIds").ChildText("SubscriptionId") != "sub-2" {
		t.Errorf("second connection: %d", len(gse))
	}
	finish(t, cancel, ch)
	// Only the live subscription is unsubscribed.
	if uns := ws.requests("Unsubscribe"); len(uns) != 1 || uns[0].Body.ChildText("SubscriptionId") != "sub-2" {
		t.Errorf("unsubscribe: %d", len(uns))
	}
	noLeak(t, base, c, ws)
}

// ErrorServerBusy: the runner waits BackOffMilliseconds before trying again.
func TestStreamingServerBusyBacksOff(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, nil)
	var conns atomic.Int32
	ws.handle("GetStreamingEvents", func(w http.ResponseWriter, r *fakeReq) {
		if conns.Add(1) == 1 {
			w.WriteHeader(500)
			io.WriteString(w, serverBusyFault)
			return
		}
		io.WriteString(w, statusEnvelope("OK"))
		w.(http.Flusher).Flush()
		hold(r)
	})
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	u := waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	var re *ResponseError
	if !errors.As(u.Err, &re) || re.Code != "ErrorServerBusy" || re.BackOff != 297749*time.Millisecond {
		t.Fatalf("busy: %+v", u)
	}
	if !clock.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("the runner is not waiting")
	}
	clock.Advance(297748 * time.Millisecond)
	if n := len(ws.requests("GetStreamingEvents")); n != 1 {
		t.Fatalf("retried before BackOffMilliseconds passed (%d)", n)
	}
	clock.Advance(time.Millisecond)
	u = waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
	if u.SubscriptionId != "sub-1" || len(ws.requests("Subscribe")) != 1 {
		t.Errorf("after the backoff: %+v", u)
	}
	finish(t, cancel, ch)
	noLeak(t, base, c, ws)
}

func TestPullDrainsMoreEventsAndCarriesWatermark(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, nil)
	var polls atomic.Int32
	ws.handle("GetEvents", func(w http.ResponseWriter, r *fakeReq) {
		switch polls.Add(1) {
		case 1:
			reply(getEventsResponse("sub-1", "WM-sub-1", true, pullEvent("CreatedEvent", "W1", "a")+pullEvent("NewMailEvent", "W2", "a")))(w, r)
		case 2:
			reply(getEventsResponse("sub-1", "W2", false, pullEvent("MovedEvent", "W3", "b")))(w, r)
		default:
			wm := r.Body.ChildText("Watermark")
			reply(getEventsResponse("sub-1", wm, false, pullEvent("StatusEvent", wm+"+", "")))(w, r)
		}
	})
	clock := NewFakeClock(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{Mode: ModePull, PollInterval: 5 * time.Second, Timeout: 10, EventTypes: []EventType{NewMailEvent, CreatedEvent, MovedEvent}})
	t0 := clock.Now()
	if u := nextUpdate(t, ch); u.State != StateSubscribing || u.Mode != ModePull {
		t.Fatalf("first %+v", u)
	}
	u := nextUpdate(t, ch)
	if u.State != StateOpen || u.SubscriptionId != "sub-1" || !u.Deadlines.NextPoll.Equal(t0.Add(5*time.Second)) || !u.Deadlines.Expires.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("open %+v", u)
	}
	if !clock.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("not waiting for the poll")
	}
	if len(ws.requests("GetEvents")) != 0 {
		t.Fatal("polled before the interval")
	}
	clock.Advance(5 * time.Second)
	u = nextUpdate(t, ch)
	if len(u.Events) != 2 || u.Events[1].Watermark != "W2" || !u.Events[0].MoreEvents || u.Heartbeat {
		t.Fatalf("first batch %+v", u)
	}
	// MoreEvents: drained at once, with the last watermark.
	u = nextUpdate(t, ch)
	if len(u.Events) != 1 || u.Events[0].Type != MovedEvent || !u.Deadlines.NextPoll.Equal(t0.Add(10*time.Second)) || !u.Deadlines.Expires.Equal(t0.Add(5*time.Second+10*time.Minute)) {
		t.Fatalf("second batch %+v", u)
	}
	if !clock.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("not waiting for the next poll")
	}
	clock.Advance(5 * time.Second)
	u = nextUpdate(t, ch)
	if !u.Heartbeat || len(u.Events) != 1 || u.Events[0].Type != StatusEvent {
		t.Fatalf("status event %+v", u)
	}
	var wms []string
	for _, r := range ws.requests("GetEvents") {
		wms = append(wms, r.Body.ChildText("Watermark"))
		if r.Body.ChildText("SubscriptionId") != "sub-1" {
			t.Errorf("GetEvents for %q", r.Body.ChildText("SubscriptionId"))
		}
	}
	if strings.Join(wms, " ") != "WM-sub-1 W2 W3" {
		t.Errorf("watermarks sent: %v, want WM-sub-1 W2 W3", wms)
	}
	sub := ws.requests("Subscribe")[0].Body.Child("PullSubscriptionRequest")
	if sub.Attribute("SubscribeToAllFolders") != "true" || sub.ChildText("Timeout") != "10" || len(sub.Child("EventTypes").Kids) != 3 {
		t.Errorf("subscribe: %s", ws.requests("Subscribe")[0].Raw)
	}
	if last := finish(t, cancel, ch); last.State != StateUnsubscribed {
		t.Errorf("final %+v", last)
	}
	if uns := ws.requests("Unsubscribe"); len(uns) != 1 || uns[0].Body.ChildText("SubscriptionId") != "sub-1" {
		t.Error("no Unsubscribe on cancel")
	}
	noLeak(t, base, c, ws)
}

func TestPullResubscribesWithoutOldWatermark(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, nil)
	var polls atomic.Int32
	ws.handle("GetEvents", func(w http.ResponseWriter, r *fakeReq) {
		if polls.Add(1) == 1 {
			reply(getEventsError("ErrorExpiredSubscription"))(w, r)
			return
		}
		reply(getEventsResponse("sub-2", "WM-sub-2", false, pullEvent("StatusEvent", "X", "")))(w, r)
	})
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{Mode: ModePull})
	waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(5 * time.Second)
	u := waitUpdate(t, ch, "expired", func(u Update) bool { return u.State == StateExpired })
	if !errors.Is(u.Err, ErrExpiredSubscription) {
		t.Errorf("expired: %v", u.Err)
	}
	u = waitUpdate(t, ch, "open on sub-2", func(u Update) bool { return u.State == StateOpen })
	if u.SubscriptionId != "sub-2" {
		t.Errorf("%+v", u)
	}
	subs := ws.requests("Subscribe")
	// At-least-once: the new subscription resumes from the last watermark.
	if len(subs) != 2 || subs[1].Body.Child("PullSubscriptionRequest").ChildText("Watermark") != "WM-sub-1" {
		t.Errorf("the new subscription must resume from the last watermark: %s", subs[len(subs)-1].Raw)
	}
	finish(t, cancel, ch)
	noLeak(t, base, c, ws)
}

func TestWatchFatalErrors(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, nil)
	ws.handle("Subscribe", func(w http.ResponseWriter, r *fakeReq) { w.WriteHeader(401) })
	c := ws.client(t, Config{Auth: AuthBasic, User: "alice", Password: "wrong"})
	ch := c.Watch(context.Background(), WatchConfig{})
	var last Update
	for u := range ch {
		last = u
	}
	if last.State != StateError || last.Err == nil || last.Err.Error() != "authentication failed for alice at "+ws.URL()+": check user and password" {
		t.Errorf("final %+v", last)
	}
	// A Subscribe error response that retrying cannot fix.
	ws.handle("Subscribe", reply(sampleBody(t, "subscribe-error-delegate-access-not-supported.xml")))
	for u := range c.Watch(context.Background(), WatchConfig{Mode: ModePull}) {
		last = u
	}
	if last.State != StateError || !errors.Is(last.Err, ErrSubscriptionDelegateAccessNotSupported) {
		t.Errorf("final %+v", last)
	}
	// A folder id the server cannot read: retrying the same id cannot help.
	ws.handle("Subscribe", reply(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:SubscribeResponse xmlns:m="`+NSMessages+`"><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Error"><m:MessageText>Id is malformed.</m:MessageText><m:ResponseCode>ErrorInvalidIdMalformed</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse></s:Body></s:Envelope>`))
	for u := range c.Watch(context.Background(), WatchConfig{Folders: []FolderRef{FolderRefOf(FolderId{Id: "nonexistent"})}}) {
		last = u
	}
	if last.State != StateError || !errors.Is(last.Err, ErrInvalidIdMalformed) {
		t.Errorf("malformed folder id: final %+v", last)
	}
	// Bad configuration: one error update, then the channel closes.
	for _, cfg := range []WatchConfig{{ConnectionTimeout: 31}, {Mode: ModePull, Timeout: 2000}, {Mode: ModePush}, {Folders: []FolderRef{Distinguished("nope")}}} {
		var ups []Update
		for u := range c.Watch(context.Background(), cfg) {
			ups = append(ups, u)
		}
		if len(ups) != 1 || ups[0].State != StateError || ups[0].Err == nil {
			t.Errorf("%+v: %+v", cfg, ups)
		}
	}
	if len(ws.requests("Unsubscribe")) != 0 {
		t.Error("unsubscribed a subscription that never existed")
	}
	noLeak(t, base, c, ws)
}

// Cancelling while the runner waits to retry still ends it cleanly.
func TestWatchCancelDuringBackoff(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, nil)
	ws.handle("Subscribe", func(w http.ResponseWriter, r *fakeReq) { w.WriteHeader(503) })
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	ch := c.Watch(ctx, WatchConfig{})
	u := waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	if u.Err == nil || !strings.Contains(u.Err.Error(), "HTTP 503") {
		t.Errorf("%+v", u)
	}
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(time.Second) // first backoff: 1s
	u = waitUpdate(t, ch, "second attempt", func(u Update) bool { return u.State == StateReconnecting })
	if u.Reconnects != 2 {
		t.Errorf("reconnects %d", u.Reconnects)
	}
	if last := finish(t, cancel, ch); last.State != StateUnsubscribed {
		t.Errorf("final %+v", last)
	}
	noLeak(t, base, c, ws)
}

// Every byte counts as a sign of life: heartbeats keep the stream open, and
// the connection is dead 90 s after the last one.
func TestStreamingHeartbeatsKeepConnectionAlive(t *testing.T) {
	base := runtime.NumGoroutine()
	beat := make(chan string)
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		io.WriteString(w, statusEnvelope("OK"))
		flush()
		for {
			select {
			case env := <-beat:
				io.WriteString(w, env)
				flush()
			case <-r.http.Context().Done():
				return
			}
		}
	})
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(60 * time.Second)
	beat <- statusEnvelope("OK")
	u := nextUpdate(t, ch)
	if u.State != StateOpen || !u.Heartbeat || !u.Deadlines.LastHeartbeat.Equal(clock.Now()) {
		t.Fatalf("heartbeat %+v", u)
	}
	// Another subscription's error on the shared connection is not ours.
	beat <- streamErrorEnvelope("ErrorSubscriptionNotFound", "someone-else")
	beat <- newMailEnvelope("sub-1", "item-9")
	u = waitUpdate(t, ch, "events", func(u Update) bool { return len(u.Events) > 0 })
	if u.State != StateOpen || u.Events[1].ItemId.Id != "item-9" {
		t.Fatalf("events %+v", u)
	}
	// The watchdog fired at 90 s after the open and re-armed for the rest.
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(60 * time.Second) // 120 s after open, 60 s after the heartbeat
	if n := len(ws.requests("GetStreamingEvents")); n != 1 {
		t.Fatalf("a live stream was dropped (%d connections)", n)
	}
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(30 * time.Second) // 90 s after the last byte
	u = waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	if !errors.Is(u.Err, ErrDeadConnection) {
		t.Errorf("%+v", u)
	}
	finish(t, cancel, ch)
	noLeak(t, base, c, ws)
}

// A stream that ends without Closed is retried after a backoff; ServerBusy
// on GetEvents keeps the pull subscription and its watermark.
func TestRetriesKeepSubscription(t *testing.T) {
	base := runtime.NumGoroutine()
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		io.WriteString(w, statusEnvelope("OK"))
		flush()
		if n > 1 {
			hold(r)
		}
	})
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	ch := c.Watch(ctx, WatchConfig{})
	u := waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	if u.Err == nil || !strings.Contains(u.Err.Error(), "ended without ConnectionStatus Closed") || u.SubscriptionId != "sub-1" {
		t.Fatalf("%+v", u)
	}
	// The backoff passes (the dead stream's watchdog timer is still pending
	// on the fake clock, so advance until the runner is back).
	u = advanceUntil(t, clock, ch, "open", func(u Update) bool { return u.State == StateOpen })
	if u.SubscriptionId != "sub-1" || len(ws.requests("Subscribe")) != 1 {
		t.Errorf("%+v", u)
	}
	finish(t, cancel, ch)

	var polls atomic.Int32
	ws.handle("GetEvents", func(w http.ResponseWriter, r *fakeReq) {
		if polls.Add(1) == 1 {
			w.WriteHeader(500)
			io.WriteString(w, serverBusyFault)
			return
		}
		reply(getEventsResponse("sub-2", "WM-sub-2", false, pullEvent("NewMailEvent", "W9", "x")))(w, r)
	})
	// A fresh clock: the first runner left its watchdog's timer pending.
	clock = NewFakeClock(time.Unix(2e9, 0))
	ctx, cancel = context.WithCancel(context.Background())
	ch = c.Watch(ctx, WatchConfig{Mode: ModePull, Clock: clock})
	waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(5 * time.Second)
	u = waitUpdate(t, ch, "busy", func(u Update) bool { return u.State == StateReconnecting })
	if !errors.Is(u.Err, ErrServerBusy) || u.SubscriptionId != "sub-2" {
		t.Fatalf("%+v", u)
	}
	clock.WaitForWaiters(1, 10*time.Second)
	clock.Advance(297749 * time.Millisecond)
	u = waitUpdate(t, ch, "events", func(u Update) bool { return len(u.Events) > 0 })
	ge := ws.requests("GetEvents")
	if len(ge) != 2 || ge[1].Body.ChildText("Watermark") != "WM-sub-2" || ge[1].Body.ChildText("SubscriptionId") != "sub-2" || len(ws.requests("Subscribe")) != 2 {
		t.Errorf("after ServerBusy the same subscription and watermark are polled: %d polls", len(ge))
	}
	finish(t, cancel, ch)
	noLeak(t, base, c, ws)
}
