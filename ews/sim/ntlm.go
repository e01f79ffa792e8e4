package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// The NTLM server side (MS-NLMP), as much as an HTTP server needs: it answers
// a NEGOTIATE message (type 1) with a CHALLENGE (type 2) and verifies the
// client's NTLMv2 response in the AUTHENTICATE message (type 3) against the
// configured password. NTLM is connection-oriented: the challenge is
// remembered for the TCP connection (r.RemoteAddr) it was sent on. Every
// request carries its own handshake (go-ntlmssp, requests-ntlm and curl all
// re-authenticate), so a connection is not trusted after a success.
//
// Not implemented: NTLMv1 / LM responses (refused), MIC and session keys
// (signing and sealing are not used over HTTP), SPNEGO-wrapped tokens (only
// raw NTLM tokens under the Negotiate scheme are understood).

const (
	ntlmChallengeTTL = time.Minute // a type 3 must follow its type 2 within this
	ntlmMaxPending   = 4096        // remembered challenges; the oldest go first

	ntlmFlagUnicode             = 0x00000001
	ntlmFlagRequestTarget       = 0x00000004
	ntlmFlagNTLM                = 0x00000200
	ntlmFlagAlwaysSign          = 0x00008000
	ntlmFlagTargetTypeDomain    = 0x00010000
	ntlmFlagExtendedSessionSec  = 0x00080000
	ntlmFlagTargetInfo          = 0x00800000
	ntlmFlagVersion             = 0x02000000
	ntlmFlag128                 = 0x20000000
	ntlmFlag56                  = 0x80000000
	ntlmChallengeFlags          = ntlmFlagUnicode | ntlmFlagRequestTarget | ntlmFlagNTLM | ntlmFlagAlwaysSign | ntlmFlagTargetTypeDomain | ntlmFlagExtendedSessionSec | ntlmFlagTargetInfo | ntlmFlagVersion | ntlmFlag128 | ntlmFlag56
	ntlmAvEOL                   = 0
	ntlmAvNbComputerName        = 1
	ntlmAvNbDomainName          = 2
	ntlmAvDnsComputerName       = 3
	ntlmAvDnsDomainName         = 4
	ntlmAvTimestamp             = 7
	ntlmMinNTLMv2ResponseLength = 16 + 28 // NTProofStr + the fixed part of the client blob
)

var ntlmSignature = []byte("NTLMSSP\x00")

// windowsEpochOffset is 1601-01-01 to 1970-01-01 in 100 ns ticks (FILETIME).
const windowsEpochOffset = 116444736000000000

type ntlmServer struct {
	user, password, domain string
	ntHash                 [16]byte

	// now is the clock for challenge expiry (tests replace it).
	now func() time.Time

	mu      sync.Mutex
	pending map[string]ntlmPending // by r.RemoteAddr
}

type ntlmPending struct {
	challenge [8]byte
	issued    time.Time
}

// newNTLMServer verifies NTLMv2 responses for one account. user may be given
// as DOMAIN\user, user@domain or user; domain is the account's domain
// (DNS or NetBIOS form, may be empty).
func newNTLMServer(user, password, domain string) *ntlmServer {
	return &ntlmServer{
		user:     user,
		password: password,
		domain:   domain,
		ntHash:   md4Sum(utf16le(password)),
		now:      time.Now,
		pending:  make(map[string]ntlmPending),
	}
}

// authenticate checks the request's Authorization header. When it returns
// !ok it has already written the 401 response: with a CHALLENGE for a
// NEGOTIATE message, otherwise with "WWW-Authenticate: NTLM" and
// "WWW-Authenticate: Negotiate" so the client starts (again).
func (n *ntlmServer) authenticate(w http.ResponseWriter, r *http.Request) (user string, ok bool) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	switch {
	case strings.EqualFold(scheme, "NTLM"):
		scheme = "NTLM"
	case strings.EqualFold(scheme, "Negotiate"):
		scheme = "Negotiate"
	default:
		n.refuse(w, r)
		return "", false
	}
	msg, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil || len(msg) < 12 || !bytes.Equal(msg[:8], ntlmSignature) {
		n.refuse(w, r)
		return "", false
	}
	switch binary.LittleEndian.Uint32(msg[8:12]) {
	case 1:
		n.challenge(w, r, scheme)
		return "", false
	case 3:
		if n.verify(r.RemoteAddr, msg) {
			return n.user, true
		}
	}
	n.refuse(w, r)
	return "", false
}

// refuse answers 401 asking for NTLM (or Negotiate carrying NTLM).
func (n *ntlmServer) refuse(w http.ResponseWriter, r *http.Request) {
	drainBody(r)
	w.Header().Add("WWW-Authenticate", "NTLM")
	w.Header().Add("WWW-Authenticate", "Negotiate")
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

// challenge answers a NEGOTIATE message with 401 and a CHALLENGE message,
// remembering the server challenge for this connection.
func (n *ntlmServer) challenge(w http.ResponseWriter, r *http.Request, scheme string) {
	drainBody(r)
	var p ntlmPending
	if _, err := rand.Read(p.challenge[:]); err != nil {
		http.Error(w, "500 cannot make an NTLM challenge", http.StatusInternalServerError)
		return
	}
	p.issued = n.now()
	n.remember(r.RemoteAddr, p)
	msg := n.challengeMessage(p.challenge, p.issued)
	w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(msg))
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

func (n *ntlmServer) remember(conn string, p ntlmPending) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.pending[conn]; !ok && len(n.pending) >= ntlmMaxPending {
		now := n.now()
		for k, v := range n.pending {
			if now.Sub(v.issued) > ntlmChallengeTTL {
				delete(n.pending, k)
			}
		}
		if len(n.pending) >= ntlmMaxPending {
			// Still full of fresh challenges (a flood): forget the oldest
			// quarter at once, so this sort runs once per many inserts.
			type entry struct {
				conn   string
				issued time.Time
			}
			all := make([]entry, 0, len(n.pending))
			for k, v := range n.pending {
				all = append(all, entry{k, v.issued})
			}
			sort.Slice(all, func(i, j int) bool { return all[i].issued.Before(all[j].issued) })
			for _, e := range all[:len(all)-ntlmMaxPending*3/4] {
				delete(n.pending, e.conn)
			}
		}
	}
	n.pending[conn] = p
}

// take returns and forgets the challenge sent on conn, if it is still fresh.
// A challenge is good for one AUTHENTICATE message only.
func (n *ntlmServer) take(conn string) ([8]byte, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.pending[conn]
	if !ok {
		return [8]byte{}, false
	}
	delete(n.pending, conn)
	if n.now().Sub(p.issued) > ntlmChallengeTTL {
		return [8]byte{}, false
	}
	return p.challenge, true
}

// names are what the CHALLENGE message says about the server: NetBIOS and
// DNS domain and computer names.
func (n *ntlmServer) names() (nbDomain, dnsDomain string) {
	d := n.domain
	if d == "" {
		if _, after, ok := strings.Cut(n.user, "@"); ok {
			d = after
		} else if before, _, ok := strings.Cut(n.user, `\`); ok {
			d = before
		}
	}
	if d == "" {
		d = "ewsmon.local"
	}
	nb, _, _ := strings.Cut(d, ".")
	nb = strings.ToUpper(nb)
	if len(nb) > 15 {
		nb = nb[:15]
	}
	dns := strings.ToLower(d)
	if !strings.Contains(dns, ".") {
		dns += ".local"
	}
	return nb, dns
}

// challengeMessage builds a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) with target
// info AV pairs, including MsvAvTimestamp (clients then send NTLMv2 only).
func (n *ntlmServer) challengeMessage(challenge [8]byte, now time.Time) []byte {
	nbDomain, dnsDomain := n.names()
	var info []byte
	av := func(id uint16, v []byte) {
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	av(ntlmAvNbDomainName, utf16le(nbDomain))
	av(ntlmAvNbComputerName, utf16le("EWSMONSIM"))
	av(ntlmAvDnsDomainName, utf16le(dnsDomain))
	av(ntlmAvDnsComputerName, utf16le("sim."+dnsDomain))
	ts := make([]byte, 8)
	binary.LittleEndian.PutUint64(ts, uint64(now.UnixNano()/100+windowsEpochOffset))
	av(ntlmAvTimestamp, ts)
	av(ntlmAvEOL, nil)

	target := utf16le(nbDomain)
	const header = 56
	msg := make([]byte, 0, header+len(target)+len(info))
	msg = append(msg, ntlmSignature...)
	msg = binary.LittleEndian.AppendUint32(msg, 2)
	msg = appendVarField(msg, len(target), header)
	msg = binary.LittleEndian.AppendUint32(msg, ntlmChallengeFlags)
	msg = append(msg, challenge[:]...)
	msg = append(msg, make([]byte, 8)...) // reserved
	msg = appendVarField(msg, len(info), header+len(target))
	msg = append(msg, 10, 0, 0x63, 0x45, 0, 0, 0, 15) // version 10.0.17763, NTLMSSP revision 15
	msg = append(msg, target...)
	msg = append(msg, info...)
	return msg
}

func appendVarField(b []byte, length, offset int) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(length))
	b = binary.LittleEndian.AppendUint16(b, uint16(length))
	return binary.LittleEndian.AppendUint32(b, uint32(offset))
}

// verify checks an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): the user must be
// the configured one and the NTLMv2 response must prove the password for the
// challenge sent on this connection.
func (n *ntlmServer) verify(conn string, msg []byte) bool {
	challenge, ok := n.take(conn)
	if !ok || len(msg) < 52 {
		return false
	}
	unicode := true
	if len(msg) >= 64 {
		unicode = binary.LittleEndian.Uint32(msg[60:64])&ntlmFlagUnicode != 0
	}
	ntResp, ok1 := varField(msg, 20)
	domainRaw, ok2 := varField(msg, 28)
	userRaw, ok3 := varField(msg, 36)
	if !ok1 || !ok2 || !ok3 || len(ntResp) < ntlmMinNTLMv2ResponseLength {
		return false // malformed, anonymous, or NTLMv1 (24-byte response)
	}
	blob := ntResp[16:]
	if blob[0] != 1 || blob[1] != 1 {
		return false
	}
	user, domain := decodeNTLMString(userRaw, unicode), decodeNTLMString(domainRaw, unicode)
	if !n.sameAccount(user, domain) {
		return false
	}
	key := hmacMD5(n.ntHash[:], utf16le(strings.ToUpper(user)+domain))
	proof := hmacMD5(key, challenge[:], blob)
	return hmac.Equal(proof, ntResp[:16])
}

// sameAccount compares the account named in the message with the configured
// one, case-insensitively, whichever of DOMAIN\user, user@domain and user
// either side uses. A domain is only checked when both sides name one.
func (n *ntlmServer) sameAccount(user, domain string) bool {
	split := func(s string) (local, dom string) {
		if d, u, ok := strings.Cut(s, `\`); ok {
			return u, d
		}
		if u, d, ok := strings.Cut(s, "@"); ok {
			return u, d
		}
		return s, ""
	}
	local, dom := split(user)
	if domain != "" {
		dom = domain
	}
	wantLocal, wantDom := split(n.user)
	if local == "" || !strings.EqualFold(local, wantLocal) {
		return false
	}
	var allowed []string
	for _, d := range []string{wantDom, n.domain} {
		if d != "" {
			first, _, _ := strings.Cut(d, ".")
			allowed = append(allowed, d, first)
		}
	}
	if dom == "" || len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if strings.EqualFold(a, dom) {
			return true
		}
	}
	return false
}

// varField returns the bytes a security buffer (len, maxlen, offset) at off
// points to, if it lies inside msg.
func varField(msg []byte, off int) ([]byte, bool) {
	if off+8 > len(msg) {
		return nil, false
	}
	length := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int64(binary.LittleEndian.Uint32(msg[off+4:]))
	if start+int64(length) > int64(len(msg)) {
		return nil, false
	}
	return msg[start : start+int64(length)], true
}

func decodeNTLMString(b []byte, unicode bool) string {
	if !unicode {
		return string(b)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// drainBody reads what is left of a refused request's body (up to 1 MiB) so
// the connection stays usable for the next leg of the handshake.
func drainBody(r *http.Request) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	}
}
