package ews

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// A PushListener is the HTTP endpoint Exchange POSTs push notifications
// (SendNotification) to. It answers SendNotificationResult with
// SubscriptionStatus OK to keep a subscription and Unsubscribe to end it —
// how a push subscription is ended (Microsoft, "Push notifications":
// "the client ... responds with a SendNotificationResult ... OK or
// Unsubscribe"). It only accepts notifications on its own URL path, which
// carries a random token, and for subscription ids registered with it; an
// unknown id is answered Unsubscribe (a subscription left from an earlier
// one of ours). Bodies over the envelope cap are refused with 413, bad
// bodies with 400; nothing a client sends can crash it.
type PushListener struct {
	cfg   PushListenerConfig
	ln    net.Listener
	srv   *http.Server
	path  string
	url   string
	clock Clock

	mu    sync.Mutex
	subs  map[string]*pushSub
	stats PushStats
	done  chan struct{}
	wire  wireMeter
}

// PushListenerConfig configures a PushListener.
type PushListenerConfig struct {
	// Listen is the address to listen on (default 127.0.0.1:0: loopback,
	// a free port).
	Listen string
	// PublicURL is the base URL the server can reach the listener at, when
	// it differs from the listen address (NAT, a reverse proxy); the
	// listener adds its path token. Default: http(s)://Listen's address.
	PublicURL string
	// CertFile and KeyFile serve TLS (https) when both are set.
	CertFile, KeyFile string
	// MaxBody is the largest notification body accepted (default
	// DefaultMaxEnvelope).
	MaxBody int64
	// Queue is how many notifications of one subscription may wait for the
	// runner before the listener answers 503 (the server retries later);
	// default 64.
	Queue int
	Clock Clock // default RealClock{}
}

// PushStats counts what the listener received, for the status pane and
// the transport comparison.
type PushStats struct {
	Requests, Notifications, Refused int
	Bytes                            int64
}

// PushDelivery is one Notification the listener accepted, with when it
// arrived and the size of the request that carried it.
type PushDelivery struct {
	Notification Notification
	At           time.Time
	Bytes        int
}

type pushSub struct {
	ch chan PushDelivery
}

// ListenPush starts a push listener; it stops when ctx ends or on Close.
func ListenPush(ctx context.Context, cfg PushListenerConfig) (*PushListener, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxEnvelope
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 64
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("push listener: TLS needs both a certificate and a key file")
	}
	var tlsConf *tls.Config
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("push listener: cannot load the TLS certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("push listener: cannot listen on %s: %w", cfg.Listen, err)
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	l := &PushListener{cfg: cfg, ln: ln, path: "/ewsmon-push/" + hex.EncodeToString(tok[:]), clock: cfg.Clock,
		subs: map[string]*pushSub{}, done: make(chan struct{})}
	base := cfg.PublicURL
	if base == "" {
		scheme := "http"
		if tlsConf != nil {
			scheme = "https"
		}
		base = scheme + "://" + ln.Addr().String()
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ln.Close()
		return nil, fmt.Errorf("push listener: the public URL %q is not an http(s) URL", cfg.PublicURL)
	}
	l.url = u.String() + l.path
	ln = countingListener{Listener: ln, m: &l.wire}
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, TLSConfig: tlsConf,
		ErrorLog: nil}
	go func() {
		if tlsConf != nil {
			_ = l.srv.ServeTLS(ln, "", "")
		} else {
			_ = l.srv.Serve(ln)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			l.Close()
		case <-l.done:
		}
	}()
	return l, nil
}

// URL is the callback URL to give the server in a push Subscribe.
func (l *PushListener) URL() string { return l.url }

// Addr is the address the listener listens on.
func (l *PushListener) Addr() string { return l.ln.Addr().String() }

// Stats is what the listener received so far.
func (l *PushListener) Stats() PushStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Wire is what the listener has moved on the network: notifications
// POSTed to it (Requests), the bytes it received and sent.
func (l *PushListener) Wire() WireStats { return l.wire.stats() }

// Close stops the listener.
func (l *PushListener) Close() error {
	l.mu.Lock()
	select {
	case <-l.done:
		l.mu.Unlock()
		return nil
	default:
		close(l.done)
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return l.srv.Shutdown(ctx)
}

// register accepts notifications for a subscription id and returns where
// they arrive.
func (l *PushListener) register(id string) <-chan PushDelivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &pushSub{ch: make(chan PushDelivery, l.cfg.Queue)}
	l.subs[id] = s
	return s.ch
}

// forget stops accepting a subscription id: its next notification is
// answered Unsubscribe.
func (l *PushListener) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs, id)
}

// ServeHTTP handles one SendNotification.
func (l *PushListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.stats.Requests++
	l.mu.Unlock()
	l.wire.requests.Add(1)
	refuse := func(code int, msg string) {
		l.mu.Lock()
		l.stats.Refused++
		l.mu.Unlock()
		http.Error(w, msg, code)
	}
	switch {
	case r.URL.Path != l.path:
		refuse(http.StatusNotFound, "404 not found")
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "405 push notifications are POSTed")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, l.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("413 the notification exceeds %s", sizeText(l.cfg.MaxBody)))
			return
		}
		refuse(http.StatusBadRequest, "400 the notification could not be read")
		return
	}
	ns, err := parseSendNotification(raw, l.cfg.MaxBody)
	if err != nil {
		refuse(http.StatusBadRequest, "400 "+err.Error())
		return
	}
	status, busy := l.accept(ns, len(raw))
	if busy {
		refuse(http.StatusServiceUnavailable, "503 the listener is behind; retry later")
		return
	}
	l.mu.Lock()
	l.stats.Bytes += int64(len(raw))
	l.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, sendNotificationResult(status))
}

// accept hands the notifications to their subscriptions' runners and says
// what to answer: Unsubscribe if any is for an id not (or no longer)
// registered (forget). busy: a runner is too far behind.
func (l *PushListener) accept(ns []Notification, size int) (status string, busy bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	status = "OK"
	now := l.clock.Now()
	for _, n := range ns {
		s := l.subs[n.SubscriptionId]
		if s == nil {
			status = "Unsubscribe"
			continue
		}
		if len(s.ch) == cap(s.ch) {
			return "", true
		}
	}
	for _, n := range ns {
		s := l.subs[n.SubscriptionId]
		if s == nil {
			continue
		}
		s.ch <- PushDelivery{Notification: n, At: now, Bytes: size}
		l.stats.Notifications++
	}
	return status, false
}

// parseSendNotification reads the Notifications of a SendNotification
// request body.
func parseSendNotification(raw []byte, limit int64) ([]Notification, error) {
	env, err := parseOne(raw, limit)
	if err != nil {
		return nil, fmt.Errorf("the body is not an EWS envelope: %v", err)
	}
	b := env.Body
	if b == nil || !b.Is("SendNotification") {
		return nil, errors.New("the body is not a SendNotification")
	}
	var out []Notification
	for _, m := range b.Child("ResponseMessages").Elements() {
		if !isEWS(m.Space) {
			continue
		}
		for _, n := range m.Children("Notification") {
			nt := parseNotification(n)
			if nt.SubscriptionId == "" {
				return nil, errors.New("a Notification without a SubscriptionId")
			}
			out = append(out, nt)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the SendNotification holds no Notification")
	}
	return out, nil
}

// sendNotificationResult is the listener's answer (messages.xsd
// SendNotificationResultType).
func sendNotificationResult(status string) string {
	return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		`<SendNotificationResult xmlns="` + NSMessages + `"><SubscriptionStatus>` + status + `</SubscriptionStatus></SendNotificationResult>` +
		`</soap:Body></soap:Envelope>`
}
