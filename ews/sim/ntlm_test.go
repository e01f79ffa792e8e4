package sim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
)

func TestMD4(t *testing.T) {
	// RFC 1320, appendix A.5.
	for in, want := range map[string]string{
		"":                           "31d6cfe0d16ae931b73c59d7e0c089c0",
		"a":                          "bde52cb31de33e46245e05fbdbd6fb24",
		"abc":                        "a448017aaf21d8525fc10ae87aa6729d",
		"message digest":             "d9130a8164549fe818874806e1c7014b",
		"abcdefghijklmnopqrstuvwxyz": "d79e1c308aa5bbcdeea8ed63df412da9",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789":                   "043f8582f241db351ce627e153e7f0e4",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890": "e33b4ddc9c38f2199c3e7b164fcc0536",
	} {
		got := md4Sum([]byte(in))
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("md4(%q) = %x, want %s", in, got, want)
		}
	}
}

// TestNTLMv2KnownAnswer checks the hash chain against MS-NLMP 4.2.4 (user
// "User", domain "Domain", password "Password").
func TestNTLMv2KnownAnswer(t *testing.T) {
	n := newNTLMServer(`Domain\User`, "Password", "Domain")
	if got := hex.EncodeToString(n.ntHash[:]); got != "a4f49c406510bdcab6824ee7c30fd852" {
		t.Fatalf("NT hash = %s", got)
	}
	key := hmacMD5(n.ntHash[:], utf16le(strings.ToUpper("User")+"Domain"))
	if got := hex.EncodeToString(key); got != "0c868a403bfd7a93a3001ef22ef02e3f" {
		t.Fatalf("NTOWFv2 = %s", got)
	}
	// The spec's AUTHENTICATE message, rebuilt: server challenge
	// 0123456789abcdef, client challenge aa*8, time 0, target info
	// {NbDomainName "Domain", NbComputerName "Server"}.
	info := []byte{}
	info = binary.LittleEndian.AppendUint16(info, ntlmAvNbDomainName)
	info = binary.LittleEndian.AppendUint16(info, 12)
	info = append(info, utf16le("Domain")...)
	info = binary.LittleEndian.AppendUint16(info, ntlmAvNbComputerName)
	info = binary.LittleEndian.AppendUint16(info, 12)
	info = append(info, utf16le("Server")...)
	info = append(info, 0, 0, 0, 0)
	blob := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	blob = append(blob, make([]byte, 8)...)
	blob = append(blob, bytes.Repeat([]byte{0xaa}, 8)...)
	blob = append(blob, 0, 0, 0, 0)
	blob = append(blob, info...)
	blob = append(blob, 0, 0, 0, 0)
	challenge, _ := hex.DecodeString("0123456789abcdef")
	proof := hmacMD5(key, challenge, blob)
	if got := hex.EncodeToString(proof); got != "68cd0ab851e51c96aabc927bebef6a1c" {
		t.Fatalf("NTProofStr = %s", got)
	}

	msg := authenticateMessage(append(proof, blob...), "Domain", "User")
	var c [8]byte
	copy(c[:], challenge)
	n.remember("conn", ntlmPending{challenge: c, issued: n.now()})
	if !n.verify("conn", msg) {
		t.Fatal("the spec's own AUTHENTICATE message was refused")
	}
	if n.verify("conn", msg) {
		t.Fatal("a second AUTHENTICATE for the same challenge (a replay) was accepted")
	}
}

// authenticateMessage builds a minimal Unicode AUTHENTICATE message.
func authenticateMessage(ntResp []byte, domain, user string) []byte {
	d, u := utf16le(domain), utf16le(user)
	const header = 64
	msg := append([]byte{}, ntlmSignature...)
	msg = binary.LittleEndian.AppendUint32(msg, 3)
	off := header
	msg = appendVarField(msg, 0, off) // LM
	msg = appendVarField(msg, len(ntResp), off)
	off += len(ntResp)
	msg = appendVarField(msg, len(d), off)
	off += len(d)
	msg = appendVarField(msg, len(u), off)
	off += len(u)
	msg = appendVarField(msg, 0, off) // workstation
	msg = appendVarField(msg, 0, off) // session key
	msg = binary.LittleEndian.AppendUint32(msg, ntlmChallengeFlags)
	msg = append(msg, ntResp...)
	msg = append(msg, d...)
	return append(msg, u...)
}

// ntlmTestServer serves "hello USER" to requests that pass authenticate.
func ntlmTestServer(t *testing.T, n *ntlmServer) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, ok := n.authenticate(w, r)
		if !ok {
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "hello %s (%d bytes)", user, len(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestNTLMWithGoNTLMSSP(t *testing.T) {
	n := newNTLMServer("alice@example.com", "s3cret!", "example.com")
	srv := ntlmTestServer(t, n)

	for _, tc := range []struct {
		user, password string
		want           int
	}{
		{"alice@example.com", "s3cret!", 200},
		{"ALICE@Example.COM", "s3cret!", 200},
		{`EXAMPLE\alice`, "s3cret!", 200},
		{`example.com\Alice`, "s3cret!", 200},
		{"alice", "s3cret!", 200},
		{"alice@example.com", "wrong", 401},
		{"alice@example.com", "S3CRET!", 401},
		{"alice@example.com", "", 401},
		{"bob@example.com", "s3cret!", 401},
		{`OTHER\alice`, "s3cret!", 401},
	} {
		t.Run(tc.user+"/"+tc.password, func(t *testing.T) {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}}
			// Three requests on one keep-alive connection: each does its own
			// handshake, and each must come out the same.
			for i := 0; i < 3; i++ {
				body := strings.Repeat("<soap/>", 100)
				req, _ := http.NewRequest("POST", srv.URL+"/EWS/Exchange.asmx", strings.NewReader(body))
				req.SetBasicAuth(tc.user, tc.password)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Fatalf("request %d: status %d (%s), want %d", i, resp.StatusCode, got, tc.want)
				}
				if tc.want == 200 && string(got) != fmt.Sprintf("hello alice@example.com (%d bytes)", len(body)) {
					t.Fatalf("request %d: body %q", i, got)
				}
				if tc.want == 401 {
					if v := resp.Header.Values("WWW-Authenticate"); strings.Join(v, ",") != "NTLM,Negotiate" {
						t.Fatalf("WWW-Authenticate = %q, want NTLM and Negotiate", v)
					}
				}
			}
		})
	}
}

// TestNTLMConcurrentClients: many clients handshaking at once, right and
// wrong passwords mixed, each get their own answer.
func TestNTLMConcurrentClients(t *testing.T) {
	n := newNTLMServer("alice", "pw", "")
	srv := ntlmTestServer(t, n)
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		go func() {
			password, want := "pw", 200
			if i%3 == 0 {
				password, want = "wrong", 401
			}
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}}
			for j := 0; j < 5; j++ {
				req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("<x/>"))
				req.SetBasicAuth("alice", password)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					errs <- fmt.Errorf("client %d request %d: status %d, want %d", i, j, resp.StatusCode, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// handshake runs the NTLM handshake by hand over one connection, with the
// given scheme, and returns the final status.
func handshake(t *testing.T, url, scheme, user, password string, type3Client *http.Client) int {
	t.Helper()
	tr := &http.Transport{MaxConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	do := func(c *http.Client, auth string) *http.Response {
		req, _ := http.NewRequest("POST", url, strings.NewReader("<x/>"))
		req.Header.Set("Authorization", auth)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	neg, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		t.Fatal(err)
	}
	resp := do(client, scheme+" "+base64.StdEncoding.EncodeToString(neg))
	if resp.StatusCode != 401 {
		t.Fatalf("NEGOTIATE: status %d, want 401", resp.StatusCode)
	}
	h := resp.Header.Get("WWW-Authenticate")
	tok, ok := strings.CutPrefix(h, scheme+" ")
	if !ok {
		t.Fatalf("NEGOTIATE: WWW-Authenticate %q, want %q and a token", h, scheme)
	}
	challenge, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ntlmssp.NewAuthenticateMessage(challenge, user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if type3Client == nil {
		type3Client = client
	}
	return do(type3Client, scheme+" "+base64.StdEncoding.EncodeToString(auth)).StatusCode
}

func TestNTLMNegotiateSchemeAndConnections(t *testing.T) {
	n := newNTLMServer("alice", "pw", "")
	srv := ntlmTestServer(t, n)
	url := srv.URL + "/EWS/Exchange.asmx"

	if got := handshake(t, url, "Negotiate", "alice", "pw", nil); got != 200 {
		t.Errorf("Negotiate with raw NTLM tokens: status %d, want 200", got)
	}
	if got := handshake(t, url, "NTLM", "alice", "pw", nil); got != 200 {
		t.Errorf("NTLM by hand: status %d, want 200", got)
	}
	if got := handshake(t, url, "Negotiate", "alice", "nope", nil); got != 401 {
		t.Errorf("Negotiate, wrong password: status %d, want 401", got)
	}
	// The AUTHENTICATE message sent on another connection than the
	// challenge: that connection was never challenged.
	other := &http.Client{Transport: &http.Transport{}}
	defer other.CloseIdleConnections()
	if got := handshake(t, url, "NTLM", "alice", "pw", other); got != 401 {
		t.Errorf("AUTHENTICATE on another connection: status %d, want 401", got)
	}
}

func TestNTLMChallengeExpires(t *testing.T) {
	n := newNTLMServer("alice", "pw", "")
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }

	w := httptest.NewRecorder()
	neg, _ := ntlmssp.NewNegotiateMessage("", "")
	r := httptest.NewRequest("POST", "/EWS/Exchange.asmx", nil)
	r.Header.Set("Authorization", "NTLM "+base64.StdEncoding.EncodeToString(neg))
	if _, ok := n.authenticate(w, r); ok || w.Code != 401 {
		t.Fatalf("NEGOTIATE: ok=%v status %d", ok, w.Code)
	}
	tok, _ := strings.CutPrefix(w.Header().Get("WWW-Authenticate"), "NTLM ")
	challenge, _ := base64.StdEncoding.DecodeString(tok)
	auth, err := ntlmssp.NewAuthenticateMessage(challenge, "alice", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}

	now = now.Add(2 * ntlmChallengeTTL)
	w = httptest.NewRecorder()
	r.Header.Set("Authorization", "NTLM "+base64.StdEncoding.EncodeToString(auth))
	if _, ok := n.authenticate(w, r); ok || w.Code != 401 {
		t.Fatalf("AUTHENTICATE after the challenge expired: ok=%v status %d, want refused", ok, w.Code)
	}
}

func TestNTLMPendingIsBounded(t *testing.T) {
	n := newNTLMServer("alice", "pw", "")
	for i := 0; i < 3*ntlmMaxPending; i++ {
		n.remember(fmt.Sprintf("127.0.0.1:%d", i), ntlmPending{issued: n.now()})
	}
	if len(n.pending) > ntlmMaxPending {
		t.Fatalf("%d challenges remembered, want at most %d", len(n.pending), ntlmMaxPending)
	}
	if _, ok := n.pending[fmt.Sprintf("127.0.0.1:%d", 3*ntlmMaxPending-1)]; !ok {
		t.Fatal("the newest challenge was forgotten")
	}
}

func TestNTLMMalformed(t *testing.T) {
	n := newNTLMServer("alice", "pw", "example.com")
	b64 := base64.StdEncoding.EncodeToString
	hdr := func(typ uint32, rest ...byte) []byte {
		m := append([]byte{}, ntlmSignature...)
		m = binary.LittleEndian.AppendUint32(m, typ)
		return append(m, rest...)
	}
	// A good AUTHENTICATE message to cut and bend.
	var good []byte
	{
		neg, _ := ntlmssp.NewNegotiateMessage("", "")
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", "NTLM "+b64(neg))
		n.authenticate(w, r)
		tok, _ := strings.CutPrefix(w.Header().Get("WWW-Authenticate"), "NTLM ")
		ch, _ := base64.StdEncoding.DecodeString(tok)
		var err error
		if good, err = ntlmssp.NewAuthenticateMessage(ch, "alice", "pw", nil); err != nil {
			t.Fatal(err)
		}
	}
	bent := func(off int, v uint32) []byte {
		m := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(m[off:], v)
		return m
	}
	cases := map[string]string{
		"no header":           "",
		"basic":               "Basic " + b64([]byte("alice:pw")),
		"bearer":              "Bearer abc",
		"scheme only":         "NTLM",
		"not base64":          "NTLM !!!not-base64!!!",
		"empty token":         "NTLM ",
		"signature only":      "NTLM " + b64(ntlmSignature),
		"wrong signature":     "NTLM " + b64([]byte("NTLMSSX\x00\x01\x00\x00\x00")),
		"type 2 from client":  "NTLM " + b64(hdr(2, make([]byte, 40)...)),
		"type 7":              "NTLM " + b64(hdr(7)),
		"short type 3":        "NTLM " + b64(hdr(3, 1, 2, 3)),
		"type 3 zeros":        "NTLM " + b64(hdr(3, make([]byte, 60)...)),
		"offset past end":     "NTLM " + b64(bent(24, 0xffffffff)),
		"user offset past":    "NTLM " + b64(bent(40, 0xfffffff0)),
		"anonymous":           "NTLM " + b64(authenticateMessage(nil, "", "")),
		"ntlmv1 24 bytes":     "NTLM " + b64(authenticateMessage(make([]byte, 24), "", "alice")),
		"spnego token":        "Negotiate " + b64([]byte{0x60, 0x28, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}),
		"raw binary":          "NTLM " + b64(bytes.Repeat([]byte{0xff}, 300)),
		"odd unicode lengths": "NTLM " + b64(authenticateMessage(make([]byte, 60), "D", "alice\x00")[:100]),
	}
	for i := 0; i < len(good); i += 7 {
		cases[fmt.Sprintf("good message cut at %d", i)] = "NTLM " + b64(good[:i])
	}
	for name, auth := range cases {
		t.Run(name, func(t *testing.T) {
			// Each case gets a fresh challenge on its connection, so the
			// type 3 cases reach the parser.
			neg, _ := ntlmssp.NewNegotiateMessage("", "")
			r := httptest.NewRequest("POST", "/", strings.NewReader("<x/>"))
			r.Header.Set("Authorization", "NTLM "+b64(neg))
			n.authenticate(httptest.NewRecorder(), r)

			w := httptest.NewRecorder()
			r = httptest.NewRequest("POST", "/", strings.NewReader("<x/>"))
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			user, ok := n.authenticate(w, r)
			if ok || user != "" {
				t.Fatalf("accepted as %q", user)
			}
			if w.Code != 401 {
				t.Fatalf("status %d, want 401", w.Code)
			}
			if v := w.Header().Values("WWW-Authenticate"); strings.Join(v, ",") != "NTLM,Negotiate" {
				t.Fatalf("WWW-Authenticate = %q, want NTLM and Negotiate", v)
			}
		})
	}
}

func TestNTLMWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed for this test (apt-get install curl): %v", err)
	}
	n := newNTLMServer(`EXAMPLE\alice`, "pa ss:word", "example.com")
	srv := ntlmTestServer(t, n)
	for _, tc := range []struct {
		userpass string
		want     string
	}{
		{"alice:pa ss:word", "200"},
		{`EXAMPLE\alice:pa ss:word`, "200"},
		{"alice:wrong", "401"},
		{"mallory:pa ss:word", "401"},
	} {
		t.Run(tc.userpass, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, curl, "-sS", "--ntlm", "-u", tc.userpass,
				"-o", "/dev/null", "-w", "%{http_code}",
				"-H", "Content-Type: text/xml; charset=utf-8", "--data", "<soap/>",
				srv.URL+"/EWS/Exchange.asmx").CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v: %s", err, out)
			}
			if string(out) != tc.want {
				t.Fatalf("curl --ntlm -u %q: status %s, want %s", tc.userpass, out, tc.want)
			}
		})
	}
}
