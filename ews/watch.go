package ews

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DeadConnectionAfter is the longest a stream may go without a complete
// envelope before the runner treats the connection as dead (servers send a
// heartbeat at least every ~45 s). Once heartbeats have been seen, twice
// their interval is the limit, when that is shorter.
const DeadConnectionAfter = 90 * time.Second

// minDeadAfter is the least the heartbeat-based limit goes down to.
const minDeadAfter = time.Second

// closedGrace is how long past its ConnectionTimeout a stream may stay open
// before it is dead: the server should have said Closed.
const closedGrace = time.Minute

// UnsubscribeTimeout bounds the Unsubscribe a runner sends when its context
// ends.
const UnsubscribeTimeout = 10 * time.Second

// Backoff bounds for reconnecting after failures.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// ErrDeadConnection is the error of a stream that delivered no complete
// envelope for too long, or stayed open well past its ConnectionTimeout.
var ErrDeadConnection = errors.New("no complete envelope on the stream for too long: the connection is dead")

func (cfg *WatchConfig) setDefaults(c *Client) error {
	if cfg.Mode == "" {
		cfg.Mode = ModeStreaming
	}
	if cfg.BaselineEvery <= 0 {
		cfg.BaselineEvery = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = c.clock
	}
	switch cfg.Mode {
	case ModeStreaming:
		if cfg.ConnectionTimeout == 0 {
			cfg.ConnectionTimeout = 30
		}
		if cfg.ConnectionTimeout < 1 || cfg.ConnectionTimeout > 30 {
			return fmt.Errorf("streaming connection timeout must be 1..30 minutes, not %d", cfg.ConnectionTimeout)
		}
	case ModePull:
		if cfg.PollInterval == 0 {
			cfg.PollInterval = 5 * time.Second
		}
		if cfg.PollInterval < 0 {
			return fmt.Errorf("poll interval must be positive, not %s", cfg.PollInterval)
		}
		if cfg.Timeout == 0 {
			cfg.Timeout = 10
		}
		if cfg.Timeout < 1 || cfg.Timeout > 1440 {
			return fmt.Errorf("pull subscription timeout must be 1..1440 minutes, not %d", cfg.Timeout)
		}
		if time.Duration(cfg.Timeout)*time.Minute <= cfg.PollInterval {
			return fmt.Errorf("poll interval %s is not shorter than the subscription timeout of %d minutes: the server would delete the subscription between polls", cfg.PollInterval, cfg.Timeout)
		}
	case ModePush:
		if cfg.Push == nil {
			return errors.New("push subscriptions need a listener (WatchConfig.Push)")
		}
		if cfg.StatusFrequency == 0 {
			cfg.StatusFrequency = 1
		}
		if cfg.StatusFrequency < 1 || cfg.StatusFrequency > 1440 {
			return fmt.Errorf("push StatusFrequency must be 1..1440 minutes, not %d", cfg.StatusFrequency)
		}
	default:
		return fmt.Errorf("unknown mode %q (streaming, pull or push)", cfg.Mode)
	}
	req := SubscribeRequest{Mode: cfg.Mode, Folders: cfg.Folders, EventTypes: cfg.EventTypes, Timeout: max(cfg.Timeout, 1)}
	if cfg.Mode == ModePush {
		req.URL, req.StatusFrequency = cfg.Push.URL(), cfg.StatusFrequency
	}
	return req.validate()
}

// Watch subscribes and runs the subscription in its own goroutine. It sends
// an Update on every state change, every batch of events and every
// heartbeat; on ctx cancel it unsubscribes (bounded wait), sends a final
// StateUnsubscribed update and closes the channel. Errors appear as
// Update{State: StateError, Err} (fatal: the channel then closes) or
// StateReconnecting / StateExpired (the runner retries). A redirect, like
// 401/403/404, is fatal.
//
// Pull is at-least-once: the runner keeps the last watermark it received
// and, after a lost answer, an expired or forgotten subscription or an EWS
// restart, polls or resubscribes from it (Subscribe's Watermark: "the
// subscription is created from the watermark forward"); events it has
// already delivered are dropped by watermark. Only a watermark the server
// refuses (ErrorInvalidWatermark on Subscribe) makes it start afresh, and
// that is a gap.
//
// Streaming: Subscribe, then GetStreamingEvents; after Closed a new
// connection for the same subscription is opened at once. A lost
// subscription is replaced at once; a stream that broke, or went silent
// (no complete envelope for twice the heartbeat interval, 90 s at most), is
// reopened at once. Both are gaps: streaming events carry no watermark, so
// what was in flight or happened while no subscription existed cannot be
// asked for again.
//
// Every gap is reported (Update.Gap) as soon as coverage is back, and with
// WatchConfig.Reconcile what changed across it follows (Update.Reconciled).
//
// Waits: after BackOffMilliseconds when the server is busy, Retry-After on
// an HTTP 503/429, 1 s, 2 s … 1 min after repeated failures; and when
// streams or subscriptions keep ending right after they start (a server or
// proxy that closes every stream at once, or forgets every subscription),
// from the third such end in a row 250 ms, 500 ms … 5 s, so such a server
// is not hammered.
func (c *Client) Watch(ctx context.Context, cfg WatchConfig) <-chan Update {
	out := make(chan Update, 16)
	r := &runner{c: c, cfg: cfg, out: out, ctx: ctx}
	if err := r.cfg.setDefaults(c); err != nil {
		if r.cfg.Clock == nil {
			r.cfg.Clock = RealClock{}
		}
		r.clock = r.cfg.Clock
		r.state, r.err = StateError, err
		out <- r.update()
		close(out)
		return out
	}
	r.clock = r.cfg.Clock
	if cfg.Reconcile {
		r.rec = newReconciler(c, r.clock, r.cfg.Folders)
	}
	go r.run()
	return out
}

type runner struct {
	c     *Client
	cfg   WatchConfig
	clock Clock
	out   chan Update
	ctx   context.Context

	state      ConnState
	err        error
	subId      string
	watermark  string // pull: the last one received; kept across subscriptions
	resumed    string // pull: the watermark the current subscription was resumed from
	fresh      bool   // subscribed and not polled yet (pull)
	dl         Deadlines
	reconnects int
	failures   int // consecutive failures, for backoff

	// quick counts consecutive streams and subscriptions that ended within
	// quickEnd of starting; subStart is when the current subscription was
	// made.
	quick    int
	subStart time.Time

	// Coverage. coveredAt is the last moment known to be covered: the last
	// envelope (streaming) or answer (pull) received. A gap opens when
	// coverage is lost and is reported when it is back.
	coveredAt time.Time
	gapOpen   bool
	gapFrom   time.Time
	gapReason string
	gaps      int
	gapID     uint64

	seen   wmSet               // pull and push: watermarks of events already delivered
	pushCh <-chan PushDelivery // push: the current subscription's notifications
	pushID string              // push: the subscription id registered with the listener
	rec    *reconciler
	bg     sync.WaitGroup // background baselines

	// streaming: when the last complete envelope arrived (clock UnixNano),
	// and the heartbeat interval seen, for the watchdog
	lastEnvelope atomic.Int64
	hbInterval   atomic.Int64
}

func (r *runner) update() Update {
	u := Update{
		At: r.clock.Now(), Mode: r.cfg.Mode, State: r.state, SubscriptionId: r.subId, Err: r.err,
		Deadlines: r.dl, Reconnects: r.reconnects, Gaps: r.gaps,
	}
	if r.rec != nil {
		u.BaselineAt = r.rec.baselineAt()
	}
	return u
}

// send delivers an update; it gives up when ctx ends.
func (r *runner) send(u Update) {
	select {
	case r.out <- u:
	case <-r.ctx.Done():
	}
}

// publish sets the state and sends an update; it gives up when ctx ends.
func (r *runner) publish(state ConnState, err error, events []Event, heartbeat bool) {
	r.state, r.err = state, err
	if r.rec != nil && len(events) > 0 {
		r.rec.noteFolders(events, r.clock.Now())
	}
	u := r.update()
	u.Events, u.Heartbeat = events, heartbeat
	r.send(u)
}

func (r *runner) run() {
	defer close(r.out)
	fatal := r.loop()
	if r.subId != "" && r.cfg.Mode == ModePush {
		// A push subscription ends when its listener answers Unsubscribe:
		// the next notification for it (at the latest its StatusEvent) is
		// answered so.
		r.cfg.Push.forget(r.subId)
	} else if r.subId != "" {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), UnsubscribeTimeout)
		_ = r.c.Unsubscribe(uctx, r.subId)
		cancel()
	}
	r.bg.Wait()
	r.dl = Deadlines{}
	if fatal != nil {
		r.state, r.err = StateError, fatal
	} else {
		r.state, r.err = StateUnsubscribed, nil
	}
	// The consumer may have stopped reading after cancelling: wait for it a
	// bounded (real) time.
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case r.out <- r.update():
	case <-t.C:
	}
}

// loop runs until ctx ends (nil) or a fatal error.
func (r *runner) loop() error {
	for {
		if r.ctx.Err() != nil {
			return nil
		}
		if r.subId == "" {
			r.dl = Deadlines{}
			r.publish(StateSubscribing, nil, nil, false)
			if err := r.subscribe(); err != nil {
				if r.ctx.Err() != nil {
					return nil
				}
				if isFatal(err) {
					return err
				}
				if !r.retry(err, false) {
					return nil
				}
				continue
			}
		}
		var err error
		switch r.cfg.Mode {
		case ModePull:
			err = r.poll()
		case ModePush:
			err = r.push()
		default:
			err = r.stream()
		}
		if r.ctx.Err() != nil {
			return nil
		}
		switch {
		case err == nil: // Closed: reconnect at once (unless it keeps happening)
			if !r.sleep(r.quickPace()) {
				return nil
			}
		case SubscriptionGone(err):
			r.lost(err)
			if !r.sleep(r.quickPace()) {
				return nil
			}
		case isFatal(err):
			return err
		default:
			if !r.retry(err, errors.Is(err, ErrDeadConnection) || errors.Is(err, errStreamBroke)) {
				return nil
			}
		}
	}
}

// lost handles a subscription the server no longer has. Pull keeps its
// watermark and resubscribes from it; streaming has nothing to resume
// from, so the time until the new subscription is a gap.
func (r *runner) lost(err error) {
	if r.clock.Now().Sub(r.subStart) < quickEnd {
		r.quick++
	} else {
		r.quick = 0
	}
	if r.cfg.Mode == ModeStreaming || errors.Is(err, ErrMissedNotificationEvents) {
		r.openGap("subscription lost (" + codeOf(err) + ")")
	}
	if errors.Is(err, ErrInvalidWatermark) && r.watermark == r.resumed {
		// The server took the watermark for Subscribe but will not page
		// from it: start afresh rather than loop.
		r.openGap("the server refused the watermark (ErrorInvalidWatermark)")
		r.watermark = ""
	}
	r.subId = ""
	r.dl = Deadlines{}
	r.publish(StateExpired, err, nil, false)
}

func codeOf(err error) string {
	var re *ResponseError
	if errors.As(err, &re) && re.Code != "" {
		return re.Code
	}
	return err.Error()
}

// retry reports a failure and waits before the next attempt; false when
// ctx ended meanwhile.
func (r *runner) retry(err error, atOnce bool) bool {
	r.failures++
	r.reconnects++
	r.publish(StateReconnecting, err, nil, false)
	d := r.backoff(err)
	if atOnce && r.failures == 1 {
		d = 0
	}
	return r.sleep(max(d, r.quickPace()))
}

// quickEnd: a stream or subscription that ends sooner than this after it
// started did not run its course (real servers close streams at
// ConnectionTimeout, a minute at least).
const quickEnd = time.Second

// quickPace is the wait before starting again after several streams or
// subscriptions in a row ended right after they started: the first two go
// again at once, then 250 ms, 500 ms … 5 s, so that such a server is not
// hammered thousands of times a second, while a burst of real faults
// costs little.
func (r *runner) quickPace() time.Duration {
	if r.quick < 3 {
		return 0
	}
	return min(250*time.Millisecond<<min(r.quick-3, 5), 5*time.Second)
}

// backoff is 1s, 2s, 4s … 1min by consecutive failures, and at least the
// server's BackOffMilliseconds or Retry-After.
func (r *runner) backoff(err error) time.Duration {
	d := minBackoff << min(max(r.failures-1, 0), 6)
	d = min(d, maxBackoff)
	var re *ResponseError
	if errors.As(err, &re) && re.BackOff > 0 {
		// ErrorServerBusy says how long to back off; do as it says for
		// the first few in a row (Microsoft: "EWS throttling in
		// Exchange", wait BackOffMilliseconds before retrying), then at
		// least the exponential wait.
		d = max(d, re.BackOff)
		if r.failures <= 3 {
			d = re.BackOff
		}
	}
	var te *TransportError
	if errors.As(err, &te) && te.RetryAfter > 0 {
		d = max(d, te.RetryAfter)
	}
	return d
}

func (r *runner) sleep(d time.Duration) bool {
	if d <= 0 {
		return r.ctx.Err() == nil
	}
	select {
	case <-r.clock.After(d):
		return true
	case <-r.ctx.Done():
		return false
	}
}

// isFatal reports errors that retrying cannot fix.
func isFatal(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return te.Fatal()
	}
	for _, c := range []ErrorCode{
		ErrAccessDenied, ErrSubscriptionAccessDenied, ErrSubscriptionDelegateAccessNotSupported,
		ErrInvalidSubscriptionRequest, ErrImpersonateUserDenied, ErrImpersonationDenied, ErrImpersonationFailed,
		ErrNonExistentMailbox, ErrSchemaValidation, ErrInvalidRequest, ErrInvalidServerVersion, ErrIncorrectSchemaVersion,
		ErrExceededSubscriptionCount, ErrFolderNotFound, ErrInvalidFolderId, ErrProxyRequestNotAllowed,
		ErrInvalidIdMalformed, ErrInvalidIdEmpty,
	} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// refreshBaseline brings the reconciliation baseline up to date in the
// background once it is older than BaselineEvery, while covered, so that a
// later gap lists little that was notified before it.
func (r *runner) refreshBaseline(now time.Time) {
	if r.rec == nil || r.gapOpen {
		return
	}
	if at := r.rec.baselineAt(); !at.IsZero() && now.Sub(at) >= r.cfg.BaselineEvery {
		r.rec.refresh(r.ctx, &r.bg)
	}
}

// openGap notes that coverage was lost; the gap starts at the last moment
// known covered. Before anything was covered there is nothing to lose.
func (r *runner) openGap(reason string) {
	if r.gapOpen || r.coveredAt.IsZero() {
		return
	}
	r.gapOpen, r.gapFrom, r.gapReason = true, r.coveredAt, reason
}

// closeGap reports the open gap, now that coverage is back, and with
// Reconcile what changed across it.
func (r *runner) closeGap(to time.Time) {
	if !r.gapOpen {
		return
	}
	r.gapOpen = false
	r.gaps++
	r.gapID++
	g := &Gap{ID: r.gapID, From: r.gapFrom, To: to, Reason: r.gapReason}
	if g.To.Before(g.From) {
		g.To = g.From
	}
	u := r.update()
	u.Gap = g
	r.send(u)
	if r.rec == nil {
		return
	}
	rc := r.rec.reconcile(r.ctx, g, &r.bg)
	if r.ctx.Err() != nil {
		return
	}
	u = r.update()
	u.Reconciled = rc
	r.send(u)
}

func (r *runner) subscribe() error {
	req := SubscribeRequest{Mode: r.cfg.Mode, Folders: r.cfg.Folders, EventTypes: r.cfg.EventTypes, Timeout: r.cfg.Timeout}
	if r.cfg.Mode != ModeStreaming {
		req.Watermark = r.watermark
	}
	if r.cfg.Mode == ModePush {
		req.URL, req.StatusFrequency = r.cfg.Push.URL(), r.cfg.StatusFrequency
	}
	res, err := r.c.Subscribe(r.ctx, req)
	if err != nil && req.Watermark != "" && errors.Is(err, ErrInvalidWatermark) {
		// The server no longer has the events after our watermark (too old,
		// or a different event history): start afresh, and say so.
		r.openGap("the server refused the watermark (ErrorInvalidWatermark): subscribed afresh")
		r.watermark = ""
		req.Watermark = ""
		res, err = r.c.Subscribe(r.ctx, req)
	}
	if err != nil {
		return err
	}
	now := r.clock.Now()
	if r.cfg.Mode == ModePush {
		if r.pushID != "" {
			r.cfg.Push.forget(r.pushID) // the old one's notifications are answered Unsubscribe
		}
		r.pushID, r.pushCh = res.SubscriptionId, r.cfg.Push.register(res.SubscriptionId)
	}
	r.subId, r.fresh, r.subStart = res.SubscriptionId, true, now
	r.resumed = req.Watermark
	if req.Watermark == "" {
		r.watermark = res.Watermark
		if r.coveredAt.IsZero() || r.gapOpen {
			r.coveredAt = now
		}
		// A new subscription with nothing to resume from: coverage starts
		// now, and so does the baseline for later gaps.
		if !r.gapOpen && r.rec != nil {
			r.rec.startBaseline(r.ctx, &r.bg)
		}
	} else {
		r.fresh = false // resumed: poll at once for what happened meanwhile
	}
	if r.cfg.Mode != ModeStreaming {
		if r.cfg.Mode == ModePull {
			r.dl.Expires = now.Add(time.Duration(r.cfg.Timeout) * time.Minute)
		}
		r.closeGap(now)
	} else if r.gapOpen {
		// The new subscription queues events from now on.
		r.closeGap(now)
	}
	return nil
}

// poll runs GetEvents until an error.
func (r *runner) poll() error {
	interval := r.cfg.PollInterval
	timeout := time.Duration(r.cfg.Timeout) * time.Minute
	if r.fresh {
		r.fresh = false
		r.dl.NextPoll = r.clock.Now().Add(interval)
		r.publish(StateOpen, nil, nil, false)
		if !r.sleep(interval) {
			return r.ctx.Err()
		}
	}
	for {
		n, err := r.c.GetEvents(r.ctx, r.subId, r.watermark)
		if err != nil {
			return err
		}
		r.failures = 0
		if r.clock.Now().Sub(r.subStart) >= quickEnd || len(n.Events) > 0 {
			r.quick = 0
		}
		now := r.clock.Now()
		r.coveredAt = now
		r.refreshBaseline(now)
		r.dl.Expires = now.Add(timeout)
		sent := r.watermark
		heartbeat := len(n.Events) > 0
		events := n.Events[:0:0]
		for _, e := range n.Events {
			if e.Watermark != "" {
				r.watermark = e.Watermark
			}
			if e.Type != StatusEvent {
				heartbeat = false
				if e.Watermark != "" && !r.seen.add(e.Watermark) {
					continue // delivered before (a replay after resubscribing)
				}
			}
			events = append(events, e)
		}
		// MoreEvents drains at once, but only while the watermark moves: a
		// server that says MoreEvents with nothing new is polled at the
		// interval, not in a tight loop.
		if n.MoreEvents && r.watermark != sent {
			r.dl.NextPoll = now
			r.publish(StateOpen, nil, events, heartbeat)
			continue
		}
		r.dl.NextPoll = now.Add(interval)
		r.publish(StateOpen, nil, events, heartbeat)
		if !r.sleep(interval) {
			return r.ctx.Err()
		}
	}
}

// errStreamBroke marks a stream that ended other than by Closed
// (errors.Is), without changing its message.
var errStreamBroke = errors.New("the stream broke")

type brokenStream struct{ error }

func (b brokenStream) Unwrap() error        { return b.error }
func (b brokenStream) Is(target error) bool { return target == errStreamBroke }

// stream runs one GetStreamingEvents connection: nil when the server says
// Closed, an error otherwise.
func (r *runner) stream() (err error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	st, err := r.c.GetStreamingEvents(ctx, GetStreamingEventsRequest{SubscriptionIds: []string{r.subId}, ConnectionTimeout: r.cfg.ConnectionTimeout})
	if err != nil {
		return err
	}
	defer st.Close()
	opened := r.clock.Now()
	r.lastEnvelope.Store(opened.UnixNano())
	r.hbInterval.Store(0)
	dead := make(chan struct{})
	watchdogDone := make(chan struct{})
	go func() {
		defer close(watchdogDone)
		r.watchdog(ctx, st, opened, dead)
	}()
	defer func() {
		cancel()
		<-watchdogDone
	}()
	c := streamConn{opened: opened}
	defer func() { r.streamEnded(&c, err) }()
	r.dl = Deadlines{ConnectionEnds: opened.Add(time.Duration(r.cfg.ConnectionTimeout) * time.Minute), LastHeartbeat: opened}
	for {
		m, err := st.Next()
		if err != nil {
			return r.readError(dead, err)
		}
		if done, err := r.envelope(&c, m); done {
			return err
		}
	}
}

// streamConn is what one GetStreamingEvents connection has seen.
type streamConn struct {
	opened    time.Time
	got       bool      // an envelope arrived on this connection
	delivered bool      // and notifications with it
	prev      time.Time // the previous envelope, for the heartbeat interval
}

// streamEnded paces the next stream and opens a gap when this one broke.
// Pacing is for a server that ends streams at once with nothing to show; a
// stream that delivered events and then broke was a fault, and the next one
// starts at once. A stream that ended other than by Closed may have lost
// what was in flight: the server counts an event delivered once written.
func (r *runner) streamEnded(c *streamConn, err error) {
	switch {
	case c.delivered:
		r.quick = 0
	case r.clock.Now().Sub(c.opened) < quickEnd:
		r.quick++
	default:
		r.quick = 0
	}
	if err != nil && c.got && !SubscriptionGone(err) && r.ctx.Err() == nil {
		r.openGap("the stream broke: events in flight may be lost")
	}
}

// readError is the error a failed read of the stream stands for.
func (r *runner) readError(dead <-chan struct{}, err error) error {
	select {
	case <-dead:
		return brokenStream{ErrDeadConnection}
	default:
	}
	if r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	if err == io.EOF {
		return brokenStream{fmt.Errorf("the stream from %s ended without ConnectionStatus Closed", r.c.URL())}
	}
	return brokenStream{fmt.Errorf("the stream from %s broke: %w", r.c.URL(), err)}
}

// envelope handles one envelope of the stream: coverage, heartbeat,
// events. done: the stream ends, with err (nil for ConnectionStatus Closed).
func (r *runner) envelope(c *streamConn, m *StreamMessage) (done bool, err error) {
	now := r.clock.Now()
	var fail error
	for _, e := range m.Errors {
		if len(e.SubscriptionIds) == 0 || slices.Contains(e.SubscriptionIds, r.subId) {
			fail = e
			break
		}
	}
	events := m.Events()
	if len(events) > 0 && fail == nil {
		c.delivered = true
	}
	if !c.got {
		c.got = true
		if fail == nil {
			// Coverage is back: the gap since the last stream ends here.
			r.closeGap(now)
		}
	}
	if fail == nil {
		r.coveredAt = now
		r.refreshBaseline(now)
	}
	r.dl.LastHeartbeat = now
	if len(events) == 0 && m.ConnectionStatus == ConnectionOK && !c.prev.IsZero() {
		r.hbInterval.Store(int64(now.Sub(c.prev)))
	}
	c.prev = now
	r.lastEnvelope.Store(r.clock.Now().UnixNano())
	if fail == nil || len(events) > 0 {
		r.failures = 0
		r.publish(StateOpen, nil, events, m.ConnectionStatus == ConnectionOK)
	}
	if fail != nil {
		return true, fail
	}
	if m.ConnectionStatus == ConnectionClosed {
		r.publish(StateClosed, nil, nil, false)
		return true, nil
	}
	return false, nil
}

// deadAfter is how long the stream may go without a complete envelope:
// twice the heartbeat interval seen, 90 s at most.
func (r *runner) deadAfter() time.Duration {
	d := DeadConnectionAfter
	if hb := time.Duration(r.hbInterval.Load()); hb > 0 {
		d = min(d, max(2*hb, minDeadAfter))
	}
	return d
}

// watchdog closes the stream when no complete envelope arrived for
// deadAfter (bytes that never make an envelope do not count: a server that
// trickles one byte every 30 s is dead), or when the stream stays open well
// past its ConnectionTimeout.
func (r *runner) watchdog(ctx context.Context, st *Stream, opened time.Time, dead chan<- struct{}) {
	limit := opened.Add(time.Duration(r.cfg.ConnectionTimeout)*time.Minute + closedGrace)
	for {
		now := r.clock.Now()
		wait := time.Unix(0, r.lastEnvelope.Load()).Add(r.deadAfter()).Sub(now)
		wait = min(wait, limit.Sub(now))
		if wait <= 0 {
			close(dead)
			st.Close()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(wait):
		}
	}
}

// wmSet remembers the watermarks of the last events delivered (bounded), so
// that events replayed after resubscribing from a watermark are dropped.
type wmSet struct {
	set  map[string]struct{}
	ring []string
	next int
}

const wmSetSize = 4096

// has reports whether w was added (and not yet forgotten).
func (s *wmSet) has(w string) bool {
	_, ok := s.set[w]
	return ok
}

// add reports whether w is new, and remembers it.
func (s *wmSet) add(w string) bool {
	if s.set == nil {
		s.set = make(map[string]struct{}, wmSetSize)
		s.ring = make([]string, wmSetSize)
	}
	if _, ok := s.set[w]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.set, old)
	}
	s.ring[s.next] = w
	s.next = (s.next + 1) % wmSetSize
	s.set[w] = struct{}{}
	return true
}
