package ui

import (
	"context"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// The transport comparison (ewsmon --compare): several runners on the same
// folders at once, their updates merged (ews.WatchSideBySide) and compared
// event by event (model.Compare). Each event's first arrival goes into the
// dashboard's model.State, so the list groups and labels cascades as
// usual; the list's trailing columns and the summary pane show the rest.

// comparison is the root's side of the comparison.
type comparison struct {
	opts   *CompareOptions
	names  []string
	settle time.Duration
	cmp    *model.Compare
	// rows are the comparison's rows by the Seq of the list entry made of
	// their first arrival.
	rows    map[uint64]*model.CompareRow
	lastSeq uint64 // the newest CompareRow.Seq put in the list
	ch      <-chan ews.TransportUpdate
	states  []ews.ConnState
	errs    []error
	// gapIDs number the runners' gaps for the list: each runner numbers
	// its own from 1, the list needs one number per gap.
	gapIDs  map[transportGap]uint64
	nextGap uint64
}

// transportGap is a runner's gap: its transport and its own number.
type transportGap struct {
	t  int
	id uint64
}

// compareRows bounds the rows compared (older ones are dropped).
const compareRows = 20000

func newComparison(o *CompareOptions) *comparison {
	names := make([]string, len(o.Runs))
	for i, r := range o.Runs {
		names[i] = r.Name
		if names[i] == "" {
			names[i] = string(r.Config.Mode)
		}
	}
	settle := o.Settle
	if settle <= 0 {
		settle = CompareSettle(compareConfig(o, ews.ModePull).PollInterval)
	}
	return &comparison{opts: o, names: names, settle: settle, cmp: model.NewCompare(names, settle, compareRows),
		rows: map[uint64]*model.CompareRow{}, gapIDs: map[transportGap]uint64{}, states: make([]ews.ConnState, len(names)), errs: make([]error, len(names))}
}

// compareConfig is the config of the first runner in mode m (zero if none).
func compareConfig(o *CompareOptions, m ews.Mode) ews.WatchConfig {
	for _, r := range o.Runs {
		if r.Config.Mode == m {
			return r.Config
		}
	}
	return ews.WatchConfig{}
}

// compareMsg is every update waiting on the comparison's channel (of
// generation gen), drained in one go, as updatesMsg is for one runner.
type compareMsg struct {
	gen     uint64
	ch      <-chan ews.TransportUpdate
	updates []ews.TransportUpdate
	closed  bool
}

func waitCompare(gen uint64, ch <-chan ews.TransportUpdate) tea.Cmd {
	return func() tea.Msg {
		updates, closed := drain(ch)
		return compareMsg{gen: gen, ch: ch, updates: updates, closed: closed}
	}
}

// subscribeCompare (re)starts every runner as a new generation.
func (m *Model) subscribeCompare() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	m.gen++
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel = cancel
	watch := m.cmp.opts.Watch
	if watch == nil {
		watch = ews.WatchSideBySide
	}
	// The folders and event types are the dashboard's (f and e change
	// them); the rest of each runner's config is its own.
	runs := slices.Clone(m.cmp.opts.Runs)
	for i := range runs {
		runs[i].Config.Folders, runs[i].Config.EventTypes = m.watchCfg.Folders, m.watchCfg.EventTypes
	}
	m.cmp.ch = watch(ctx, runs)
	for t := range m.cmp.states {
		m.cmp.states[t], m.cmp.errs[t] = ews.StateSubscribing, nil
	}
	m.watching = true
	m.unsubscribing = false
	m.st.Apply(ews.Update{At: m.now(), Mode: m.watchCfg.Mode, State: ews.StateSubscribing})
	return waitCompare(m.gen, m.cmp.ch)
}

func (m *Model) onCompare(msg compareMsg) tea.Cmd {
	if msg.gen != m.gen {
		if !msg.closed {
			return waitCompare(msg.gen, msg.ch) // an old run winding down
		}
		return nil
	}
	now := m.now()
	for _, u := range msg.updates {
		m.compareUpdate(u, now)
	}
	m.compareState()
	m.refreshCompareDetail()
	resolve := m.resolveUnknown()
	if !msg.closed {
		return tea.Batch(waitCompare(msg.gen, msg.ch), resolve)
	}
	m.watching = false
	m.unsubscribing = false
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	for t, s := range m.cmp.states {
		switch s {
		case ews.StateError, ews.StateUnsubscribed, ews.StateExpired:
		default:
			m.cmp.states[t] = ews.StateClosed // the runner ended without saying so
		}
	}
	m.compareState()
	if m.quitting {
		return tea.Quit
	}
	return nil
}

func (m *Model) compareUpdate(u ews.TransportUpdate, now time.Time) {
	c := m.cmp
	if u.Transport < 0 || u.Transport >= len(c.names) {
		return
	}
	if u.State != "" {
		c.states[u.Transport], c.errs[u.Transport] = u.State, u.Err
	}
	m.noteAuth(u.Update)
	at := u.At
	if at.IsZero() {
		at = now
	}
	m.compareGap(u, at)
	if len(u.Events) > 0 {
		m.frame.arrived(at)
	}
	for _, e := range u.Events {
		if e.Type == ews.StatusEvent {
			continue
		}
		row, _ := c.cmp.Add(u.Transport, e, at)
		if row == nil || row.Seq <= c.lastSeq {
			continue
		}
		// The first arrival: listed, grouped into cascades, and shown
		// expanded, since each event's row carries its own delays.
		c.lastSeq = row.Seq
		m.st.Apply(ews.Update{At: at, Events: []ews.Event{e}})
		if ent := m.st.Newest(); ent != nil {
			c.rows[ent.Seq] = row
			m.st.SetExpanded(ent.CascadeID, true)
		}
	}
}

// compareGap lists a runner's gap, and what reconciliation found across
// it, as in the normal view but named by its transport ("pull:
// subscription lost"): the other transports may have delivered what it
// missed, and the summary counts it.
func (m *Model) compareGap(u ews.TransportUpdate, at time.Time) {
	c := m.cmp
	id := func(own uint64) uint64 {
		k := transportGap{u.Transport, own}
		if n, ok := c.gapIDs[k]; ok {
			return n
		}
		c.nextGap++
		c.gapIDs[k] = c.nextGap
		return c.nextGap
	}
	if g := u.Gap; g != nil {
		c.cmp.Gap(u.Transport)
		gg := *g
		gg.ID = id(g.ID)
		gg.Reason = c.names[u.Transport]
		if g.Reason != "" {
			gg.Reason += ": " + g.Reason
		}
		m.st.Apply(ews.Update{At: at, Gap: &gg})
	}
	if r := u.Reconciled; r != nil {
		rr := *r
		rr.GapID = id(r.GapID)
		m.st.Apply(ews.Update{At: at, Reconciled: &rr})
	}
	if len(c.gapIDs) > compareRows { // bounded; a reconciliation follows its gap closely
		clear(c.gapIDs)
	}
}

// refreshCompareDetail redraws an open detail view, whose arrivals may
// have changed (a later transport delivered, or Settle passed).
func (m *Model) refreshCompareDetail() {
	if m.modes.has(modeDetail) {
		m.detail.refreshKeepingPlace()
	}
}

// compareState tells the model (banner, spinner) the runners' state as
// one: the worst of them, an error naming its transport.
func (m *Model) compareState() {
	c := m.cmp
	for _, want := range []ews.ConnState{ews.StateError, ews.StateReconnecting, ews.StateExpired,
		ews.StateSubscribing, ews.StateOpen, ews.StateClosed, ews.StateUnsubscribed} {
		for t, s := range c.states {
			if s != want {
				continue
			}
			var err error
			if c.errs[t] != nil {
				err = fmt.Errorf("%s: %w", c.names[t], c.errs[t])
			}
			if st := m.st.Status(); st.State == s && (err == nil) == (st.Err == "") {
				return
			}
			m.st.Apply(ews.Update{At: m.now(), Mode: m.watchCfg.Mode, State: s, Err: err})
			return
		}
	}
}

// settleCompare marks what has waited long enough as missed and takes the
// runners' wire figures; the dashboard's tick calls it.
func (m *Model) settleCompare(now time.Time) {
	c := m.cmp
	c.cmp.Settle(now)
	for t := range c.names {
		w := m.compareWire(t)
		c.cmp.SetWire(t, w.Requests, w.BytesSent, w.BytesReceived)
	}
	// Forget the list's links to rows the comparison has dropped.
	if rows := c.cmp.Rows(); len(c.rows) > len(rows) && len(rows) > 0 {
		for seq, r := range c.rows {
			if r.Seq < rows[0].Seq {
				delete(c.rows, seq)
			}
		}
	}
}

func (m *Model) compareWire(t int) ews.WireStats {
	o := m.cmp.opts
	if o.Wire != nil {
		return o.Wire(t)
	}
	var w ews.WireStats
	if r := o.Runs[t]; r.Client != nil {
		w = r.Client.Wire()
		if r.Config.Mode == ews.ModePush && o.Push != nil {
			w = w.Add(o.Push.Wire())
		}
	}
	return w
}
