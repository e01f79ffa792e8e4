package ews

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A stream that delivered events and then broke, again and again, as a
// burst of real faults does: every one is reopened at once (the fake clock
// never moves), each break is one gap from its last envelope to the next
// connection's first, and no gap is reported for a stream that ended with
// Closed.
func TestBrokenStreamsAreGapsAndNotPaced(t *testing.T) {
	const breaks = 6
	ws := newWatchServer(t, func(n int, w io.Writer, flush func(), r *fakeReq) {
		io.WriteString(w, statusEnvelope("OK"))
		flush()
		switch {
		case n <= breaks:
			io.WriteString(w, newMailEnvelope("sub-1", "item-"+string(rune('a'+n))))
			flush()
			// Half an envelope, then the connection aborts.
			io.WriteString(w, newMailEnvelope("sub-1", "lost")[:120])
			flush()
			panic(http.ErrAbortHandler)
		case n == breaks+1:
			io.WriteString(w, statusEnvelope("Closed"))
		default:
			hold(r)
		}
	})
	clock := NewFakeClock(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	c := ws.client(t, Config{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Watch(ctx, WatchConfig{})
	var gaps []*Gap
	opens := 0
	for opens < breaks+2 {
		u := nextUpdate(t, ch)
		if u.Gap != nil {
			gaps = append(gaps, u.Gap)
			if u.Gaps != len(gaps) || u.Gap.ID != uint64(len(gaps)) || !strings.Contains(u.Gap.Reason, "stream broke") {
				t.Fatalf("gap update %+v (gaps %d)", u.Gap, u.Gaps)
			}
		}
		if u.State == StateOpen && u.Heartbeat && len(u.Events) == 0 {
			opens++
		}
		if u.Reconciled != nil {
			t.Fatal("reconciliation without WatchConfig.Reconcile")
		}
	}
	if len(gaps) != breaks {
		t.Fatalf("%d gaps for %d broken streams", len(gaps), breaks)
	}
	for _, g := range gaps {
		if g.To.Before(g.From) {
			t.Errorf("gap %+v", g)
		}
	}
	if got := len(ws.requests("Subscribe")); got != 1 {
		t.Errorf("%d subscribes: a broken stream keeps its subscription", got)
	}
	finish(t, cancel, ch)
}
