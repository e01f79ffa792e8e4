package cli

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// newClient builds the EWS client of the dashboard and watch, and prints
// on stderr, after prog ("ewsmon", "ewsmon watch"), the warnings a user
// must see about it: TLS checking turned off, credentials in clear text.
func newClient(cfg ews.Config, prog string, stderr io.Writer) (*ews.Client, error) {
	client, err := ews.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	if w := client.Warning(); w != "" {
		fmt.Fprintf(stderr, "%s: warning: %s\n", prog, strings.TrimPrefix(w, "warning: ")) // it says "warning: " itself
	}
	if w := cleartextWarning(cfg.URL, cfg.Auth); w != "" {
		fmt.Fprintf(stderr, "%s: warning: %s\n", prog, w)
	}
	return client, nil
}

// cleartextWarning is the warning to print when the credentials would cross
// the network readable by anyone on the path: Basic authentication (or a
// bearer token) over plain http:// to a host that is not this machine. Basic
// sends the user and password only base64-encoded, "in clear text" (RFC 7617
// section 4, https://www.rfc-editor.org/rfc/rfc7617#section-4), and a bearer
// token must only travel over TLS (RFC 6750 section 5.3,
// https://www.rfc-editor.org/rfc/rfc6750#section-5.3). NTLM does not send
// the password. Loopback (127.0.0.0/8, ::1, localhost) stays on the machine:
// no warning. "" when there is nothing to warn about.
func cleartextWarning(rawURL string, auth ews.AuthKind) string {
	what := ""
	switch auth {
	case ews.AuthBasic:
		what = "basic authentication over plain http:// to %s sends the password in clear text"
	case ews.AuthBearer:
		what = "bearer authentication over plain http:// to %s sends the token in clear text"
	default:
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || loopbackHost(u.Hostname()) {
		return ""
	}
	return fmt.Sprintf(what, u.Host)
}

// loopbackHost reports whether host names this machine's loopback.
func loopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true // RFC 6761 section 6.3: localhost names are loopback
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
