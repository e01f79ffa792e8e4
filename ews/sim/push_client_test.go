package sim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// pushRig: the simulator, the real client's push listener and its runner.
type pushRig struct {
	t       *testing.T
	ctx     context.Context
	srv     *Server
	c       *ews.Client
	l       *ews.PushListener
	updates <-chan ews.Update
	stop    context.CancelFunc
}

func newPushRig(t *testing.T, cfg Config, lcfg ews.PushListenerConfig, wcfg ews.WatchConfig) *pushRig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	srv, err := Start(ctx, cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ccfg := ews.Config{URL: srv.URL(), Auth: ews.AuthNone, HTTPTimeout: 10 * time.Second}
	if cfg.Clock != nil {
		ccfg.Clock = cfg.Clock
		lcfg.Clock = cfg.Clock
	}
	c, err := ews.NewClient(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ews.ListenPush(ctx, lcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	wctx, stop := context.WithCancel(ctx)
	wcfg.Mode, wcfg.Push = ews.ModePush, l
	r := &pushRig{t: t, ctx: ctx, srv: srv, c: c, l: l, updates: c.Watch(wctx, wcfg), stop: stop}
	t.Cleanup(func() {
		stop()
		for range r.updates {
		}
	})
	return r
}

// until reads updates until f says so, with a deadline that only bounds a
// hang.
func (r *pushRig) until(what string, f func(ews.Update) bool) ews.Update {
	r.t.Helper()
	for {
		select {
		case u, ok := <-r.updates:
			if !ok {
				r.t.Fatalf("updates ended waiting for %s", what)
			}
			if u.State == ews.StateError {
				r.t.Fatalf("runner error waiting for %s: %v", what, u.Err)
			}
			if f(u) {
				return u
			}
		case <-r.ctx.Done():
			r.t.Fatalf("no %s before the deadline", what)
		}
	}
}

func (r *pushRig) events(n int) []ews.Event {
	r.t.Helper()
	var got []ews.Event
	r.until("events", func(u ews.Update) bool {
		for _, e := range u.Events {
			if e.Type != ews.StatusEvent {
				got = append(got, e)
			}
		}
		return len(got) >= n
	})
	return got
}

func (s *Server) liveSubs(kind subKind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sub := range s.subs {
		if sub.kind == kind {
			n++
		}
	}
	return n
}

// Push end to end: the runner subscribes with the listener's URL, events
// arrive with watermarks, and quitting ends the subscription on the server
// (the listener answers Unsubscribe to its next notification).
func TestPushWatchEndToEnd(t *testing.T) {
	t.Parallel()
	r := newPushRig(t, Config{}, ews.PushListenerConfig{}, ews.WatchConfig{})
	open := r.until("open", func(u ews.Update) bool { return u.State == ews.StateOpen })
	if open.Deadlines.NextStatus.IsZero() {
		t.Error("no status countdown")
	}
	if _, err := r.srv.Act(r.ctx, ActionRequest{Action: "new-mail"}); err != nil {
		t.Fatal(err)
	}
	evs := r.events(3)
	if evs[0].Type != ews.CreatedEvent || evs[1].Type != ews.NewMailEvent || evs[0].Watermark == "" {
		t.Fatalf("events %+v", evs)
	}
	if st := r.l.Stats(); st.Notifications < 1 || st.Bytes == 0 {
		t.Errorf("stats %+v", st)
	}
	// What each side moved on the wire: the client's Subscribe (and
	// GetFolder) requests, the notifications POSTed to the listener; the
	// bytes include the HTTP headers, so exceed the bodies.
	if w := r.c.Wire(); w.Requests < 1 || w.BytesSent <= 0 || w.BytesReceived <= 0 {
		t.Errorf("client wire %+v", w)
	}
	// The listener hands the notification to the runner before it writes
	// its answer: the bytes sent are counted a moment after the events
	// arrive (the deadline only bounds a hang).
	for deadline := time.Now().Add(10 * time.Second); r.l.Wire().BytesSent <= 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if w, st := r.l.Wire(), r.l.Stats(); w.Requests < 1 || w.BytesReceived <= st.Bytes || w.BytesSent <= 0 {
		t.Errorf("listener wire %+v, stats %+v", w, st)
	}
	r.stop()
	for range r.updates {
	}
	if n := r.srv.liveSubs(kindPush); n != 1 {
		t.Fatalf("%d push subscriptions before the next notification", n)
	}
	// The next notification is answered Unsubscribe: the server ends it.
	if _, err := r.srv.Act(r.ctx, ActionRequest{Action: "new-mail"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.srv.liveSubs(kindPush) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the push subscription outlived the runner")
		}
		time.Sleep(10 * time.Millisecond) // bounded by the deadline above
	}
}

// The listener accepts only its own path, POSTs, registered subscription
// ids and bodies under the cap; a bad body is an HTTP error, never a crash.
func TestPushListenerRefuses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := ews.ListenPush(ctx, ews.PushListenerConfig{MaxBody: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	post := func(url, body string) (int, string) {
		resp, err := http.Post(url, "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	notif := func(id string) string {
		var b strings.Builder
		sub := &subscription{id: id, mb: &mailbox{}}
		notificationXML(&b, "Notification", sub, 0, false, nil, true, 0)
		return string(sendNotificationDoc("Exchange2013", b.String()))
	}
	base := "http://" + l.Addr()
	if code, _ := post(base+"/ewsmon-push/wrongtoken", notif("x")); code != 404 {
		t.Errorf("wrong path: %d", code)
	}
	if resp, err := http.Get(l.URL()); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET: %v %v", err, resp)
	}
	if code, body := post(l.URL(), notif("EAMAAAAAAAAAAAAB")); code != 200 || !strings.Contains(body, "<SubscriptionStatus>Unsubscribe</SubscriptionStatus>") {
		t.Errorf("unknown subscription: %d %s", code, body)
	}
	if code, _ := post(l.URL(), strings.Repeat("<a>", 30000)); code != 413 {
		t.Errorf("oversized: %d", code)
	}
	for _, bad := range []string{"", "not xml", "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/></soap:Envelope>",
		`<?xml version="1.0"?><x:y xmlns:x="urn:z">`, notif("")} {
		if code, _ := post(l.URL(), bad); code != 400 {
			t.Errorf("bad body %.40q: %d", bad, code)
		}
	}
	v := newValidator(t)
	_, body := post(l.URL(), notif("EAMAAAAAAAAAAAAB"))
	v.add("SendNotificationResult", []byte(body))
}

// A listener that stops answering: the server retries and drops the
// subscription; the runner, seeing no StatusEvent past StatusFrequency and
// the grace, resubscribes from its watermark, and what happened meanwhile
// arrives (no gap: push resumes from the watermark).
func TestPushListenerSilenceResubscribes(t *testing.T) {
	t.Parallel()
	clock := ews.NewFakeClock(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The server reaches the listener through a gate that, closed, refuses
	// every connection: a listener that stopped answering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lAddr := ln.Addr().String()
	ln.Close()
	g := newGate(t, ctx, lAddr)
	lcfg := ews.PushListenerConfig{Listen: lAddr, PublicURL: "http://" + g.addr()}
	r := newPushRig(t, Config{Clock: clock, PushClient: &http.Client{Timeout: 5 * time.Second}}, lcfg, ews.WatchConfig{StatusFrequency: 1})
	first := r.until("open", func(u ews.Update) bool { return u.State == ews.StateOpen })
	if _, err := r.srv.Act(r.ctx, ActionRequest{Action: "new-mail"}); err != nil {
		t.Fatal(err)
	}
	r.events(3)
	g.set(false)
	if _, err := r.srv.Act(r.ctx, ActionRequest{Action: "mark-read"}); err != nil {
		t.Fatal(err)
	}
	// Past StatusFrequency and the grace on the client's clock; the
	// server's retries fail meanwhile and it drops the subscription.
	var again ews.Update
	for again.SubscriptionId == "" {
		clock.Advance(30 * time.Second)
		select {
		case u := <-r.updates:
			if u.State == ews.StateOpen && u.SubscriptionId != "" && u.SubscriptionId != first.SubscriptionId {
				again = u
			}
		case <-time.After(50 * time.Millisecond): // the loop ends by the rig's deadline at worst
		case <-r.ctx.Done():
			t.Fatal("no new subscription before the deadline")
		}
	}
	if again.Gaps != 0 {
		t.Errorf("%d gaps: push resumes from the watermark", again.Gaps)
	}
	// The server drops the silent one once its retries have failed for
	// StatusFrequency (it may lag the runner a little).
	for i := 0; r.srv.liveSubs(kindPush) != 1; i++ {
		if i == 100 {
			t.Fatalf("%d push subscriptions: the server kept the silent one", r.srv.liveSubs(kindPush))
		}
		clock.Advance(30 * time.Second)
		time.Sleep(20 * time.Millisecond) // bounded: 100 rounds
	}
	// The listener answers again: the mark-read made while it was silent
	// comes through the new subscription (the server retries it).
	g.set(true)
	done := make(chan []ews.Event)
	go func() { done <- r.events(2) }()
	var evs []ews.Event
	for evs == nil {
		select {
		case evs = <-done:
		case <-time.After(50 * time.Millisecond):
			clock.Advance(30 * time.Second) // the server's retry backoff
		}
	}
	if evs[0].Type != ews.ModifiedEvent {
		t.Errorf("after resubscribing: %+v", evs)
	}
}

// gate forwards TCP connections to target while open; closing it drops the
// open ones (the server's client keeps connections alive) and it then
// accepts and closes new ones at once.
type gate struct {
	ln    net.Listener
	mu    chan struct{} // holds the state
	open  bool
	conns map[net.Conn]bool
}

func newGate(t *testing.T, ctx context.Context, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, mu: make(chan struct{}, 1), open: true, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !g.track(c) {
				c.Close()
				continue
			}
			go func() {
				defer g.untrack(c)
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go func() { _, _ = io.Copy(d, c); d.Close() }()
				_, _ = io.Copy(c, d)
			}()
		}
	}()
	return g
}

func (g *gate) addr() string { return g.ln.Addr().String() }

func (g *gate) set(open bool) {
	g.mu <- struct{}{}
	g.open = open
	if !open {
		for c := range g.conns {
			c.Close()
		}
	}
	<-g.mu
}

// track remembers an accepted connection while the gate is open.
func (g *gate) track(c net.Conn) bool {
	g.mu <- struct{}{}
	defer func() { <-g.mu }()
	if g.open {
		g.conns[c] = true
	}
	return g.open
}

func (g *gate) untrack(c net.Conn) {
	g.mu <- struct{}{}
	delete(g.conns, c)
	<-g.mu
}

// A notification whose PreviousWatermark is not the last one received
// means one was missed: a gap, and a new subscription from the watermark.
func TestPushPreviousWatermarkMismatchIsAGap(t *testing.T) {
	t.Parallel()
	r := newPushRig(t, Config{}, ews.PushListenerConfig{}, ews.WatchConfig{})
	open := r.until("open", func(u ews.Update) bool { return u.State == ews.StateOpen })
	var b strings.Builder
	mb := r.srv.mailboxes[0]
	r.srv.mu.Lock()
	sub := &subscription{id: open.SubscriptionId, mb: mb}
	notificationXML(&b, "Notification", sub, mb.head()+1000, false, nil, true, mb.head()+1000)
	r.srv.mu.Unlock()
	resp, err := http.Post(r.l.URL(), "text/xml", strings.NewReader(string(sendNotificationDoc("Exchange2013", b.String()))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u := r.until("a gap", func(u ews.Update) bool { return u.Gap != nil })
	if !strings.Contains(u.Gap.Reason, "PreviousWatermark") {
		t.Errorf("gap reason %q", u.Gap.Reason)
	}
	r.until("a new subscription", func(u ews.Update) bool {
		return u.State == ews.StateOpen && u.SubscriptionId != open.SubscriptionId
	})
}

// TLS: the listener serves https with a certificate; the server posts to it.
func TestPushListenerTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := testCert(t)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	r := newPushRig(t, Config{PushClient: client}, ews.PushListenerConfig{CertFile: certFile, KeyFile: keyFile}, ews.WatchConfig{})
	if !strings.HasPrefix(r.l.URL(), "https://") {
		t.Fatalf("URL %s", r.l.URL())
	}
	r.until("open", func(u ews.Update) bool { return u.State == ews.StateOpen })
	if _, err := r.srv.Act(r.ctx, ActionRequest{Action: "new-mail"}); err != nil {
		t.Fatal(err)
	}
	r.events(3)
}

// testCert writes a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ewsmon test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// The retry schedule of a failing listener, on the fake clock: the first
// try, then retries at 30 s, 1 min, 2 min and 4 min after it (Microsoft's
// StatusFrequency table); the retry at 8 min is past StatusFrequency (5
// min) and not sent: the subscription is dropped.
func TestPushRetryScheduleFollowsMicrosoftsTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	start := e.clock.Now()
	var mu sync.Mutex
	var at []time.Duration
	ls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		at = append(at, e.clock.Now().Sub(start))
		mu.Unlock()
		http.Error(w, "listener down", http.StatusInternalServerError)
	}))
	defer ls.Close()
	_, doc := e.post(soap(`<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"/></t:FolderIds>` + allTypes + `<t:StatusFrequency>5</t:StatusFrequency><t:URL>` + ls.URL + `/push</t:URL></m:PushSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "NoError")
	attempts := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(at)
	}
	e.act("new-mail", "inbox")
	for deadline := time.Now().Add(10 * time.Second); attempts() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
		time.Sleep(5 * time.Millisecond) // bounded by the deadline
	}
	// The worker now waits for its retry (and its status timer).
	if !e.clock.WaitForWaiters(2, 10*time.Second) {
		t.Fatal("the push worker does not wait for a retry")
	}
	steady := e.clock.Waiters()
	for e.clock.Now().Sub(start) < 10*time.Minute && e.s.liveSubs(kindPush) > 0 {
		before := attempts()
		e.clock.Advance(10 * time.Second)
		// Wait until the worker is back waiting (it posted if a retry was
		// due): the attempt's recorded time is then exact.
		for deadline := time.Now().Add(10 * time.Second); e.clock.Waiters() < steady && e.s.liveSubs(kindPush) > 0; {
			if time.Now().After(deadline) {
				t.Fatalf("the push worker is stuck after %d attempts", before)
			}
			time.Sleep(time.Millisecond) // bounded by the deadline
		}
	}
	want := []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	mu.Lock()
	got := append([]time.Duration(nil), at...)
	mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("attempts at %v, want %v (the 8 min retry is past StatusFrequency)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("attempts at %v, want %v", got, want)
		}
	}
	if n := e.s.liveSubs(kindPush); n != 0 {
		t.Errorf("%d push subscriptions left", n)
	}
}

// PushMinute compresses StatusFrequency: with a minute lasting 50 ms, an
// idle push subscription at StatusFrequency 1 gets StatusEvents every 50 ms
// (the deadline only bounds a hang).
func TestPushMinuteCompressesStatusFrequency(t *testing.T) {
	t.Parallel()
	r := newPushRig(t, Config{PushMinute: 50 * time.Millisecond}, ews.PushListenerConfig{}, ews.WatchConfig{StatusFrequency: 1})
	r.until("open", func(u ews.Update) bool { return u.State == ews.StateOpen })
	beats := 0
	r.until("three StatusEvents", func(u ews.Update) bool {
		for _, e := range u.Events {
			if e.Type == ews.StatusEvent {
				beats++
			}
		}
		return beats >= 3
	})
}

// A runner watching a simulator whose minute is compressed uses the same
// minute (WatchConfig.StatusMinute): after a restart drops its push
// subscription, silence for twice StatusFrequency — two simulated
// minutes, 1.2 s — is a lost subscription, and the new one, made from the
// last watermark, delivers the mail that came meanwhile: late, not lost.
func TestPushSilenceOnACompressedMinute(t *testing.T) {
	t.Parallel()
	minute := 600 * time.Millisecond
	r := newPushRig(t, Config{PushMinute: minute}, ews.PushListenerConfig{}, ews.WatchConfig{StatusFrequency: 1, StatusMinute: minute})
	first := r.until("open", func(u ews.Update) bool { return u.State == ews.StateOpen })
	if d := first.Deadlines.NextStatus.Sub(first.At); d > 2*minute+time.Second {
		t.Errorf("lost if silent in %v, want twice the simulated minute", d)
	}
	if n := r.srv.Faults().Restart(); n == 0 {
		t.Fatal("the restart dropped no subscription")
	}
	res, err := r.srv.Act(r.ctx, ActionRequest{Action: "new-mail"})
	if err != nil {
		t.Fatal(err)
	}
	r.until("the lost subscription", func(u ews.Update) bool { return u.State == ews.StateExpired })
	var got []ews.Event
	r.until("the mail from the new subscription", func(u ews.Update) bool {
		if u.Gap != nil {
			t.Errorf("a gap %+v: the history was kept, the watermark resumes", u.Gap)
		}
		got = append(got, u.Events...)
		for _, e := range got {
			if e.Type == ews.NewMailEvent && e.ItemId == res.Events[0].ItemId {
				return true
			}
		}
		return false
	})
	if u := r.until("open again", func(u ews.Update) bool { return u.State == ews.StateOpen }); u.SubscriptionId == first.SubscriptionId {
		t.Errorf("still subscription %s", u.SubscriptionId)
	}
}
