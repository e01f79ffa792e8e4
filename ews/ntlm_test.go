package ews_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// NTLM against the simulator's server, which verifies the NTLMv2 response
// against the password.
func startNTLMSim(t *testing.T) (*sim.Server, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := sim.Start(ctx, sim.Config{
		Auth: sim.AuthConfig{Mode: "ntlm", User: "alice", Password: "Corr3ct horse", Domain: "EXAMPLE"},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ctx
}

func TestNTLMRightPasswordAccepted(t *testing.T) {
	s, ctx := startNTLMSim(t)
	c, err := ews.NewClient(ews.Config{URL: s.URL(), Auth: ews.AuthNTLM, User: `EXAMPLE\alice`, Password: "Corr3ct horse"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	fs, err := c.GetFolder(ctx, ews.Distinguished("inbox"))
	if err != nil {
		t.Fatalf("GetFolder with the right password: %v", err)
	}
	if len(fs) != 1 || fs[0].FolderId.IsZero() {
		t.Fatalf("folders %+v", fs)
	}

	// A streaming subscription over NTLM: the stream authenticates its own
	// connection, and ordinary calls still go through while it is open.
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	updates := c.Watch(wctx, ews.WatchConfig{})
	deadline := time.After(20 * time.Second)
	for open := false; !open; {
		select {
		case u, ok := <-updates:
			if !ok {
				t.Fatal("watch ended")
			}
			if u.State == ews.StateError {
				t.Fatalf("watch: %v", u.Err)
			}
			open = u.State == ews.StateOpen
		case <-deadline:
			t.Fatal("stream never opened")
		}
	}
	res, err := s.Act(ctx, sim.ActionRequest{Action: "new-mail"})
	if err != nil {
		t.Fatal(err)
	}
	var item ews.ItemId
	for _, e := range res.Events {
		if e.Type == ews.NewMailEvent {
			item = e.ItemId
		}
	}
	for got := false; !got; {
		select {
		case u := <-updates:
			for _, e := range u.Events {
				if e.Type == ews.NewMailEvent && e.ItemId.Id == item.Id {
					got = true
				}
			}
		case <-deadline:
			t.Fatal("the new mail never came over the NTLM stream")
		}
	}
	items, err := c.GetItem(ctx, item)
	if err != nil || len(items) != 1 || items[0].Subject == "" {
		t.Fatalf("GetItem while the stream is open: %+v %v", items, err)
	}
	stop()
	for range updates {
	}
}

func TestNTLMWrongPasswordRejected(t *testing.T) {
	s, ctx := startNTLMSim(t)
	for _, user := range []string{`EXAMPLE\alice`, "alice"} {
		c, err := ews.NewClient(ews.Config{URL: s.URL(), Auth: ews.AuthNTLM, User: user, Password: "wrong"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetFolder(ctx, ews.Distinguished("inbox"))
		want := "authentication failed for " + user + " at " + s.URL() + ": check user and password"
		if err == nil || err.Error() != want {
			t.Errorf("wrong password as %s: %v\nwant %q", user, err, want)
		}
		var te *ews.TransportError
		if !errors.As(err, &te) || te.StatusCode != 401 || !te.Fatal() {
			t.Errorf("want a fatal 401 TransportError, got %#v", err)
		}
		// The runner gives up at once with the same sentence.
		var last ews.Update
		for u := range c.Watch(ctx, ews.WatchConfig{Mode: ews.ModePull}) {
			last = u
		}
		if last.State != ews.StateError || last.Err == nil || !strings.HasPrefix(last.Err.Error(), "authentication failed for "+user) {
			t.Errorf("watch with the wrong password: %+v", last)
		}
		c.CloseIdleConnections()
	}
}
