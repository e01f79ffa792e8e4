package ews

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
)

// AuthKind selects how the client authenticates.
type AuthKind string

const (
	AuthNone   AuthKind = "none"
	AuthBasic  AuthKind = "basic"
	AuthNTLM   AuthKind = "ntlm"
	AuthBearer AuthKind = "bearer"
)

// Config configures a Client.
type Config struct {
	URL                   string // https://host/EWS/Exchange.asmx
	Auth                  AuthKind
	User, Password, Token string // User may be DOMAIN\user or user@domain
	RequestServerVersion  string // default "Exchange2013"
	ImpersonateSMTP       string // optional t:ExchangeImpersonation by PrimarySmtpAddress
	AnchorMailbox         string // X-AnchorMailbox; default: the impersonated or the user's SMTP address
	CAFile                string
	Insecure              bool
	Clock                 Clock         // default RealClock{}
	HTTPTimeout           time.Duration // ordinary (non-streaming) calls; default 100s
	UserAgent             string        // default "ewsmon"
	MaxEnvelopeBytes      int64         // largest response envelope; default 16 MiB
}

// Client talks EWS to one server as one user. It is safe for concurrent
// use. Ordinary calls share one HTTP transport; GetStreamingEvents runs on
// a transport of its own, so GetItem and sync calls never wait behind a
// stream.
type Client struct {
	cfg    Config
	clock  Clock
	anchor string
	call   *http.Client
	stream *http.Client
	wire   wireMeter

	mu            sync.Mutex
	reqVersion    string // RequestServerVersion sent; lowered once by a fallback
	versionNote   string // why it was lowered ("" when it was not)
	fellBack      bool
	version       ServerVersionInfo
	backendCookie string
	answered      bool // an EWS envelope came back: the URL is EWS
}

// NewClient checks cfg and builds a client. It does not contact the server.
func NewClient(cfg Config) (*Client, error) {
	cfg, err := cfg.checked()
	if err != nil {
		return nil, err
	}
	tlsConf, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, clock: cfg.Clock, reqVersion: cfg.RequestServerVersion, anchor: cfg.anchorMailbox()}
	// EWS requests are never redirected: a redirect is answered with a
	// sentence naming where it points (often a web sign-in page), rather
	// than re-sent as a GET there.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.call = &http.Client{Transport: c.roundTripper(tlsConf, false), CheckRedirect: noRedirect}
	c.stream = &http.Client{Transport: c.roundTripper(tlsConf, true), CheckRedirect: noRedirect}
	return c, nil
}

// checked is cfg with its defaults filled, or the one sentence that says
// what is wrong with it (the URL, the authentication, the version).
func (cfg Config) checked() (Config, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("EWS URL %q is not an http(s) URL such as https://mail.example.com/EWS/Exchange.asmx", cfg.URL)
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthNone
		if cfg.User != "" {
			cfg.Auth = AuthNTLM
		}
	}
	if err := cfg.checkAuth(); err != nil {
		return cfg, err
	}
	if cfg.RequestServerVersion == "" {
		cfg.RequestServerVersion = DefaultRequestServerVersion
	}
	if !ValidRequestServerVersion(cfg.RequestServerVersion) {
		return cfg, fmt.Errorf("request server version %q is not an EWS version such as Exchange2013 or Exchange2010_SP2", cfg.RequestServerVersion)
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 100 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "ewsmon"
	}
	if cfg.MaxEnvelopeBytes <= 0 {
		cfg.MaxEnvelopeBytes = DefaultMaxEnvelope
	}
	return cfg, nil
}

// checkAuth refuses an unknown authentication, or one without the user or
// token it needs.
func (cfg Config) checkAuth() error {
	switch cfg.Auth {
	case AuthNone:
	case AuthBasic, AuthNTLM:
		if cfg.User == "" {
			return fmt.Errorf("%s authentication needs a user", cfg.Auth)
		}
	case AuthBearer:
		if cfg.Token == "" {
			return errors.New("bearer authentication needs a token")
		}
	default:
		return fmt.Errorf("unknown authentication %q (none, basic, ntlm or bearer)", cfg.Auth)
	}
	return nil
}

// tlsConfig is the TLS configuration cfg asks for: certificate checks off
// when Insecure, the system roots plus CAFile's certificates when given.
func (cfg Config) tlsConfig() (*tls.Config, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: cfg.Insecure} //nolint:gosec // the user asked for it; Warning says so
	if cfg.CAFile == "" {
		return tlsConf, nil
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", cfg.CAFile)
	}
	tlsConf.RootCAs = pool
	return tlsConf, nil
}

// anchorMailbox is the X-AnchorMailbox value: AnchorMailbox, else the
// impersonated mailbox, else a user given as an SMTP address.
func (cfg Config) anchorMailbox() string {
	switch {
	case cfg.AnchorMailbox != "":
		return cfg.AnchorMailbox
	case cfg.ImpersonateSMTP != "":
		return cfg.ImpersonateSMTP
	case strings.Contains(cfg.User, "@") && !strings.Contains(cfg.User, `\`):
		return cfg.User
	}
	return ""
}

// roundTripper builds an HTTP/1.1 transport (NTLM authenticates a
// connection, so HTTP/2 is never negotiated). With NTLM, ordinary calls go
// one at a time, so that the legs of one handshake cannot be interleaved
// with another's on the shared connections.
func (c *Client) roundTripper(tlsConf *tls.Config, streaming bool) http.RoundTripper {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         countingDial((&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext, &c.wire),
		TLSClientConfig:     tlsConf.Clone(),
		TLSHandshakeTimeout: 20 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if streaming {
		// A stream may last 30 minutes, so the call timeout cannot bound
		// it; but a server that never starts answering must not hang the
		// runner before its dead-connection watchdog even starts.
		t.ResponseHeaderTimeout = c.cfg.HTTPTimeout
	}
	if c.cfg.Auth == AuthNTLM {
		var rt http.RoundTripper = ntlmTransport{Negotiator: ntlmssp.Negotiator{RoundTripper: t}, t: t}
		if !streaming {
			rt = &serialRoundTripper{rt: rt, sem: make(chan struct{}, 1)}
		}
		return rt
	}
	return t
}

// ntlmTransport is the NTLM negotiator that can still close idle
// connections.
type ntlmTransport struct {
	ntlmssp.Negotiator
	t *http.Transport
}

func (n ntlmTransport) CloseIdleConnections() { n.t.CloseIdleConnections() }

// serialRoundTripper lets one request at a time through, until its
// response body is closed.
type serialRoundTripper struct {
	rt  http.RoundTripper
	sem chan struct{}
}

func (s *serialRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case s.sem <- struct{}{}:
	case <-req.Context().Done():
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, req.Context().Err()
	}
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		<-s.sem
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: func() { <-s.sem }}
	return resp, nil
}

// CloseIdleConnections passes through to the transport.
func (s *serialRoundTripper) CloseIdleConnections() {
	if ci, ok := s.rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// URL is the EWS endpoint.
func (c *Client) URL() string { return c.cfg.URL }

// Wire is what the client has moved on the network so far: EWS requests
// sent, and its connections' bytes.
func (c *Client) Wire() WireStats { return c.wire.stats() }

// User is the configured user name ("" without authentication).
func (c *Client) User() string { return c.cfg.User }

// Clock is the client's clock.
func (c *Client) Clock() Clock { return c.clock }

// Warning is a sentence to show the user about the configuration ("" when
// nothing is wrong); today: that TLS verification is off.
func (c *Client) Warning() string {
	if c.cfg.Insecure && strings.HasPrefix(c.cfg.URL, "https:") {
		return "warning: TLS certificate verification is off (--insecure); anyone on the path can read the password and mail"
	}
	return ""
}

// ServerVersion is the ServerVersionInfo of the last response that had one.
func (c *Client) ServerVersion() ServerVersionInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// CloseIdleConnections closes idle keep-alive connections of both transports.
func (c *Client) CloseIdleConnections() {
	c.call.CloseIdleConnections()
	c.stream.CloseIdleConnections()
}

func (c *Client) header() headerOptions {
	c.mu.Lock()
	v := c.reqVersion
	c.mu.Unlock()
	return headerOptions{RequestServerVersion: v, ImpersonateSMTP: c.cfg.ImpersonateSMTP}
}

// RequestServerVersion is the version the client sends: the configured
// one, or the one it fell back to when the server refused that.
func (c *Client) RequestServerVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reqVersion
}

// VersionNotice says why the client sends an older RequestServerVersion
// than configured ("" when it does not): one sentence for the user.
func (c *Client) VersionNotice() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.versionNote
}

// newestAccepted is the newest RequestServerVersion a server of the given
// version accepts (Microsoft's RequestServerVersion reference says which
// release each value targets; build 847 is Exchange 2013 SP1).
func newestAccepted(v ServerVersionInfo) string {
	switch {
	case v.MajorVersion >= 15 && v.MinorVersion >= 1:
		return "Exchange2016"
	case v.MajorVersion == 15 && v.MajorBuildNumber >= 847:
		return "Exchange2013_SP1"
	case v.MajorVersion == 15:
		return "Exchange2013"
	case v.MajorVersion == 14 && v.MinorVersion >= 2:
		return "Exchange2010_SP2"
	case v.MajorVersion == 14 && v.MinorVersion == 1:
		return "Exchange2010_SP1"
	case v.MajorVersion == 14:
		return "Exchange2010"
	case v.MajorVersion == 8:
		return "Exchange2007_SP1"
	}
	return ""
}

// fallBack lowers the RequestServerVersion after the server refused it with
// ErrorInvalidServerVersion: once, to the newest version the server's own
// ServerVersionInfo says it accepts. It reports whether to retry.
func (c *Client) fallBack(env *envelope) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fellBack || !env.HasVersion {
		return false
	}
	c.fellBack = true
	to := newestAccepted(env.Version)
	if to == "" || to == c.reqVersion {
		return false
	}
	c.versionNote = fmt.Sprintf("the server (Exchange %d.%d) refused RequestServerVersion %s; using %s, the newest it accepts",
		env.Version.MajorVersion, env.Version.MinorVersion, c.reqVersion, to)
	c.reqVersion = to
	return true
}

// affinity reports whether op belongs to the subscription group that must
// stay on one mailbox server.
func affinity(op string) bool {
	switch op {
	case "Subscribe", "GetEvents", "GetStreamingEvents", "Unsubscribe":
		return true
	}
	return false
}

const backendCookieName = "X-BackEndOverrideCookie"

// post sends one request envelope and returns the HTTP response with a 2xx
// or 500 status; other statuses become a *TransportError.
func (c *Client) post(ctx context.Context, hc *http.Client, op string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("Accept", "text/xml")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("SOAPAction", `"http://schemas.microsoft.com/exchange/services/2006/messages/`+op+`"`)
	switch c.cfg.Auth {
	case AuthBasic, AuthNTLM:
		// The NTLM negotiator takes the credentials from here and never
		// sends them as Basic.
		req.SetBasicAuth(c.cfg.User, c.password())
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	if affinity(op) {
		if c.anchor != "" {
			req.Header.Set("X-AnchorMailbox", c.anchor)
		}
		req.Header.Set("X-PreferServerAffinity", "true")
		c.mu.Lock()
		cookie := c.backendCookie
		c.mu.Unlock()
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: backendCookieName, Value: cookie})
		}
	}
	c.wire.requests.Add(1)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, transportError(c.cfg.URL, err)
	}
	if affinity(op) {
		for _, ck := range resp.Cookies() {
			if ck.Name == backendCookieName && ck.Value != "" {
				c.mu.Lock()
				c.backendCookie = ck.Value
				c.mu.Unlock()
			}
		}
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusInternalServerError {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return nil, c.statusError(resp)
}

// statusError is the sentence for an HTTP error status.
func (c *Client) statusError(resp *http.Response) *TransportError {
	status := resp.StatusCode
	switch {
	case status/100 == 3:
		where := resp.Header.Get("Location")
		if loc, err := resp.Location(); err == nil {
			where = loc.String()
		}
		if where == "" {
			where = "another address"
		}
		return &TransportError{URL: c.cfg.URL, StatusCode: status, Msg: fmt.Sprintf("%s redirects to %s (HTTP %d): give the EWS URL itself; a sign-in page there means EWS sits behind a web login", c.cfg.URL, where, status)}
	case status == http.StatusNotImplemented && !c.hasAnswered():
		// 501 is "the server does not support the functionality required
		// to fulfill the request" (RFC 9110, 15.6.2): before any EWS
		// answer, nothing at this URL takes SOAP, which is a wrong URL
		// like 404. Once the URL has answered as EWS, a 501 is a passing
		// fault of something on the way and is retried as other 5xx are.
		return &TransportError{URL: c.cfg.URL, StatusCode: status, notEWS: true, Msg: fmt.Sprintf("%s answered with HTTP 501 Not Implemented, not EWS: check --url, it usually ends in /EWS/Exchange.asmx", c.cfg.URL)}
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		te := httpStatusError(c.cfg.URL, c.cfg.User, status, http.StatusText(status))
		if d := retryAfter(resp.Header.Get("Retry-After"), c.clock.Now()); d > 0 {
			te.RetryAfter = d
			te.Msg += fmt.Sprintf(" (retry after %s)", d)
		}
		return te
	}
	if status == http.StatusUnauthorized {
		if offered := authSchemes(resp.Header.Values("WWW-Authenticate")); len(offered) > 0 && c.cfg.Auth != AuthNone {
			want := map[AuthKind]string{AuthBasic: "basic", AuthNTLM: "ntlm", AuthBearer: "bearer"}[c.cfg.Auth]
			if !slices.Contains(offered, want) {
				return &TransportError{URL: c.cfg.URL, StatusCode: status, Msg: fmt.Sprintf("%s does not accept %s authentication (HTTP 401; it offers %s): %s", c.cfg.URL, c.cfg.Auth, strings.Join(offered, ", "), authHint(offered))}
			}
		}
		switch c.cfg.Auth {
		case AuthBearer:
			return &TransportError{URL: c.cfg.URL, StatusCode: status, Msg: fmt.Sprintf("the bearer token was refused at %s (HTTP 401): check or renew the token", c.cfg.URL)}
		case AuthNone:
			return &TransportError{URL: c.cfg.URL, StatusCode: status, Msg: fmt.Sprintf("%s asks for authentication (HTTP 401): give a user (and --auth basic or ntlm) or a token", c.cfg.URL)}
		}
	}
	return httpStatusError(c.cfg.URL, c.cfg.User, status, http.StatusText(status))
}

// hasAnswered reports whether an EWS envelope came back from the URL yet.
func (c *Client) hasAnswered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// notEWS is the fatal error for a first answer (before any EWS envelope)
// that is a web page: the URL points at a web site or sign-in portal, not
// at EWS. Later, such an answer is a passing fault (a proxy's error page)
// and nil here; the caller goes on as for any unreadable answer. raw is
// the body if read (nil: judge by Content-Type alone).
func (c *Client) notEWS(resp *http.Response, raw []byte) *TransportError {
	if resp.StatusCode/100 != 2 || c.hasAnswered() || !looksHTML(resp.Header.Get("Content-Type"), raw) {
		return nil
	}
	return &TransportError{URL: c.cfg.URL, StatusCode: resp.StatusCode, notEWS: true, Msg: fmt.Sprintf("%s answered with an HTML page, not EWS: check --url, it usually ends in /EWS/Exchange.asmx", c.cfg.URL)}
}

// looksHTML reports whether an answer is an HTML page: by its media type,
// or by how the body begins.
func looksHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	for _, p := range []string{"<!doctype html", "<html"} {
		if len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p) {
			return true
		}
	}
	return false
}

// authSchemes lists the lower-case scheme names of WWW-Authenticate
// headers ("negotiate", "ntlm", "basic", "bearer", …).
func authSchemes(headers []string) []string {
	var out []string
	for _, h := range headers {
		// One header may list several challenges: `Basic realm="x", NTLM`.
		for _, part := range strings.Split(h, ",") {
			f := strings.Fields(strings.TrimSpace(part))
			if len(f) == 0 || strings.ContainsAny(f[0], "=\"") {
				continue // a parameter of the previous challenge
			}
			s := strings.ToLower(f[0])
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// authHint says what to use instead, given the offered schemes.
func authHint(offered []string) string {
	for _, s := range []string{"ntlm", "basic", "bearer"} {
		if slices.Contains(offered, s) {
			return "use --auth " + s
		}
	}
	return "ewsmon speaks basic, ntlm and bearer; ask for one of them to be enabled on the EWS virtual directory"
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 when
// absent or unreadable. It is capped at an hour.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(secs, 0), 3600)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return min(max(d, 0), time.Hour)
}

// BackendCookie is the X-BackEndOverrideCookie value kept from the server.
func (c *Client) BackendCookie() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.backendCookie
}

// noteVersion keeps the ServerVersionInfo an answer carried (nil: it
// carried none), for ordinary answers and stream envelopes alike.
func (c *Client) noteVersion(v *ServerVersionInfo) {
	if v != nil {
		c.mu.Lock()
		c.version = *v
		c.mu.Unlock()
	}
}

// do runs one ordinary (non-streaming) operation and returns its parsed
// envelope and the raw response bytes.
func (c *Client) do(ctx context.Context, req request) (*envelope, []byte, error) {
	sent := c.RequestServerVersion()
	env, raw, err := c.do1(ctx, req)
	if err == nil && env.Fault != nil && env.Fault.Code == string(ErrInvalidServerVersion) &&
		(c.RequestServerVersion() != sent || c.fallBack(env)) {
		// Refused: retry once at the version the server accepts (another
		// request may have found it meanwhile).
		return c.do1(ctx, req)
	}
	return env, raw, err
}

func (c *Client) do1(ctx context.Context, req request) (*envelope, []byte, error) {
	op := req.op()
	body, err := buildEnvelope(c.header(), req)
	if err != nil {
		return nil, nil, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HTTPTimeout)
	defer cancel()
	resp, err := c.post(ctx, c.call, op, body)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if te := c.notEWS(resp, nil); te != nil {
		return nil, nil, te
	}
	raw, err := readLimited(resp.Body, resp.ContentLength, c.cfg.MaxEnvelopeBytes)
	if err != nil {
		switch {
		case parent.Err() != nil:
			return nil, nil, parent.Err()
		case ctx.Err() != nil:
			// Our own HTTPTimeout, while the answer was still coming.
			return nil, nil, &TransportError{URL: c.cfg.URL, Msg: fmt.Sprintf("no answer from %s in time: the answer did not end within %s", c.cfg.URL, c.cfg.HTTPTimeout), Err: err}
		case errors.Is(err, ErrEnvelopeTooLarge):
			return nil, nil, &TransportError{URL: c.cfg.URL, Msg: fmt.Sprintf("the answer from %s exceeds the %s envelope limit", c.cfg.URL, sizeText(c.cfg.MaxEnvelopeBytes)), Err: err}
		}
		return nil, nil, transportError(c.cfg.URL, err)
	}
	env, perr := parseOne(raw, c.cfg.MaxEnvelopeBytes)
	if perr != nil {
		if te := c.notEWS(resp, raw); te != nil {
			return nil, nil, te
		}
		if resp.StatusCode != http.StatusOK {
			return nil, nil, c.statusError(resp)
		}
		return nil, nil, fmt.Errorf("%s: the answer from %s is not an EWS response: %v", op, c.cfg.URL, perr)
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	c.noteVersion(env.version())
	if resp.StatusCode != http.StatusOK && env.Fault == nil {
		return nil, nil, c.statusError(resp)
	}
	return env, raw, nil
}

// readLimited reads a whole answer of at most limit bytes (after any
// Content-Encoding: Go's transport has already inflated a gzip body, so
// the limit applies to what is parsed). The buffer grows with what
// arrives, up to the limit, whatever Content-Length announces; an answer
// that goes past the limit stops being read there.
func readLimited(r io.Reader, contentLength, limit int64) ([]byte, error) {
	size := int64(64 << 10)
	if contentLength > 0 && contentLength <= limit {
		size = contentLength + 1 // +1: the read that sees EOF
	}
	buf := make([]byte, 0, min(size, limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, &sizeError{limit}
			}
			next := 2 * int64(cap(buf))
			if next >= limit {
				next = limit + 1 // straight to the end, not 16 MiB and then 16 MiB + 1
			}
			nb := make([]byte, len(buf), next)
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &sizeError{limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseOne parses a document holding one envelope.
func parseOne(raw []byte, limit int64) (*envelope, error) {
	er := newBytesReader(raw, limit)
	root, err := er.next()
	if err == io.EOF {
		return nil, errNoEnvelope
	}
	if err != nil {
		return nil, err
	}
	return parseEnvelope(root)
}
