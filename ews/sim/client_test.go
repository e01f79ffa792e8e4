package sim_test

// The project's own client (package ews) against the simulator over loopback.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

type rig struct {
	t     *testing.T
	s     *sim.Server
	c     *ews.Client
	clock *ews.FakeClock
	ctx   context.Context
}

// newRig starts a simulator and a client for it on one fake clock (the
// runner compares the stream's last activity, taken by the client's clock,
// with its own clock, so the two must be the same).
func newRig(t *testing.T, cfg sim.Config) *rig {
	t.Helper()
	clk := ews.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ews.NewClient(ews.Config{URL: s.URL(), Auth: ews.AuthNone, User: "alice@example.com", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
		c.CloseIdleConnections()
	})
	return &rig{t: t, s: s, c: c, clock: clk, ctx: ctx}
}

func (r *rig) act(action, folder string) []ews.Event {
	r.t.Helper()
	res, err := r.s.Act(r.ctx, sim.ActionRequest{Action: action, Folder: folder})
	if err != nil {
		r.t.Fatalf("%s: %v", action, err)
	}
	return res.Events
}

// sig is what must match between the journal and what a client receives.
func sig(e ews.Event) string {
	s := fmt.Sprintf("%s item=%s folder=%s parent=%s", e.Type, e.ItemId.Id, e.FolderId.Id, e.ParentFolderId.Id)
	if e.Type == ews.MovedEvent || e.Type == ews.CopiedEvent {
		s += fmt.Sprintf(" old=%s%s oldparent=%s", e.OldItemId.Id, e.OldFolderId.Id, e.OldParentFolderId.Id)
	}
	if e.UnreadCount != nil {
		s += fmt.Sprintf(" unread=%d", *e.UnreadCount)
	}
	return s
}

func sigs(evs []ews.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type != ews.StatusEvent {
			out = append(out, sig(e))
		}
	}
	return out
}

func sameSigs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Every action of docs/cascades.md, with the folder the doc's table uses.
var actionsInDocOrder = []struct{ action, folder string }{
	{"new-mail", ""}, {"mark-read", "inbox"}, {"mark-unread", "inbox"}, {"move-item", "inbox"},
	{"copy-item", "inbox"}, {"soft-delete", "inbox"}, {"hard-delete", ""}, {"create-folder", "inbox"},
	{"rename-folder", "Beta"}, {"move-folder", "Receipts"}, {"delete-folder", "Alpha"},
	{"meeting-request", ""}, {"send-mail", ""},
}

func TestClientPullReceivesEveryCascadeInOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{})
	sub, err := r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModePull, Timeout: 10})
	if err != nil {
		t.Fatal(err)
	}
	wm := sub.Watermark
	for _, a := range actionsInDocOrder {
		want := r.act(a.action, a.folder)
		n, err := r.c.GetEvents(r.ctx, sub.SubscriptionId, wm)
		if err != nil {
			t.Fatalf("%s: GetEvents: %v", a.action, err)
		}
		sameSigs(t, a.action+" through pull", sigs(n.Events), sigs(want))
		for i, e := range n.Events {
			if e.Watermark == "" {
				t.Errorf("%s: pull event %d without watermark", a.action, i)
			}
		}
		wm = n.Events[len(n.Events)-1].Watermark
	}
}

func TestClientStreamingReceivesEveryCascadeInOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{})
	sub, err := r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModeStreaming})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.c.GetStreamingEvents(r.ctx, ews.GetStreamingEventsRequest{SubscriptionIds: []string{sub.SubscriptionId}, ConnectionTimeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.Next()
	if err != nil || m.ConnectionStatus != "OK" {
		t.Fatalf("first message: %v %+v", err, m)
	}
	for _, a := range actionsInDocOrder {
		want := r.act(a.action, a.folder)
		var got []ews.Event
		for len(got) < len(want) {
			m, err := st.Next()
			if err != nil {
				t.Fatalf("%s: %v", a.action, err)
			}
			got = append(got, m.Events()...)
		}
		sameSigs(t, a.action+" through streaming", sigs(got), sigs(want))
		for _, e := range got {
			if e.Watermark != "" {
				t.Errorf("%s: streaming event with a watermark", a.action)
			}
		}
	}
}

func TestClientPullPagingResumeAndExpiry(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{})
	sub, err := r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModePull, Folders: []ews.FolderRef{ews.Distinguished("inbox")}, Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	var want []ews.Event
	for i := 0; i < 40; i++ { // 120 events: pages of 50, 50, 20
		want = append(want, r.act("new-mail", "inbox")...)
	}
	var got []ews.Event
	var pages []int
	wm := sub.Watermark
	for more := true; more; {
		n, err := r.c.GetEvents(r.ctx, sub.SubscriptionId, wm)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(n.Events))
		got = append(got, n.Events...)
		wm = n.Events[len(n.Events)-1].Watermark
		more = n.MoreEvents
	}
	if fmt.Sprint(pages) != "[50 50 20]" {
		t.Errorf("pages %v, want [50 50 20]", pages)
	}
	sameSigs(t, "paged events", sigs(got), sigs(want))

	// Resubscribe from a watermark in the middle: everything after it.
	re, err := r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModePull, Folders: []ews.FolderRef{ews.Distinguished("inbox")}, Timeout: 5, Watermark: got[99].Watermark})
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.c.GetEvents(r.ctx, re.SubscriptionId, re.Watermark)
	if err != nil {
		t.Fatal(err)
	}
	sameSigs(t, "replay after event 100", sigs(n.Events), sigs(want[100:]))
	_, err = r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModePull, Timeout: 5, Watermark: "AAAAAP//////////AQ=="})
	if !errors.Is(err, ews.ErrorCode("ErrorInvalidWatermark")) {
		t.Errorf("unknown watermark: %v", err)
	}

	// Not polled for Timeout (1 min): the server deleted it.
	r.clock.Advance(time.Minute)
	_, err = r.c.GetEvents(r.ctx, sub.SubscriptionId, wm)
	var re2 *ews.ResponseError
	if !errors.As(err, &re2) || re2.Code != "ErrorExpiredSubscription" {
		t.Errorf("GetEvents after Timeout: %v", err)
	}
}

func TestClientStreamingEvictionHeartbeatAndClosed(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{HeartbeatInterval: 30 * time.Second})
	sub, err := r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModeStreaming, Folders: []ews.FolderRef{ews.Distinguished("inbox")}})
	if err != nil {
		t.Fatal(err)
	}
	open := func() *ews.Stream {
		st, err := r.c.GetStreamingEvents(r.ctx, ews.GetStreamingEventsRequest{SubscriptionIds: []string{sub.SubscriptionId}, ConnectionTimeout: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if m, err := st.Next(); err != nil || m.ConnectionStatus != "OK" {
			t.Fatalf("open: %v %+v", err, m)
		}
		return st
	}
	waiters := r.clock.Waiters()
	first := open()
	r.clock.WaitForWaiters(waiters+2, 5*time.Second) // heartbeat and ConnectionTimeout timers
	second := open()
	m, err := first.Next()
	if err != nil || len(m.Errors) != 1 || m.Errors[0].Code != "ErrorNewEventStreamConnectionOpened" || fmt.Sprint(m.Errors[0].SubscriptionIds) != "["+sub.SubscriptionId+"]" {
		t.Fatalf("first connection after the second opened: %v %+v", err, m)
	}
	if _, err := first.Next(); err == nil {
		t.Fatal("first connection still open after eviction")
	}
	// Heartbeats on the idle second connection, then Closed at 1 minute.
	if !r.clock.WaitForWaiters(waiters+2, 5*time.Second) {
		t.Fatal("second stream did not arm its timers")
	}
	r.clock.Advance(30 * time.Second)
	if m, err := second.Next(); err != nil || m.ConnectionStatus != "OK" || len(m.Events()) != 0 {
		t.Fatalf("heartbeat: %v %+v", err, m)
	}
	r.clock.WaitForWaiters(waiters+2, 5*time.Second)
	r.clock.Advance(30 * time.Second)
	for {
		m, err := second.Next()
		if err != nil {
			t.Fatalf("before Closed: %v", err)
		}
		if m.ConnectionStatus == "Closed" {
			break
		}
	}
	if _, err := second.Next(); err == nil {
		t.Fatal("stream continues after Closed")
	}
}

func TestClientPushDelivery(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{})
	var mu sync.Mutex
	var bodies []string
	got := make(chan struct{}, 10)
	ln := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		fmt.Fprint(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:SendNotificationResult xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:SubscriptionStatus>OK</m:SubscriptionStatus></m:SendNotificationResult></soap:Body></soap:Envelope>`)
		got <- struct{}{}
	}))
	defer ln.Close()
	sub, err := r.c.Subscribe(r.ctx, ews.SubscribeRequest{Mode: ews.ModePush, StatusFrequency: 5, URL: ln.URL})
	if err != nil {
		t.Fatal(err)
	}
	want := r.act("meeting-request", "")
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no push notification")
	}
	mu.Lock()
	body := bodies[0]
	mu.Unlock()
	var evs []ews.Event
	if err := ews.Decode(strings.NewReader(body), func(rec ews.Record) {
		if rec.Type != "StatusEvent" && strings.HasSuffix(rec.Type, "Event") {
			evs = append(evs, ews.Event{Type: ews.EventType(rec.Type)})
			if rec.SubscriptionId != sub.SubscriptionId {
				t.Errorf("push event for subscription %q, want %q", rec.SubscriptionId, sub.SubscriptionId)
			}
		}
	}); err != nil {
		t.Fatalf("decode SendNotification: %v", err)
	}
	var gotTypes, wantTypes []string
	for _, e := range evs {
		gotTypes = append(gotTypes, string(e.Type))
	}
	for _, e := range want {
		wantTypes = append(wantTypes, string(e.Type))
	}
	if strings.Join(gotTypes, ",") != strings.Join(wantTypes, ",") {
		t.Errorf("push delivered %v, want %v", gotTypes, wantTypes)
	}
}

func TestClientServerBusy(t *testing.T) {
	t.Parallel()
	r := newRig(t, sim.Config{})
	r.s.Faults().ServerBusy(1, 2500*time.Millisecond)
	_, err := r.c.GetFolder(r.ctx, ews.Distinguished("inbox"))
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Code != "ErrorServerBusy" || re.BackOff != 2500*time.Millisecond || !re.Fault {
		t.Fatalf("ServerBusy through the client: %v (%+v)", err, re)
	}
	fs, err := r.c.GetFolder(r.ctx, ews.Distinguished("inbox"))
	if err != nil || len(fs) != 1 || fs[0].DisplayName != "Inbox" {
		t.Fatalf("after the busy spell: %v %+v", err, fs)
	}
	if v := r.c.ServerVersion(); v.MajorVersion != 15 || v.Version == "" {
		t.Errorf("server version seen by the client: %+v", v)
	}
}
