package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// `ewsmon watch --mode all`: streaming, pull and push subscriptions to the
// same folders at once, compared event by event (model.Compare).

var compareModes = []ews.Mode{ews.ModeStreaming, ews.ModePull, ews.ModePush}

// compareLine is a Compare line (one event as the transports delivered
// it) or a TransportSummary line (one transport's figures).
type compareLine struct {
	Type string `json:"type"`
	// Compare
	Seq          uint64           `json:"seq,omitempty"`
	Event        string           `json:"event,omitempty"`
	TimeStamp    string           `json:"timestamp,omitempty"`
	ItemId       string           `json:"item_id,omitempty"`
	FolderId     string           `json:"folder_id,omitempty"`
	ParentId     string           `json:"parent_folder_id,omitempty"`
	Cascade      uint64           `json:"cascade,omitempty"`
	CascadeLabel string           `json:"cascade_label,omitempty"`
	First        string           `json:"first,omitempty"`
	DelaysMs     map[string]int64 `json:"delays_ms,omitempty"`
	MissedBy     []string         `json:"missed_by,omitempty"`
	RepeatedBy   []string         `json:"repeated_by,omitempty"`
	// TransportSummary
	Transport  string `json:"transport,omitempty"`
	Events     *int   `json:"events,omitempty"`
	FirstCount *int   `json:"first_count,omitempty"`
	Missed     *int   `json:"missed,omitempty"`
	Duplicated *int   `json:"duplicated,omitempty"`
	Gaps       *int   `json:"gaps,omitempty"`
	MedianMs   *int64 `json:"median_ms,omitempty"`
	P99Ms      *int64 `json:"p99_ms,omitempty"`
	Requests   *int64 `json:"requests,omitempty"`
	BytesSent  *int64 `json:"bytes_sent,omitempty"`
	BytesRecv  *int64 `json:"bytes_received,omitempty"`
}

// compareSettle is how long after an event's first arrival a transport
// that has not delivered it counts as missing it: two pull intervals (a
// poll may just have gone out) and 3 s for the network and the server.
func compareSettle(poll time.Duration) time.Duration {
	if poll <= 0 {
		poll = 5 * time.Second // the runner's default
	}
	return 2*poll + 3*time.Second
}

type compareRun struct {
	o       watchOptions
	enc     *json.Encoder
	cmp     *model.Compare
	st      *model.State            // cascades, as grouped by first arrival
	pending map[uint64]*model.Entry // rows not written yet, by Seq: their first arrival's entry
	lastSeq uint64
	clients []*ews.Client
	push    *ews.PushListener
	stop    context.CancelFunc
	written int
	outErr  error
	fatal   error
	state   []ews.ConnState
}

func runCompare(runCtx, ctx context.Context, o watchOptions, stdout, stderr io.Writer, env watchEnv, fail func(error) int) int {
	clock := env.clock
	if clock == nil {
		clock = ews.RealClock{}
	}
	l, err := ews.ListenPush(runCtx, o.push)
	if err != nil {
		return fail(err)
	}
	defer l.Close()
	fmt.Fprintf(stderr, "ewsmon watch: push listener on %s; the server is given %s\n", l.Addr(), l.URL())
	names := make([]string, len(compareModes))
	runs := make([]ews.SideBySide, len(compareModes))
	r := &compareRun{o: o, enc: json.NewEncoder(stdout), push: l, pending: map[uint64]*model.Entry{}, state: make([]ews.ConnState, len(compareModes))}
	r.enc.SetEscapeHTML(false)
	for i, m := range compareModes {
		c, err := ews.NewClient(o.client)
		if err != nil {
			return fail(err)
		}
		defer c.CloseIdleConnections()
		cfg := o.watch
		cfg.Mode = m
		if m == ews.ModePush {
			cfg.Push = l
		} else {
			cfg.StatusFrequency = 0
		}
		names[i] = string(m)
		runs[i] = ews.SideBySide{Name: string(m), Client: c, Config: cfg}
		r.clients = append(r.clients, c)
	}
	r.cmp = model.NewCompare(names, compareSettle(o.watch.PollInterval), 20000)
	r.st = model.New(model.Config{MaxEvents: 20000, CascadeGap: model.DefaultCascadeGap, Location: time.UTC})
	if o.cascades {
		// Folder names for the cascade labels, as watch has them.
		namer := &watchNamer{ctx: runCtx, client: r.clients[0], st: r.st, stderr: stderr}
		namer.syncFolders(true)
		namer.resolveHidden()
	}
	wctx, stop := context.WithCancel(runCtx)
	defer stop()
	r.stop = stop
	ups := ews.WatchSideBySide(wctx, runs)
	tick := clock.After(250 * time.Millisecond)
	for open := true; open; {
		select {
		case u, ok := <-ups:
			if !ok {
				open = false
				continue
			}
			r.update(u, clock.Now())
		case <-tick:
			tick = clock.After(250 * time.Millisecond)
			r.settle(clock.Now())
		}
	}
	r.summary()
	switch {
	case r.outErr != nil:
		return 0 // the reader went away (or the disk is full): said nothing more to say
	case r.fatal != nil && ctx.Err() == nil:
		return fail(r.fatal)
	}
	return 0
}

func (r *compareRun) write(v any) {
	if r.outErr != nil {
		return
	}
	if err := r.enc.Encode(v); err != nil {
		r.outErr = err
		r.stop()
	}
}

func (r *compareRun) update(u ews.TransportUpdate, now time.Time) {
	name := string(compareModes[u.Transport])
	if u.State != r.state[u.Transport] {
		r.state[u.Transport] = u.State
		msg := ""
		if u.Err != nil {
			msg = oneLine(u.Err.Error())
		}
		r.write(ews.Record{Type: "State", State: string(u.State), Mode: name, SubscriptionId: u.SubscriptionId, Message: msg, Transport: name})
	}
	if u.State == ews.StateError && u.Err != nil && r.fatal == nil {
		r.fatal = fmt.Errorf("%s: %w", name, u.Err)
		r.stop()
	}
	if u.Gap != nil {
		r.cmp.Gap(u.Transport)
		rec := ews.GapRecord(*u.Gap)
		rec.Transport = name
		r.write(rec)
	}
	if u.Reconciled != nil {
		for _, rec := range ews.ReconciledRecords(u.Reconciled) {
			rec.Transport = name
			r.write(rec)
		}
	}
	at := u.At
	if at.IsZero() {
		at = now
	}
	for _, e := range u.Events {
		if e.Type == ews.StatusEvent && !r.o.showStatus {
			continue
		}
		rec := ews.EventRecord(e)
		rec.Transport = name
		if e.Type != ews.StatusEvent {
			row, _ := r.cmp.Add(u.Transport, e, at)
			if row != nil {
				if d, ok := row.Delay(u.Transport); ok {
					ms := d.Milliseconds()
					rec.DelayMs = &ms
				}
				if row.Seq > r.lastSeq {
					// The first arrival: grouped into cascades.
					r.lastSeq = row.Seq
					r.st.Apply(ews.Update{At: at, Events: []ews.Event{e}})
					r.pending[row.Seq] = r.st.Newest()
				}
			}
		}
		r.write(rec)
	}
}

// settle writes a Compare line for each event that every transport has
// delivered or missed, in order of first arrival.
func (r *compareRun) settle(now time.Time) {
	r.cmp.Settle(now)
	rows := r.cmp.Rows()
	for _, row := range rows {
		if !row.Settled() {
			break // keep the order of first arrival
		}
		if _, ok := r.pending[row.Seq]; ok {
			r.compared(row)
		}
	}
	// Rows the comparison dropped unsettled (more than it keeps) are
	// never written: forget them.
	if len(rows) > 0 && len(r.pending) > len(rows) {
		for seq := range r.pending {
			if seq < rows[0].Seq {
				delete(r.pending, seq)
			}
		}
	}
}

func (r *compareRun) compared(row *model.CompareRow) {
	ent := r.pending[row.Seq]
	delete(r.pending, row.Seq)
	if r.o.count > 0 && r.written >= r.o.count {
		return // stopping: --count lines are written
	}
	names := r.cmp.Names()
	l := compareLine{Type: "Compare", Seq: row.Seq, Event: string(row.Event.Type), ItemId: row.Event.ItemId.Id,
		FolderId: row.Event.FolderId.Id, ParentId: row.Event.ParentFolderId.Id, DelaysMs: map[string]int64{}}
	if !row.Event.TimeStamp.IsZero() {
		l.TimeStamp = row.Event.TimeStamp.UTC().Format(time.RFC3339)
	}
	rec := r.st.Record(ent)
	l.Cascade, l.CascadeLabel = rec.Cascade, rec.CascadeLabel
	for t, n := range names {
		if d, ok := row.Delay(t); ok {
			l.DelaysMs[n] = d.Milliseconds()
			if d == 0 && l.First == "" {
				l.First = n
			}
		}
		if row.Missed[t] {
			l.MissedBy = append(l.MissedBy, n)
		}
		if row.Count[t] > 1 {
			l.RepeatedBy = append(l.RepeatedBy, n)
		}
	}
	r.write(l)
	r.written++
	if r.o.count > 0 && r.written >= r.o.count {
		r.stop()
	}
}

// summary writes the events still unsettled as they stand, then one
// TransportSummary line per transport.
func (r *compareRun) summary() {
	for _, row := range r.cmp.Rows() {
		if _, ok := r.pending[row.Seq]; ok {
			r.compared(row)
		}
	}
	stats := r.cmp.Stats()
	for t, s := range stats {
		w := r.clients[t].Wire()
		if compareModes[t] == ews.ModePush {
			w = w.Add(r.push.Wire())
		}
		med, p99 := s.Median.Milliseconds(), s.P99.Milliseconds()
		r.write(compareLine{Type: "TransportSummary", Transport: s.Name, Events: &s.Events, FirstCount: &s.First,
			Missed: &s.Missed, Duplicated: &s.Duplicated, Gaps: &s.Gaps, MedianMs: &med, P99Ms: &p99,
			Requests: &w.Requests, BytesSent: &w.BytesSent, BytesRecv: &w.BytesReceived})
	}
}
