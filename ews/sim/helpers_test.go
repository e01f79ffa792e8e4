package sim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

const (
	samplesDir = "../../../shared/ews-samples"
	schemaFile = "../../../shared/ews-schema/ews-envelope.xsd"
)

// validator collects every document the simulator sends in a test and
// validates them all with xmllint at the end (one xmllint run per test).
type validator struct {
	t     *testing.T
	dir   string
	mu    sync.Mutex
	n     int
	names map[string]string
}

func newValidator(t *testing.T) *validator {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint is required to validate responses (Debian: apt-get install libxml2-utils): %v", err)
	}
	v := &validator{t: t, dir: t.TempDir(), names: map[string]string{}}
	t.Cleanup(v.run)
	return v
}

// add queues one document for validation.
func (v *validator) add(what string, doc []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	name := filepath.Join(v.dir, fmt.Sprintf("doc%04d.xml", v.n))
	if err := os.WriteFile(name, doc, 0o644); err != nil {
		v.t.Errorf("write %s: %v", name, err)
	}
	v.names[name] = what
}

// addStream queues a GetStreamingEvents envelope. Real servers put
// Notification (and SubscriptionId under ErrorSubscriptionIds) in the m:
// namespace there, while types.xsd says t:; the simulator writes what real
// servers write, so this one documented allowance is rewritten to t: before
// validation. Everything else is validated as sent.
func (v *validator) addStream(what string, doc []byte) {
	s := string(doc)
	s = strings.ReplaceAll(s, "<m:Notification>", "<t:Notification>")
	s = strings.ReplaceAll(s, "</m:Notification>", "</t:Notification>")
	s = errIdsRe.ReplaceAllStringFunc(s, func(m string) string {
		m = strings.ReplaceAll(m, "<m:SubscriptionId>", "<t:SubscriptionId>")
		return strings.ReplaceAll(m, "</m:SubscriptionId>", "</t:SubscriptionId>")
	})
	v.add(what, []byte(s))
}

var errIdsRe = regexp.MustCompile(`<m:ErrorSubscriptionIds>.*?</m:ErrorSubscriptionIds>`)

func (v *validator) run() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.n == 0 {
		return
	}
	args := []string{"--nonet", "--noout", "--schema", schemaFile}
	for i := 1; i <= v.n; i++ {
		args = append(args, filepath.Join(v.dir, fmt.Sprintf("doc%04d.xml", i)))
	}
	out, err := exec.Command("xmllint", args...).CombinedOutput()
	if err == nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "Skipping import") || strings.HasSuffix(line, " validates") || line == "" {
			continue
		}
		for name, what := range v.names {
			if strings.HasPrefix(line, name) {
				line = what + ": " + strings.TrimPrefix(line, name)
			}
		}
		v.t.Errorf("xmllint: %s", line)
	}
}

// env is a test's simulator, its fake clock and validator.
type env struct {
	t     *testing.T
	s     *Server
	clock *ews.FakeClock
	v     *validator
}

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	clk := ews.NewFakeClock(epoch)
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
	})
	return &env{t: t, s: s, clock: clk, v: newValidator(t)}
}

// post sends a SOAP request and returns the response; the body is queued for
// validation when it is XML.
func (e *env) post(body string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	return e.do(true, body, hdr...)
}

// do is post, optionally without validating the answer (for faults that
// corrupt it on purpose).
func (e *env) do(validate bool, body string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.s.URL(), strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if validate && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		e.v.add("response to "+opName(body), data)
	}
	return resp, data
}

func opName(body string) string {
	m := regexp.MustCompile(`<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)`).FindStringSubmatch(body)
	if m == nil {
		return "request"
	}
	return m[1]
}

// soap wraps an operation element in a request envelope as clients write it.
func soap(op string) string {
	return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="` + ews.NSMessages + `" xmlns:t="` + ews.NSTypes + `"><soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header><soap:Body>` + op + `</soap:Body></soap:Envelope>`
}

// field returns the text of the first element with this local name (any
// prefix) in doc.
func field(doc []byte, local string) string {
	m := regexp.MustCompile(`<(?:\w+:)?` + local + `(?:\s[^>]*)?>([^<]*)</`).FindSubmatch(doc)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func fields(doc []byte, local string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<(?:\w+:)?`+local+`(?:\s[^>]*)?>([^<]*)</`).FindAllSubmatch(doc, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// eventTypes lists the event element names in a notification, in order.
func eventTypes(doc []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<t:(\w+Event)>`).FindAllSubmatch(doc, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func (e *env) mustCode(doc []byte, want string) {
	e.t.Helper()
	if got := field(doc, "ResponseCode"); got != want {
		e.t.Fatalf("ResponseCode = %q, want %q in\n%s", got, want, doc)
	}
}

func (e *env) subscribePull(folders string, timeout int, watermark string) (id, wm string) {
	e.t.Helper()
	target := `<t:FolderIds>` + folders + `</t:FolderIds>`
	attr := ""
	if folders == "" {
		target, attr = "", ` SubscribeToAllFolders="true"`
	}
	w := ""
	if watermark != "" {
		w = `<t:Watermark>` + watermark + `</t:Watermark>`
	}
	_, doc := e.post(soap(`<m:Subscribe><m:PullSubscriptionRequest` + attr + `>` + target + allTypes + w + `<t:Timeout>` + strconv.Itoa(timeout) + `</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "NoError")
	return field(doc, "SubscriptionId"), field(doc, "Watermark")
}

func (e *env) subscribeStreaming(folders string) string {
	e.t.Helper()
	target := `<t:FolderIds>` + folders + `</t:FolderIds>`
	attr := ""
	if folders == "" {
		target, attr = "", ` SubscribeToAllFolders="true"`
	}
	_, doc := e.post(soap(`<m:Subscribe><m:StreamingSubscriptionRequest` + attr + `>` + target + allTypes + `</m:StreamingSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "NoError")
	return field(doc, "SubscriptionId")
}

const allTypes = `<t:EventTypes><t:EventType>CopiedEvent</t:EventType><t:EventType>CreatedEvent</t:EventType><t:EventType>DeletedEvent</t:EventType><t:EventType>ModifiedEvent</t:EventType><t:EventType>MovedEvent</t:EventType><t:EventType>NewMailEvent</t:EventType><t:EventType>FreeBusyChangedEvent</t:EventType></t:EventTypes>`

func (e *env) getEvents(id, wm string) []byte {
	e.t.Helper()
	_, doc := e.post(soap(`<m:GetEvents><m:SubscriptionId>` + id + `</m:SubscriptionId><m:Watermark>` + wm + `</m:Watermark></m:GetEvents>`))
	return doc
}

func (e *env) act(action, folder string) ActionResult {
	e.t.Helper()
	res, err := e.s.Act(context.Background(), ActionRequest{Action: action, Folder: folder})
	if err != nil {
		e.t.Fatalf("%s: %v", action, err)
	}
	return res
}

// errStreamEnd is the terminating (zero-length) chunk.
var errStreamEnd = errors.New("terminating chunk")

// rawStream opens GetStreamingEvents over a raw TCP connection so the test
// sees the chunked framing itself: each chunk is returned separately.
type rawStream struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	hdr  http.Header
	code int
}

func (e *env) openStream(timeoutMin int, ids ...string) *rawStream {
	e.t.Helper()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(`<t:SubscriptionId>` + id + `</t:SubscriptionId>`)
	}
	body := soap(`<m:GetStreamingEvents><m:SubscriptionIds>` + b.String() + `</m:SubscriptionIds><m:ConnectionTimeout>` + strconv.Itoa(timeoutMin) + `</m:ConnectionTimeout></m:GetStreamingEvents>`)
	addr := strings.TrimPrefix(strings.TrimSuffix(e.s.URL(), "/EWS/Exchange.asmx"), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
	br := bufio.NewReader(conn)
	tp, err := http.ReadResponse(br, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	rs := &rawStream{t: e.t, conn: conn, br: br, hdr: tp.Header, code: tp.StatusCode}
	if len(tp.TransferEncoding) == 0 || tp.TransferEncoding[0] != "chunked" {
		// Not a stream (an error answer): keep the body for the test.
		data, _ := io.ReadAll(tp.Body)
		rs.br = bufio.NewReader(bytes.NewReader(data))
		rs.code = -tp.StatusCode
	}
	return rs
}

// chunk reads the next HTTP chunk (io.EOF at the terminating chunk).
func (rs *rawStream) chunk() ([]byte, error) {
	_ = rs.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := rs.br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
	if err != nil {
		return nil, fmt.Errorf("bad chunk size line %q", line)
	}
	if n == 0 {
		return nil, errStreamEnd
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(rs.br, buf); err != nil {
		return buf[:0], err
	}
	return buf[:n], nil
}

// next reads the next chunk, requires it to be one whole streaming envelope,
// and queues it for validation.
func (e *env) next(rs *rawStream) []byte {
	e.t.Helper()
	c, err := rs.chunk()
	if err != nil {
		e.t.Fatalf("reading stream: %v", err)
	}
	if !bytes.HasPrefix(c, []byte(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">`)) || !bytes.HasSuffix(c, []byte(`</Envelope>`)) {
		e.t.Fatalf("chunk is not one whole unprefixed envelope:\n%s", c)
	}
	e.v.addStream("streaming envelope", c)
	return c
}

// lockedBuffer is a bytes.Buffer safe for the server's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pushListener is a push client's endpoint on 127.0.0.1 that records every
// SendNotification and answers with a SubscriptionStatus (or fails).
type pushListener struct {
	url    string
	mu     sync.Mutex
	answer string // "OK", "Unsubscribe", or "fail" (HTTP 500)
	got    chan []byte
}

func newPushListener(t *testing.T, answer string) *pushListener {
	t.Helper()
	pl := &pushListener{answer: answer, got: make(chan []byte, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		pl.mu.Lock()
		ans := pl.answer
		pl.mu.Unlock()
		select {
		case pl.got <- body:
		default:
		}
		if ans == "fail" {
			http.Error(w, "listener down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><SendNotificationResult xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><SubscriptionStatus>%s</SubscriptionStatus></SendNotificationResult></soap:Body></soap:Envelope>`, ans)
	}))
	t.Cleanup(srv.Close)
	pl.url = srv.URL + "/push"
	return pl
}

func (pl *pushListener) setAnswer(a string) {
	pl.mu.Lock()
	pl.answer = a
	pl.mu.Unlock()
}

// wait returns the next notification the listener received.
func (pl *pushListener) wait(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-pl.got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("push listener received nothing")
		return nil
	}
}
