package ews

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakeEWS is an httptest server on 127.0.0.1 that answers EWS requests
// with real response XML, chosen per operation by the test. It records
// every request.
type fakeEWS struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	reqs     []*fakeReq
	handlers map[string]func(w http.ResponseWriter, r *fakeReq)
	notify   chan *fakeReq // every request, if non-nil (buffered)
}

type fakeReq struct {
	Op     string // the Body element's local name: "Subscribe", ...
	Header http.Header
	Body   *node // the Body element
	Raw    []byte
	Remote string // client address: which connection carried it
	http   *http.Request
}

func newFakeEWS(t testing.TB) *fakeEWS {
	f := &fakeEWS{t: t, handlers: map[string]func(http.ResponseWriter, *fakeReq){}, notify: make(chan *fakeReq, 1000)}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEWS) URL() string { return f.srv.URL + "/EWS/Exchange.asmx" }

// handle sets the answer to op.
func (f *fakeEWS) handle(op string, h func(w http.ResponseWriter, r *fakeReq)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[op] = h
}

// reply returns a handler that writes body with status 200.
func reply(body string) func(http.ResponseWriter, *fakeReq) {
	return func(w http.ResponseWriter, _ *fakeReq) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, body)
	}
}

func (f *fakeEWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	fr := &fakeReq{Header: r.Header.Clone(), Raw: raw, Remote: r.RemoteAddr, http: r}
	if root, err := newElementReader(bytes.NewReader(raw), 0).next(); err == nil {
		if env, err := parseEnvelope(root); err == nil && env.Body != nil {
			fr.Op, fr.Body = env.Body.Local, env.Body
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, fr)
	h := f.handlers[fr.Op]
	f.mu.Unlock()
	if f.notify != nil {
		select {
		case f.notify <- fr:
		default:
		}
	}
	if h == nil {
		http.Error(w, "no handler for "+fr.Op, http.StatusNotImplemented)
		return
	}
	h(w, fr)
}

// requests returns the requests of op received so far.
func (f *fakeEWS) requests(op string) []*fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeReq
	for _, r := range f.reqs {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeEWS) client(t testing.TB, cfg Config) *Client {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = f.URL()
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}
