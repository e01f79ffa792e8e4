package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews/sim"
)

// compareOut is one line of `watch --mode all`, the fields the test reads.
type compareOut struct {
	Type           string           `json:"type"`
	State          string           `json:"state"`
	Transport      string           `json:"transport"`
	SubscriptionId string           `json:"subscription_id"`
	Event          string           `json:"event"`
	ItemId         string           `json:"item_id"`
	DelaysMs       map[string]int64 `json:"delays_ms"`
	MissedBy       []string         `json:"missed_by"`
	DelayMs        *int64           `json:"delay_ms"`
	Missed         *int             `json:"missed"`
	Gaps           *int             `json:"gaps"`
	Events         *int             `json:"events"`
	Requests       *int64           `json:"requests"`
	BytesRecv      *int64           `json:"bytes_received"`
	Reason         string           `json:"reason"`
}

// The three transports side by side on the real simulator over loopback:
// a fired action's events come on every transport, each with a delay; a
// streaming subscription expired just before an action misses its events,
// and the comparison says so; the summary counts what each moved.
func TestWatchCompareTransports(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Heartbeats every second: the new streaming subscription's first
	// envelope ends its gap (ews's runner reports a gap once coverage is
	// back), well before the test stops.
	srv, err := sim.Start(ctx, sim.Config{HeartbeatInterval: time.Second}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pr, pw := io.Pipe()
	lines := make(chan compareOut, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l compareOut
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("not JSON: %s", sc.Text())
				continue
			}
			lines <- l
		}
	}()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var stderr cmdBuffer
	done := make(chan int, 1)
	go func() {
		code := runWatch(wctx, []string{"--url", srv.URL(), "--auth", "none", "--mode", "all", "--poll", "2s"}, pw, &stderr)
		pw.Close()
		done <- code
	}()
	gapLines := map[string]int{} // by transport
	next := func(what string, f func(compareOut) bool) compareOut {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("output ended waiting for %s; stderr: %s", what, stderr.String())
				}
				if l.Type == "Gap" {
					gapLines[l.Transport]++
				}
				if f(l) {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("no %s before the deadline", what)
			}
		}
	}

	subs := map[string]string{}
	for len(subs) < 3 {
		l := next("three open subscriptions", func(l compareOut) bool { return l.Type == "State" && l.State == "open" })
		subs[l.Transport] = l.SubscriptionId
	}
	if subs["streaming"] == "" || subs["pull"] == "" || subs["push"] == "" {
		t.Fatalf("open transports %v", subs)
	}

	// Every transport delivers the action's events, with a delay each.
	res, err := srv.Act(ctx, sim.ActionRequest{Action: "new-mail"})
	if err != nil {
		t.Fatal(err)
	}
	for range res.Events {
		l := next("a Compare line", func(l compareOut) bool { return l.Type == "Compare" })
		if len(l.DelaysMs) != 3 || len(l.MissedBy) != 0 {
			t.Errorf("%s: delays %v, missed by %v; want all three, none missed", l.Event, l.DelaysMs, l.MissedBy)
		}
		if l.DelaysMs["pull"] < l.DelaysMs["streaming"] && l.DelaysMs["pull"] < l.DelaysMs["push"] {
			t.Logf("pull came first for %s (possible, not usual): %v", l.Event, l.DelaysMs)
		}
	}

	// The streaming subscription expires; until its new one exists (the
	// simulator holds every request 1.5 s meanwhile) an action fires.
	// Pull and push resume from their watermarks; streaming cannot.
	srv.Faults().Delay(1500 * time.Millisecond)
	if !srv.Faults().Expire(subs["streaming"]) {
		t.Fatal("no streaming subscription to expire")
	}
	res, err = srv.Act(ctx, sim.ActionRequest{Action: "new-mail"})
	if err != nil {
		t.Fatal(err)
	}
	item := res.Events[0].ItemId.Id
	for range res.Events {
		l := next("a Compare line of the second action", func(l compareOut) bool { return l.Type == "Compare" })
		if !slices.Equal(l.MissedBy, []string{"streaming"}) {
			t.Errorf("%s %s: missed by %v, delays %v; want missed by streaming alone", l.Event, l.ItemId, l.MissedBy, l.DelaysMs)
		}
		if l.Event == "CreatedEvent" && l.ItemId != item {
			t.Errorf("compared item %s, want %s", l.ItemId, item)
		}
	}
	srv.Faults().Delay(0)
	if gapLines["streaming"] == 0 {
		next("streaming's Gap line", func(l compareOut) bool { return l.Type == "Gap" && l.Transport == "streaming" })
	}

	stop()
	sums := map[string]compareOut{}
	for l := range lines {
		switch l.Type {
		case "TransportSummary":
			sums[l.Transport] = l
		case "Gap":
			gapLines[l.Transport]++
		}
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, tr := range []string{"streaming", "pull", "push"} {
		s, ok := sums[tr]
		if !ok || s.Events == nil || s.Requests == nil || *s.Requests < 1 || s.BytesRecv == nil || *s.BytesRecv <= 0 {
			t.Errorf("%s summary %+v", tr, s)
			continue
		}
		want := 0
		if tr == "streaming" {
			want = len(res.Events)
		}
		if *s.Missed != want {
			t.Errorf("%s missed %d, want %d", tr, *s.Missed, want)
		}
		// The expiry is a gap of streaming's, named by it, and counted.
		if s.Gaps == nil || *s.Gaps != gapLines[tr] || (tr == "streaming") != (*s.Gaps > 0) {
			t.Errorf("%s: %v gaps in the summary, %d Gap lines; want some for streaming alone", tr, s.Gaps, gapLines[tr])
		}
	}
	if !strings.Contains(stderr.String(), "push listener on 127.0.0.1:") {
		t.Errorf("stderr %q", stderr.String())
	}
}
