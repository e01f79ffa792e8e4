package ews_test

import (
	"context"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// A password typed again after "authentication failed" is used from the
// next request on, with Basic and with NTLM.
func TestSetPassword(t *testing.T) {
	for _, auth := range []ews.AuthKind{ews.AuthBasic, ews.AuthNTLM} {
		t.Run(string(auth), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			srv, err := sim.Start(ctx, sim.Config{Auth: sim.AuthConfig{Mode: string(auth), User: "alice@example.com", Password: "right"}}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: auth, User: "alice@example.com", Password: "wrong"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			inbox := ews.Distinguished("inbox")
			if _, err := c.GetFolder(ctx, inbox); err == nil {
				t.Fatal("the wrong password was accepted")
			}
			c.SetPassword("right")
			if _, err := c.GetFolder(ctx, inbox); err != nil {
				t.Fatalf("after SetPassword: %v", err)
			}
		})
	}
}
