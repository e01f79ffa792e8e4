package ews

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleBody(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "mail.example.com/EWS/Exchange.asmx"}, "not an http(s) URL"},
		{Config{URL: "ftp://x/EWS"}, "not an http(s) URL"},
		{Config{URL: "https://x/EWS", Auth: AuthBasic}, "needs a user"},
		{Config{URL: "https://x/EWS", Auth: AuthBearer}, "needs a token"},
		{Config{URL: "https://x/EWS", Auth: "kerberos"}, "unknown authentication"},
		{Config{URL: "https://x/EWS", RequestServerVersion: "Exchange2077x"}, "not an EWS version"},
		{Config{URL: "https://x/EWS", CAFile: "/nonexistent/ca.pem"}, "cannot read CA file"},
	}
	for _, tc := range cases {
		_, err := NewClient(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestClientOperationsAgainstSamples(t *testing.T) {
	f := newFakeEWS(t)
	f.handle("Subscribe", reply(sampleBody(t, "subscribe-pull-response.xml")))
	f.handle("GetEvents", reply(sampleBody(t, "getevents-newmail-x2-response.xml")))
	f.handle("SyncFolderHierarchy", reply(sampleBody(t, "syncfolderhierarchy-create-with-counts.xml")))
	f.handle("GetFolder", reply(getFolderResponse))
	f.handle("GetItem", reply(getItemResponse))
	f.handle("Unsubscribe", reply(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:UnsubscribeResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:UnsubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UnsubscribeResponseMessage></m:ResponseMessages></m:UnsubscribeResponse></s:Body></s:Envelope>`))
	c := f.client(t, Config{Auth: AuthBasic, User: "alice@example.com", Password: "pw", ImpersonateSMTP: "bob@example.com", RequestServerVersion: "Exchange2016"})
	ctx := context.Background()

	sub, err := c.Subscribe(ctx, SubscribeRequest{Mode: ModePull, Timeout: 10})
	if err != nil || sub.SubscriptionId != "39ea5d0f-f062-455e-a1e9-89c0304390f4" || sub.Watermark != "AAAAAHgGAAAAAAAAAQ==" {
		t.Fatalf("Subscribe: %+v %v", sub, err)
	}
	if c.ServerVersion() != exchange2007 {
		t.Errorf("ServerVersion %+v", c.ServerVersion())
	}
	n, err := c.GetEvents(ctx, sub.SubscriptionId, sub.Watermark)
	if err != nil || len(n.Events) != 2 || n.Events[1].Watermark != "AAAAAOQGAAAAAAAAAQ==" || len(n.Events[0].RawXML) == 0 {
		t.Fatalf("GetEvents: %+v %v", n, err)
	}
	sync, err := c.SyncFolderHierarchy(ctx, "")
	if err != nil || sync.SyncState != "H4sIAAA==" || len(sync.Changes) != 1 || sync.Changes[0].Folder.DisplayName != "NewFolder" {
		t.Fatalf("SyncFolderHierarchy: %+v %v", sync, err)
	}
	fs, err := c.GetFolder(ctx, Distinguished("inbox"))
	if err != nil || len(fs) != 1 || fs[0].UnreadCount != 5 {
		t.Fatalf("GetFolder: %+v %v", fs, err)
	}
	if c.ServerVersion().String() != "15.2.1544.4 (V2017_07_11)" {
		t.Errorf("ServerVersion not updated from the last response: %s", c.ServerVersion())
	}
	items, err := c.GetItem(ctx, ItemId{Id: "i1"}, ItemId{Id: "i2"}, ItemId{Id: "i3"})
	if len(items) != 2 || !errors.Is(err, ErrItemNotFound) {
		t.Fatalf("GetItem: %+v %v", items, err)
	}
	if err := c.Unsubscribe(ctx, sub.SubscriptionId); err != nil {
		t.Fatal(err)
	}

	// What went over the wire.
	for _, r := range f.requests("") {
		if u, p, ok := r.http.BasicAuth(); !ok || u != "alice@example.com" || p != "pw" {
			t.Errorf("%s: basic auth %q %q %v", r.Op, u, p, ok)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", r.Op, ct)
		}
		if !strings.Contains(string(r.Raw), `<t:RequestServerVersion Version="Exchange2016"/>`) ||
			!strings.Contains(string(r.Raw), `<t:PrimarySmtpAddress>bob@example.com</t:PrimarySmtpAddress>`) {
			t.Errorf("%s: header missing:\n%s", r.Op, r.Raw)
		}
		aff := r.Op == "Subscribe" || r.Op == "GetEvents" || r.Op == "Unsubscribe"
		// The impersonated mailbox is the anchor.
		if got := r.Header.Get("X-AnchorMailbox"); aff != (got == "bob@example.com") {
			t.Errorf("%s: X-AnchorMailbox %q", r.Op, got)
		}
		if got := r.Header.Get("X-PreferServerAffinity"); aff != (got == "true") {
			t.Errorf("%s: X-PreferServerAffinity %q", r.Op, got)
		}
	}
	gi := f.requests("GetItem")[0]
	if ids := gi.Body.Child("ItemIds").Children("ItemId"); len(ids) != 3 || ids[2].Attribute("Id") != "i3" {
		t.Errorf("GetItem ids: %s", gi.Raw)
	}
}

// The X-BackEndOverrideCookie that the Subscribe response sets (Microsoft's
// affinity sample) is sent back on the later requests of the group.
func TestAffinityCookie(t *testing.T) {
	raw := sampleBody(t, "subscribe-affinity-anchor-response.http")
	body := raw[strings.Index(raw, "<?xml"):]
	f := newFakeEWS(t)
	f.handle("Subscribe", func(w http.ResponseWriter, r *fakeReq) {
		// The sample's three Set-Cookie headers, as the server sent them.
		w.Header().Add("Set-Cookie", "exchangecookie=ddb8c383aef34c7694132aa679744feb; expires=Thu, 25-Sep-2014 18:42:45 GMT; path=/; HttpOnly")
		w.Header().Add("Set-Cookie", "X-BackEndOverrideCookie=CO1PR06MB222.namprd06.prod.outlook.com~1941996295; path=/; secure; HttpOnly")
		w.Header().Add("Set-Cookie", "X-BackEndCookie=alfred@contoso.com=Ox8XKzcXLxg==; expires=Wed, 25-Sep-2013 18:52:49 GMT; path=/EWS; secure; HttpOnly")
		reply(body)(w, r)
	})
	f.handle("GetEvents", reply(sampleBody(t, "getevents-newmail-x2-response.xml")))
	f.handle("GetItem", reply(getItemResponse))
	c := f.client(t, Config{Auth: AuthNTLM, User: "CONTOSO\\alfred", Password: "x", AnchorMailbox: "alfred@contoso.com"})
	ctx := context.Background()
	if _, err := c.Subscribe(ctx, SubscribeRequest{Mode: ModeStreaming, Folders: []FolderRef{Distinguished("inbox")}, EventTypes: []EventType{NewMailEvent}}); err != nil {
		t.Fatal(err)
	}
	if c.BackendCookie() != "CO1PR06MB222.namprd06.prod.outlook.com~1941996295" {
		t.Fatalf("cookie %q", c.BackendCookie())
	}
	if _, err := c.GetEvents(ctx, "s", "w"); err != nil {
		t.Fatal(err)
	}
	_, _ = c.GetItem(ctx, ItemId{Id: "i1"})
	ge := f.requests("GetEvents")[0]
	if ck, err := ge.http.Cookie("X-BackEndOverrideCookie"); err != nil || ck.Value != "CO1PR06MB222.namprd06.prod.outlook.com~1941996295" {
		t.Errorf("GetEvents cookie: %v %v", ck, err)
	}
	if ge.Header.Get("X-AnchorMailbox") != "alfred@contoso.com" {
		t.Errorf("anchor %q", ge.Header.Get("X-AnchorMailbox"))
	}
	if _, err := f.requests("GetItem")[0].http.Cookie("X-BackEndOverrideCookie"); err == nil {
		t.Error("GetItem is not part of the subscription group; it carries no affinity cookie")
	}
}

func TestBearerToken(t *testing.T) {
	f := newFakeEWS(t)
	f.handle("GetFolder", func(w http.ResponseWriter, r *fakeReq) {
		if r.Header.Get("Authorization") != "Bearer tok.en" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reply(getFolderResponse)(w, r)
	})
	if _, err := f.client(t, Config{Auth: AuthBearer, Token: "tok.en"}).GetFolder(context.Background(), Distinguished("inbox")); err != nil {
		t.Fatal(err)
	}
	_, err := f.client(t, Config{Auth: AuthBearer, Token: "expired"}).GetFolder(context.Background(), Distinguished("inbox"))
	if err == nil || err.Error() != "the bearer token was refused at "+f.URL()+" (HTTP 401): check or renew the token" {
		t.Errorf("bad token: %v", err)
	}
	_, err = f.client(t, Config{}).GetFolder(context.Background(), Distinguished("inbox"))
	if err == nil || !strings.HasPrefix(err.Error(), f.URL()+" asks for authentication (HTTP 401)") {
		t.Errorf("no credentials: %v", err)
	}
}

// Each HTTP failure is one sentence naming the URL.
func TestTransportErrorSentences(t *testing.T) {
	f := newFakeEWS(t)
	status := func(code int, body string) func(http.ResponseWriter, *fakeReq) {
		return func(w http.ResponseWriter, _ *fakeReq) { w.WriteHeader(code); _, _ = io.WriteString(w, body) }
	}
	ctx := context.Background()
	cases := []struct {
		code   int
		body   string
		want   string
		fatal  bool
		target error
	}{
		{401, "", "authentication failed for alice at " + f.URL() + ": check user and password", true, nil},
		{403, "", "access denied for alice at " + f.URL() + " (HTTP 403)", true, nil},
		{404, "<html>Not Found</html>", "no EWS endpoint at " + f.URL() + " (HTTP 404): check the URL", true, nil},
		{503, "busy", "server error at " + f.URL() + ": HTTP 503 Service Unavailable", false, nil},
		{500, "<html>oops</html>", "server error at " + f.URL() + ": HTTP 500 Internal Server Error", false, nil},
		{500, serverBusyFault, "GetFolder: ErrorServerBusy: The server cannot service this request right now. Try again later. (retry after 4m57.749s)", false, ErrServerBusy},
		{200, "<html>Sign in to Outlook</html>", "GetFolder: the answer from " + f.URL() + " is not an EWS response: not a SOAP envelope", false, nil},
	}
	c := f.client(t, Config{Auth: AuthBasic, User: "alice", Password: "x"})
	for _, tc := range cases {
		f.handle("GetFolder", status(tc.code, tc.body))
		_, err := c.GetFolder(ctx, Distinguished("inbox"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("HTTP %d: %v\nwant %q", tc.code, err, tc.want)
			continue
		}
		if strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("HTTP %d: more than one line: %q", tc.code, err)
		}
		var te *TransportError
		if errors.As(err, &te) && te.Fatal() != tc.fatal {
			t.Errorf("HTTP %d: Fatal() = %v", tc.code, te.Fatal())
		}
		if tc.target != nil && !errors.Is(err, tc.target) {
			t.Errorf("HTTP %d: not %v", tc.code, tc.target)
		}
	}
}

func TestConnectionErrorSentences(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/EWS/Exchange.asmx"
	ln.Close()
	ctx := context.Background()
	c, _ := NewClient(Config{URL: refused})
	_, err = c.GetFolder(ctx, Distinguished("inbox"))
	if err == nil || err.Error() != "cannot connect to "+refused+": connection refused (is the server running on that port?)" {
		t.Errorf("refused: %v", err)
	}

	c, _ = NewClient(Config{URL: "https://ewsmon-test.invalid/EWS/Exchange.asmx"})
	_, err = c.GetFolder(ctx, Distinguished("inbox"))
	var te *TransportError
	if err == nil || !strings.HasPrefix(err.Error(), `cannot resolve host "ewsmon-test.invalid" of https://ewsmon-test.invalid/EWS/Exchange.asmx`) || !errors.As(err, &te) {
		t.Fatalf("DNS: %v", err)
	}
	// An unknown host is fatal; an unreachable resolver (a machine without
	// DNS) is worth retrying.
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound != te.Fatal() {
		t.Errorf("DNS: Fatal() = %v for %v", te.Fatal(), dns)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, getFolderResponse)
	}))
	defer srv.Close()
	url := srv.URL + "/EWS/Exchange.asmx"
	ctx := context.Background()

	c, _ := NewClient(Config{URL: url})
	_, err := c.GetFolder(ctx, Distinguished("inbox"))
	var te *TransportError
	if err == nil || !strings.HasPrefix(err.Error(), "TLS certificate of "+url+" is not trusted") || !strings.Contains(err.Error(), "--ca-file") || !errors.As(err, &te) || !te.Fatal() {
		t.Errorf("untrusted: %v", err)
	}
	if c.Warning() != "" {
		t.Errorf("warning without --insecure: %q", c.Warning())
	}

	// A CA file that holds the server's certificate makes it trusted.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = NewClient(Config{URL: url, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFolder(ctx, Distinguished("inbox")); err != nil {
		t.Errorf("with CA file: %v", err)
	}
	c.CloseIdleConnections()

	c, _ = NewClient(Config{URL: url, Insecure: true})
	if _, err := c.GetFolder(ctx, Distinguished("inbox")); err != nil {
		t.Errorf("insecure: %v", err)
	}
	if !strings.Contains(c.Warning(), "TLS certificate verification is off") {
		t.Errorf("insecure warning %q", c.Warning())
	}
	c.CloseIdleConnections()

	notPEM := filepath.Join(t.TempDir(), "x.pem")
	_ = os.WriteFile(notPEM, []byte("hello"), 0o600)
	if _, err := NewClient(Config{URL: url, CAFile: notPEM}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("bad CA file: %v", err)
	}
}

// A GetItem is answered while a stream is open: the stream has its own
// connection.
func TestStreamDoesNotBlockOrdinaryCalls(t *testing.T) {
	f := newFakeEWS(t)
	release := make(chan struct{})
	f.handle("GetStreamingEvents", func(w http.ResponseWriter, r *fakeReq) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, okEnvelope)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.http.Context().Done():
		}
	})
	f.handle("GetItem", reply(getItemResponse))
	c := f.client(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.GetStreamingEvents(ctx, GetStreamingEventsRequest{SubscriptionIds: []string{"s"}, ConnectionTimeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if m, err := st.Next(); err != nil || m.ConnectionStatus != ConnectionOK {
		t.Fatalf("first envelope: %+v %v", m, err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.GetItem(ctx, ItemId{Id: "i1"}); err != nil && !errors.Is(err, ErrItemNotFound) {
			t.Fatal(err)
		}
	}
	gse := f.requests("GetStreamingEvents")[0]
	for _, gi := range f.requests("GetItem") {
		if gi.Remote == gse.Remote {
			t.Errorf("GetItem went over the stream's connection %s", gi.Remote)
		}
	}
	if gse.Header.Get("X-PreferServerAffinity") != "true" {
		t.Error("GetStreamingEvents lacks X-PreferServerAffinity")
	}
	close(release)
	if _, err := st.Next(); err != io.EOF {
		t.Errorf("after the server ends the response: %v, want io.EOF", err)
	}
}

// okEnvelope is a ConnectionStatus OK envelope as Exchange writes it.
const okEnvelope = `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><soap11:Header xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/"><ServerVersionInfo xmlns="http://schemas.microsoft.com/exchange/services/2006/types" MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11"/></soap11:Header><soap11:Body xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/"><m:GetStreamingEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ConnectionStatus>OK</m:ConnectionStatus></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse></soap11:Body></Envelope>`
