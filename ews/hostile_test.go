package ews

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile or misconfigured servers: each answer is one sentence naming the
// URL, with the right retry decision.
func TestHostileServerSentences(t *testing.T) {
	f := newFakeEWS(t)
	var loginHits atomic.Int32
	cases := []struct {
		name    string
		auth    AuthKind
		h       func(http.ResponseWriter, *fakeReq)
		want    string // the whole sentence, after the URL is put in for %URL%
		fatal   bool
		retryIn time.Duration
	}{
		{"redirect to a sign-in page", AuthBasic, func(w http.ResponseWriter, r *fakeReq) {
			if r.http.Method == http.MethodGet {
				loginHits.Add(1)
				_, _ = io.WriteString(w, "<html>Sign in</html>")
				return
			}
			http.Redirect(w, r.http, "/owa/auth/logon.aspx", http.StatusFound)
		}, "%URL% redirects to %HOST%/owa/auth/logon.aspx (HTTP 302): give the EWS URL itself; a sign-in page there means EWS sits behind a web login", true, 0},
		{"Kerberos only", AuthNTLM, func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("WWW-Authenticate", "Negotiate")
			w.WriteHeader(http.StatusUnauthorized)
		}, "%URL% does not accept ntlm authentication (HTTP 401; it offers negotiate): ewsmon speaks basic, ntlm and bearer; ask for one of them to be enabled on the EWS virtual directory", true, 0},
		{"NTLM only, basic given", AuthBasic, func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", "NTLM")
			w.WriteHeader(http.StatusUnauthorized)
		}, "%URL% does not accept basic authentication (HTTP 401; it offers negotiate, ntlm): use --auth ntlm", true, 0},
		{"basic offered, wrong password", AuthBasic, func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("WWW-Authenticate", `Basic realm="a, b", charset="UTF-8"`)
			w.WriteHeader(http.StatusUnauthorized)
		}, "authentication failed for alice at %URL%: check user and password", true, 0},
		{"answer cut off", AuthBasic, func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("Content-Length", "10000")
			_, _ = io.WriteString(w, getFolderResponse[:100])
		}, "the answer from %URL% was cut off: the connection closed before its end", false, 0},
		{"503 with Retry-After", AuthBasic, func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "server error at %URL%: HTTP 503 Service Unavailable (retry after 2m0s)", false, 2 * time.Minute},
		{"503 with a silly Retry-After", AuthBasic, func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("Retry-After", "99999999999")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "server error at %URL%: HTTP 503 Service Unavailable (retry after 1h0m0s)", false, time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.handle("GetFolder", tc.h)
			f.handle("", tc.h) // the GET a followed redirect would send
			c := f.client(t, Config{Auth: tc.auth, User: "alice", Password: "x"})
			_, err := c.GetFolder(context.Background(), Distinguished("inbox"))
			want := strings.NewReplacer("%URL%", f.URL(), "%HOST%", f.srv.URL).Replace(tc.want)
			if err == nil || err.Error() != want {
				t.Fatalf("got  %v\nwant %s", err, want)
			}
			var te *TransportError
			if !errors.As(err, &te) || te.Fatal() != tc.fatal || te.RetryAfter != tc.retryIn {
				t.Errorf("%#v: want fatal %v, RetryAfter %v", te, tc.fatal, tc.retryIn)
			}
		})
	}
	if n := loginHits.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times (the SOAP request re-sent as a GET)", n)
	}
}

// A gzip-encoded answer (the transport asks for it) is read as usual.
func TestGzipResponse(t *testing.T) {
	f := newFakeEWS(t)
	f.handle("GetFolder", func(w http.ResponseWriter, r *fakeReq) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		_, _ = io.WriteString(gz, getFolderResponse)
		_ = gz.Close()
	})
	fs, err := f.client(t, Config{}).GetFolder(context.Background(), Distinguished("inbox"))
	if err != nil || len(fs) != 1 {
		t.Fatalf("%v %v", fs, err)
	}
}

// A server that takes a GetStreamingEvents request and never answers it
// must not hang the runner: after the client's HTTP timeout it reconnects.
func TestStreamingNoResponseHeaders(t *testing.T) {
	base := runtime.NumGoroutine()
	var conns atomic.Int32
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		conns.Add(1)
		hold(r)
	})
	c := ws.client(t, Config{HTTPTimeout: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	u := waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	if u.Err == nil || !strings.HasPrefix(u.Err.Error(), "no answer from "+ws.URL()+" in time") {
		t.Errorf("reconnecting: %v", u.Err)
	}
	finish(t, cancel, ch)
	noLeak(t, base, c, ws)
}

// Retry-After on a 503 is waited for before the next attempt.
func TestRetryAfterIsHonoured(t *testing.T) {
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		_, _ = io.WriteString(w, statusEnvelope("OK"))
		flush()
		hold(r)
	})
	var subs atomic.Int32
	ws.handle("Subscribe", func(w http.ResponseWriter, r *fakeReq) {
		if subs.Add(1) == 1 {
			w.Header().Set("Retry-After", "300")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		reply(subscribeResponse("sub-1", ""))(w, r)
	})
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting })
	if !clock.WaitForWaiters(1, 10*time.Second) {
		t.Fatal("the runner is not waiting")
	}
	clock.Advance(299 * time.Second)
	if n := subs.Load(); n != 1 {
		t.Fatalf("subscribed again before Retry-After passed (%d)", n)
	}
	clock.Advance(time.Second)
	waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
	finish(t, cancel, ch)
}

// A server that ends every stream at once (with Closed, or by forgetting
// the subscription) is not hammered: the first reconnect is at once, then
// the runner waits 1s, 2s … between connections.
func TestStreamsEndingAtOnceArePaced(t *testing.T) {
	for _, end := range []string{"Closed", "ErrorSubscriptionNotFound"} {
		t.Run(end, func(t *testing.T) {
			base := runtime.NumGoroutine()
			clock := NewFakeClock(time.Unix(1e9, 0))
			start := clock.Now()
			var mu sync.Mutex
			var at []time.Duration // clock time of each connection, from start
			ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
				mu.Lock()
				at = append(at, clock.Now().Sub(start))
				mu.Unlock()
				_, _ = io.WriteString(w, statusEnvelope("OK"))
				if end == "Closed" {
					_, _ = io.WriteString(w, statusEnvelope("Closed"))
				} else {
					sub := strings.TrimSpace(r.Body.Child("SubscriptionIds").Child("SubscriptionId").Text)
					_, _ = io.WriteString(w, streamErrorEnvelope(end, sub))
				}
			})
			c := ws.client(t, Config{Clock: clock})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := c.Watch(ctx, WatchConfig{})
			advanceUntil(t, clock, ch, "five connections", func(Update) bool {
				mu.Lock()
				defer mu.Unlock()
				return len(at) >= 5
			})
			finish(t, cancel, ch)
			mu.Lock()
			defer mu.Unlock()
			// at once three times, then 250ms, 500ms later.
			for i, min := range []time.Duration{0, 0, 0, 250 * time.Millisecond, 750 * time.Millisecond} {
				if at[i] < min {
					t.Errorf("connection %d at +%v, want not before +%v (all: %v)", i+1, at[i], min, at)
				}
			}
			noLeak(t, base, c, ws)
		})
	}
}

// Saved files in the wrong encoding are one clear error, not silently
// dropped elements.
func TestDecodeEncodingErrors(t *testing.T) {
	good := []byte(statusEnvelope("OK"))
	bad := bytes.Replace(good, []byte("ConnectionStatus>OK"), []byte("ConnectionStatus>O\xffK"), 1)
	k := bytes.IndexByte(bad, 0xff)
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range good {
		utf16 = append(utf16, c, 0)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"invalid UTF-8", append(append([]byte{}, good...), bad...), fmt.Sprintf("at byte %d: not well-formed XML: invalid UTF-8", len(good)+k)},
		{"UTF-16", utf16, "at byte 0: the input is UTF-16; EWS XML is read as UTF-8 (convert it, e.g. iconv -f UTF-16 -t UTF-8)"},
	} {
		var recs []Record
		err := Decode(bytes.NewReader(tc.in), func(r Record) { recs = append(recs, r) })
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
		if tc.name == "invalid UTF-8" && len(recs) != 1 {
			t.Errorf("%s: the good envelope before is still decoded: %+v", tc.name, recs)
		}
	}
	// The stream reader says the same.
	_, err := NewStreamReader(bytes.NewReader(bad), 0).Next()
	if err == nil || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Errorf("stream: %v", err)
	}
}

// A server that always says MoreEvents but gives nothing new (no events,
// or the same watermark again) is polled at the interval, not in a loop.
func TestPullMoreEventsWithoutProgress(t *testing.T) {
	for name, events := range map[string]string{"no events": "", "same watermark": pullEvent("ModifiedEvent", "WM-sub-1", "a")} {
		t.Run(name, func(t *testing.T) {
			ws := newWatchServer(t, nil)
			ws.handle("GetEvents", reply(getEventsResponse("sub-1", "WM-sub-1", true, events)))
			clock := NewFakeClock(time.Unix(1e9, 0))
			c := ws.client(t, Config{Clock: clock})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := c.Watch(ctx, WatchConfig{Mode: ModePull, PollInterval: 5 * time.Second})
			waitUpdate(t, ch, "open", func(u Update) bool { return u.State == StateOpen })
			// Three polls, each a poll interval after the one before.
			for i := 0; i < 3; i++ {
				u := advanceUntil(t, clock, ch, "a poll", func(u Update) bool { return u.State == StateOpen })
				if want := clock.Now().Add(5 * time.Second); !u.Deadlines.NextPoll.Equal(want) {
					t.Fatalf("poll %d: next poll at %v, want %v (the interval)", i+1, u.Deadlines.NextPoll, want)
				}
			}
			if n, elapsed := len(ws.requests("GetEvents")), clock.Now().Sub(time.Unix(1e9, 0)); n > int(elapsed/(5*time.Second))+1 {
				t.Errorf("%d GetEvents in %v of clock time", n, elapsed)
			}
			finish(t, cancel, ch)
		})
	}
}

// A raw saved streaming response (Fiddler "Save Raw") keeps its chunk-size
// lines; decode reads through them.
func TestDecodeChunkedHTTPMessage(t *testing.T) {
	envs := []string{statusEnvelope("OK"), newMailEnvelope("sub-1", "item-1"), statusEnvelope("OK")}
	var body strings.Builder
	for _, e := range envs {
		// Split each envelope over two chunks, like a server may.
		for _, part := range []string{e[:len(e)/2], e[len(e)/2:]} {
			fmt.Fprintf(&body, "%x\r\n%s\r\n", len(part), part)
		}
	}
	whole := "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n" + body.String() + "0\r\n\r\n"
	decode := func(in string) ([]string, error) {
		var types []string
		err := Decode(strings.NewReader(in), func(r Record) { types = append(types, r.Type) })
		return types, err
	}
	types, err := decode(whole)
	if err != nil || strings.Join(types, " ") != "ConnectionStatus CreatedEvent NewMailEvent ConnectionStatus" {
		t.Fatalf("chunked: %v %v", types, err)
	}
	// Cut inside the last envelope: the others still decode, and the error
	// says cut off.
	cut := whole[:strings.LastIndex(whole, "ConnectionStatus>OK")]
	types, err = decode(cut)
	if strings.Join(types, " ") != "ConnectionStatus CreatedEvent NewMailEvent" || err == nil || !strings.Contains(err.Error(), "input is cut off") {
		t.Errorf("cut: %v %v", types, err)
	}
}

// An envelope of many elements (within the element bound) costs memory in
// proportion: the node pool used to be a growing slice that copied itself
// at each growth while the tree kept every old copy alive (345 MiB here).
// The bound scales with the envelope limit, so that a 16 MiB envelope of
// empty elements costs a tree of about 16 MiB, not 60.
func TestManyElementsMemory(t *testing.T) {
	n := elementBound(DefaultMaxEnvelope) - 10
	if n < 100_000 {
		t.Fatalf("element bound %d: too low for a big SyncFolderHierarchy", n)
	}
	in := []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` + strings.Repeat("<a/>", n) + `</s:Body></s:Envelope>`)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	root, err := newElementReader(bytes.NewReader(in), 0).next()
	runtime.ReadMemStats(&after)
	if err != nil || len(root.Kids[0].Kids) != n {
		t.Fatalf("%v", err)
	}
	if mib := (after.TotalAlloc - before.TotalAlloc) >> 20; mib > 32 {
		t.Errorf("reading %d elements allocated %d MiB", n, mib)
	}
	// Past the bound: one sentence, not a bigger tree.
	over := []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` + strings.Repeat("<a/>", n+20) + `</s:Body></s:Envelope>`)
	_, err = newElementReader(bytes.NewReader(over), 0).next()
	if want := fmt.Sprintf("more than %d elements in one envelope", n+10); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("over the bound: %v, want %q", err, want)
	}
}

// allocated runs f and returns how many bytes the process allocated
// meanwhile (the test server's share included, which only makes the
// bound stricter).
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hostileBound is what reading one hostile answer may allocate, with the
// default 16 MiB limit: the answer's buffer up to the limit, grown by
// doubling (about twice the limit in all), and change.
const hostileBound = 48 << 20

// endlessBody writes head, then item again and again until the client
// goes away (or the test ends).
func endlessBody(w io.Writer, r *fakeReq, head, item string) {
	flusher, _ := w.(http.Flusher)
	_, _ = io.WriteString(w, head)
	block := []byte(strings.Repeat(item, (32<<10)/len(item)+1))
	for r.http.Context().Err() == nil {
		if _, err := w.Write(block); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// The start of a GetFolder answer whose DisplayName never ends.
var getFolderOpen = getFolderResponse[:strings.Index(getFolderResponse, "<DisplayName>")+len("<DisplayName>")]

// An ordinary answer that never ends (chunked, or with a Content-Length of
// a gigabyte, or gzip that inflates without end) is read up to the
// envelope limit and no further: one sentence, bounded memory, retried
// (not fatal: a server may send one such answer by mistake).
func TestHostileAnswerSize(t *testing.T) {
	text := strings.Repeat("a", 1024)
	cases := []struct {
		name string
		h    func(http.ResponseWriter, *fakeReq)
	}{
		{"endless text node", func(w http.ResponseWriter, r *fakeReq) {
			endlessBody(w, r, getFolderOpen, text)
		}},
		{"Content-Length 1 GiB", func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("Content-Length", fmt.Sprint(1<<30))
			endlessBody(w, r, getFolderOpen, text)
		}},
		{"gzip bomb", func(w http.ResponseWriter, r *fakeReq) {
			// The transport asked for gzip (and inflates it): each 32 KiB
			// written here is a few dozen bytes on the wire.
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			endlessBody(gz, r, getFolderOpen, text)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEWS(t)
			f.handle("GetFolder", tc.h)
			c := f.client(t, Config{})
			var err error
			n := allocated(func() { _, err = c.GetFolder(context.Background(), Distinguished("inbox")) })
			want := "the answer from " + f.URL() + " exceeds the 16 MiB envelope limit"
			if err == nil || err.Error() != want {
				t.Fatalf("got  %v\nwant %s", err, want)
			}
			var te *TransportError
			if !errors.As(err, &te) || te.Fatal() || !errors.Is(err, ErrEnvelopeTooLarge) {
				t.Errorf("%#v: want a retried TransportError that Is ErrEnvelopeTooLarge", err)
			}
			if n > hostileBound {
				t.Errorf("reading it allocated %d MiB (bound %d MiB)", n>>20, hostileBound>>20)
			}
		})
	}
}

// A streaming envelope that never closes is read up to the limit: the
// stream ends with an error that says so, after bounded memory; the
// runner takes it as a broken connection and connects again.
func TestHostileEndlessStreamEnvelope(t *testing.T) {
	open := statusEnvelope("OK")
	open = open[:strings.Index(open, "<m:ConnectionStatus>")] + "<m:Notifications>"
	for _, tc := range []struct {
		name, item string
	}{
		// Long ids, and tiny elements (the costliest input per byte for
		// a tree: the element bound used to allow 500,000 nodes, 60 MiB).
		// Neither builds a tree: the reader waits for the envelope's end
		// before it parses, so all it holds is its buffer (twice the limit
		// allocated in all, as it doubles).
		{"long text", "<m:Notification><t:SubscriptionId>" + strings.Repeat("x", 400) + "</t:SubscriptionId></m:Notification>"},
		{"small elements", "<m:Notification><t:SubscriptionId>s</t:SubscriptionId></m:Notification>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
				endlessBody(w, r, open, tc.item)
			})
			c := ws.client(t, Config{})
			sub, err := c.Subscribe(context.Background(), SubscribeRequest{Mode: ModeStreaming})
			if err != nil {
				t.Fatal(err)
			}
			var nextErr error
			n := allocated(func() {
				st, err := c.GetStreamingEvents(context.Background(), GetStreamingEventsRequest{SubscriptionIds: []string{sub.SubscriptionId}, ConnectionTimeout: 30})
				if err != nil {
					nextErr = err
					return
				}
				defer st.Close()
				_, nextErr = st.Next()
			})
			if want := "an envelope exceeds the 16 MiB envelope limit"; nextErr == nil || nextErr.Error() != want || !errors.Is(nextErr, ErrEnvelopeTooLarge) {
				t.Fatalf("Next: %v\nwant %s", nextErr, want)
			}
			if n > hostileBound {
				t.Errorf("reading the stream allocated %d MiB (bound %d MiB)", n>>20, hostileBound>>20)
			}
		})
	}

	// The runner: reconnecting with that sentence, then open again.
	item := "<m:Notification><t:SubscriptionId>" + strings.Repeat("x", 400) + "</t:SubscriptionId></m:Notification>"
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		if n > 1 { // the second connection is well-behaved
			_, _ = io.WriteString(w, statusEnvelope("OK"))
			flush()
			hold(r)
			return
		}
		endlessBody(w, r, open, item)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := ws.client(t, Config{}).Watch(ctx, WatchConfig{})
	u := waitUpdate(t, ch, "reconnecting", func(u Update) bool { return u.State == StateReconnecting || u.State == StateError })
	if want := "the stream from " + ws.URL() + " broke: an envelope exceeds the 16 MiB envelope limit"; u.State != StateReconnecting || u.Err == nil || u.Err.Error() != want {
		t.Fatalf("%s: %v\nwant %s", u.State, u.Err, want)
	}
	waitUpdate(t, ch, "open again", func(u Update) bool { return u.State == StateOpen })
	finish(t, cancel, ch)
}

// An endpoint whose first answer is a web page or HTTP 501 is not EWS: one
// fatal sentence (as 404 is). Once the URL has answered as EWS, the same
// answers are a passing fault (a proxy's error page) and are retried.
func TestNotEWSFirstAnswer(t *testing.T) {
	page := func(contentType string) func(http.ResponseWriter, *fakeReq) {
		return func(w http.ResponseWriter, _ *fakeReq) {
			w.Header().Set("Content-Type", contentType)
			_, _ = io.WriteString(w, "\n<!DOCTYPE html>\n<html><body>Welcome to IIS</body></html>")
		}
	}
	notImplemented := func(w http.ResponseWriter, _ *fakeReq) {
		http.Error(w, "not implemented", http.StatusNotImplemented)
	}
	cases := []struct {
		name      string
		h         func(http.ResponseWriter, *fakeReq)
		first     string // the sentence on the first request
		later     string // after a good answer
		laterCode int
	}{
		{"HTML page", page("text/html; charset=utf-8"),
			"%URL% answered with an HTML page, not EWS: check --url, it usually ends in /EWS/Exchange.asmx",
			"GetFolder: the answer from %URL% is not an EWS response: not well-formed XML: DTDs and declarations are not accepted", 0},
		{"HTML page labelled text/xml", page("text/xml"),
			"%URL% answered with an HTML page, not EWS: check --url, it usually ends in /EWS/Exchange.asmx",
			"GetFolder: the answer from %URL% is not an EWS response: not well-formed XML: DTDs and declarations are not accepted", 0},
		{"HTTP 501", notImplemented,
			"%URL% answered with HTTP 501 Not Implemented, not EWS: check --url, it usually ends in /EWS/Exchange.asmx",
			"server error at %URL%: HTTP 501 Not Implemented", 501},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEWS(t)
			r := strings.NewReplacer("%URL%", f.URL())
			f.handle("GetFolder", tc.h)
			c := f.client(t, Config{})
			_, err := c.GetFolder(context.Background(), Distinguished("inbox"))
			var te *TransportError
			if err == nil || err.Error() != r.Replace(tc.first) || !errors.As(err, &te) || !te.Fatal() || !isFatal(err) {
				t.Fatalf("first answer: %#v\ngot  %v\nwant %s (fatal)", err, err, r.Replace(tc.first))
			}

			c = f.client(t, Config{})
			f.handle("GetFolder", reply(getFolderResponse))
			if _, err := c.GetFolder(context.Background(), Distinguished("inbox")); err != nil {
				t.Fatal(err)
			}
			f.handle("GetFolder", tc.h)
			_, err = c.GetFolder(context.Background(), Distinguished("inbox"))
			if err == nil || err.Error() != r.Replace(tc.later) || isFatal(err) {
				t.Errorf("later answer: got %v (fatal %v)\nwant %s (retried)", err, isFatal(err), r.Replace(tc.later))
			}
			if te = nil; tc.laterCode != 0 && (!errors.As(err, &te) || te.StatusCode != tc.laterCode) {
				t.Errorf("later answer: %#v, want HTTP %d", err, tc.laterCode)
			}
		})
	}
}

// A call that times out names the URL, whether the server never starts
// its answer or stops in the middle of it. The client's timeout is short;
// the test's own deadline only bounds a hang.
func TestTimeoutNamesURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    func(http.ResponseWriter, *fakeReq)
		want string
	}{
		{"no answer", func(w http.ResponseWriter, r *fakeReq) { hold(r) },
			"no answer from %URL% in time: context deadline exceeded"},
		{"answer stalls", func(w http.ResponseWriter, r *fakeReq) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = io.WriteString(w, getFolderResponse[:200])
			w.(http.Flusher).Flush()
			hold(r)
		}, "no answer from %URL% in time: the answer did not end within 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEWS(t)
			f.handle("GetFolder", tc.h)
			c := f.client(t, Config{HTTPTimeout: 200 * time.Millisecond})
			done := make(chan error, 1)
			go func() {
				_, err := c.GetFolder(context.Background(), Distinguished("inbox"))
				done <- err
			}()
			select {
			case err := <-done:
				want := strings.ReplaceAll(tc.want, "%URL%", f.URL())
				var te *TransportError
				if err == nil || err.Error() != want || !errors.As(err, &te) || te.Fatal() {
					t.Errorf("got  %v\nwant %s (a retried TransportError)", err, want)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("GetFolder hangs past its 200ms timeout")
			}
		})
	}
}
