package model

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Compare puts side by side what several subscriptions to the same
// mailbox (one per transport: streaming, pull, push) delivered: for each
// event, when each transport delivered it relative to the first arrival,
// which one missed it (it had not come Settle after the first arrival) and
// which delivered it twice; per transport, counts and delay quantiles.
//
// The same event on two subscriptions is told by its values: type, ids,
// unread count and TimeStamp (a streaming event carries no watermark, and
// each subscription's watermarks are its own). Events alike in all of
// those — two ModifiedEvents of one folder in the same second — are
// matched in order: a transport's n-th arrival of such an event is the
// n-th row of it. A repeat is a second arrival of a watermark the
// transport already delivered (pull and push; streaming repeats cannot
// be told from new events).
type Compare struct {
	names  []string
	settle time.Duration
	max    int

	rows  []*CompareRow // oldest first, at most max
	byKey map[string][]*CompareRow
	seen  []map[string]struct{} // watermarks per transport (bounded with rows)
	nth   []map[string]int      // per transport: arrivals of each key so far
	stats []TransportStats
	delay []delayRing
}

// CompareRow is one event as the transports delivered it.
type CompareRow struct {
	Seq   uint64 // numbered from 1 in order of first arrival
	Key   string
	Event ews.Event // as the first transport delivered it
	First time.Time // the first arrival on any transport
	// Per transport: when it arrived (zero: not yet, or missed), how often
	// (2 or more: delivered twice), and missed: Settle passed without it.
	At      []time.Time
	Count   []int
	Missed  []bool
	settled bool
}

// Delay is how long after the first arrival transport t delivered the
// event; ok false when it has not.
func (r *CompareRow) Delay(t int) (time.Duration, bool) {
	if r.At[t].IsZero() {
		return 0, false
	}
	return r.At[t].Sub(r.First), true
}

// Settled: every transport delivered the event, or was found missing it.
func (r *CompareRow) Settled() bool { return r.settled }

// TransportStats is one transport's side of the comparison. The wire
// figures are filled in by whoever owns the connection (SetWire).
type TransportStats struct {
	Name       string
	Events     int // deliveries, repeats included
	First      int // events this transport delivered first
	Missed     int
	Duplicated int
	// Gaps: times the transport's runner reported a possible gap (its
	// subscription lost, its watermark refused…): what it missed there it
	// will not deliver, the others may have.
	Gaps      int
	Median    time.Duration // delay after the first arrival
	P99       time.Duration
	Requests  int64
	BytesSent int64
	BytesRecv int64
}

// delayRing keeps the latest delays of a transport for its quantiles, so
// memory stays bounded on a long run.
type delayRing struct {
	d    []time.Duration
	next int
}

const delaySamples = 8192

func (g *delayRing) add(d time.Duration) {
	if len(g.d) < delaySamples {
		g.d = append(g.d, d)
		return
	}
	g.d[g.next] = d
	g.next = (g.next + 1) % delaySamples
}

func (g *delayRing) quantiles() (median, p99 time.Duration) {
	if len(g.d) == 0 {
		return 0, 0
	}
	s := slices.Clone(g.d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.5), at(0.99)
}

// NewCompare compares the named transports. An event one of them has not
// delivered settle after the first arrival counts as missed by it; at most
// max rows are kept (older ones are dropped, settled or not).
func NewCompare(names []string, settle time.Duration, max int) *Compare {
	if max < 1 {
		max = 1
	}
	c := &Compare{names: slices.Clone(names), settle: settle, max: max, byKey: map[string][]*CompareRow{}}
	for _, n := range names {
		c.seen = append(c.seen, map[string]struct{}{})
		c.nth = append(c.nth, map[string]int{})
		c.stats = append(c.stats, TransportStats{Name: n})
		c.delay = append(c.delay, delayRing{})
	}
	return c
}

// Names are the transports, in the order given.
func (c *Compare) Names() []string { return c.names }

// Rows are the rows kept, oldest first.
func (c *Compare) Rows() []*CompareRow { return c.rows }

// CompareKey is the identity of an event across subscriptions.
func CompareKey(e *ews.Event) string {
	u := ""
	if e.UnreadCount != nil {
		u = strconv.Itoa(*e.UnreadCount)
	}
	return strings.Join([]string{string(e.Type), e.TimeStamp.UTC().Format(time.RFC3339), e.ItemId.Id, e.FolderId.Id, e.ParentFolderId.Id,
		e.OldItemId.Id, e.OldFolderId.Id, e.OldParentFolderId.Id, u}, "|")
}

// Add records that transport t delivered e at at. It returns the event's
// row and whether this was a repeat on t. StatusEvents are not compared
// (each subscription has its own).
func (c *Compare) Add(t int, e ews.Event, at time.Time) (row *CompareRow, repeat bool) {
	if t < 0 || t >= len(c.names) || e.Type == ews.StatusEvent {
		return nil, false
	}
	st := &c.stats[t]
	st.Events++
	key := CompareKey(&e)
	if w := e.Watermark; w != "" {
		if _, ok := c.seen[t][w]; ok {
			st.Duplicated++
			// The row it repeats: the latest of its key this transport
			// delivered.
			if rs := c.byKey[key]; len(rs) > 0 {
				n := min(c.nth[t][key], len(rs)) - 1
				if n >= 0 {
					rs[n].Count[t]++
					return rs[n], true
				}
			}
			return nil, true
		}
		c.seen[t][w] = struct{}{}
	}
	n := c.nth[t][key]
	c.nth[t][key] = n + 1
	rs := c.byKey[key]
	if n < len(rs) {
		row = rs[n]
	} else {
		row = c.newRow(key, e, at)
		st.First++
	}
	row.Count[t]++
	if row.At[t].IsZero() {
		row.At[t] = at
		if row.Missed[t] {
			// Later than Settle, but here: not missed after all.
			row.Missed[t] = false
			st.Missed--
		}
		c.delay[t].add(at.Sub(row.First))
	}
	c.checkSettled(row)
	return row, false
}

func (c *Compare) newRow(key string, e ews.Event, at time.Time) *CompareRow {
	n := len(c.names)
	e.RawXML = nil
	var seq uint64 = 1
	if len(c.rows) > 0 {
		seq = c.rows[len(c.rows)-1].Seq + 1
	}
	row := &CompareRow{Seq: seq, Key: key, Event: e, First: at, At: make([]time.Time, n), Count: make([]int, n), Missed: make([]bool, n)}
	c.rows = append(c.rows, row)
	c.byKey[key] = append(c.byKey[key], row)
	for len(c.rows) > c.max {
		c.drop()
	}
	return row
}

// drop forgets the oldest row: its key's arrivals count from the next.
func (c *Compare) drop() {
	old := c.rows[0]
	c.rows[0] = nil
	c.rows = c.rows[1:]
	rs := c.byKey[old.Key]
	if len(rs) > 0 && rs[0] == old {
		rs = rs[1:]
	}
	if len(rs) == 0 {
		delete(c.byKey, old.Key)
	} else {
		c.byKey[old.Key] = rs
	}
	for t := range c.names {
		if n := c.nth[t][old.Key]; n > 1 {
			c.nth[t][old.Key] = n - 1
		} else {
			delete(c.nth[t], old.Key)
		}
	}
	// The watermark sets only need to outlive the rows they protect.
	for t := range c.seen {
		if len(c.seen[t]) > 4*c.max {
			c.seen[t] = map[string]struct{}{}
		}
	}
}

func (c *Compare) checkSettled(r *CompareRow) {
	if r.settled {
		return
	}
	for t := range c.names {
		if r.At[t].IsZero() && !r.Missed[t] {
			return
		}
	}
	r.settled = true
}

// Settle marks as missed, by each transport that has not delivered it, every
// row whose first arrival is Settle or more before now, and returns the
// rows settled by this call (oldest first).
func (c *Compare) Settle(now time.Time) []*CompareRow {
	var out []*CompareRow
	for _, r := range c.rows {
		if r.settled {
			continue
		}
		if now.Sub(r.First) < c.settle {
			break // rows are in order of first arrival
		}
		for t := range c.names {
			if r.At[t].IsZero() && !r.Missed[t] {
				r.Missed[t] = true
				c.stats[t].Missed++
			}
		}
		r.settled = true
		out = append(out, r)
	}
	return out
}

// Gap records that transport t reported a possible gap.
func (c *Compare) Gap(t int) {
	if t >= 0 && t < len(c.stats) {
		c.stats[t].Gaps++
	}
}

// SetWire sets transport t's requests and bytes on the wire.
func (c *Compare) SetWire(t int, requests, sent, recv int64) {
	if t < 0 || t >= len(c.stats) {
		return
	}
	c.stats[t].Requests, c.stats[t].BytesSent, c.stats[t].BytesRecv = requests, sent, recv
}

// Stats are the transports' figures now.
func (c *Compare) Stats() []TransportStats {
	out := slices.Clone(c.stats)
	for t := range out {
		out[t].Median, out[t].P99 = c.delay[t].quantiles()
	}
	return out
}
