package ews

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// DeadConnectionAfter is how long a stream may stay silent before the
// runner treats the connection as dead (servers send a heartbeat at least
// every ~45 s).
const DeadConnectionAfter = 90 * time.Second

// UnsubscribeTimeout bounds the Unsubscribe a runner sends when its context
// ends.
const UnsubscribeTimeout = 10 * time.Second

// Backoff bounds for reconnecting after failures.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// ErrDeadConnection is the error of a stream that stayed silent for
// DeadConnectionAfter.
var ErrDeadConnection = errors.New("no data on the stream for 90s: the connection is dead")

func (cfg *WatchConfig) setDefaults(c *Client) error {
	if cfg.Mode == "" {
		cfg.Mode = ModeStreaming
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
		return errors.New("push subscriptions need a listener; watch uses streaming or pull")
	default:
		return fmt.Errorf("unknown mode %q (streaming or pull)", cfg.Mode)
	}
	return (SubscribeRequest{Mode: cfg.Mode, Folders: cfg.Folders, EventTypes: cfg.EventTypes, Timeout: max(cfg.Timeout, 1)}).validate()
}

// Watch subscribes and runs the subscription in its own goroutine. It sends
// an Update on every state change, every batch of events and every
// heartbeat; on ctx cancel it unsubscribes (bounded wait), sends a final
// StateUnsubscribed update and closes the channel. Errors appear as
// Update{State: StateError, Err} (fatal: the channel then closes) or
// StateReconnecting / StateExpired (the runner retries: at once after a
// dead connection or a lost subscription, with backoff after failures,
// after BackOffMilliseconds when the server is busy or Retry-After on an
// HTTP 503/429; when streams keep ending right after opening, 1s, 2s …
// apart). A redirect, like 401/403/404, is fatal.
//
// Streaming: Subscribe, then GetStreamingEvents; when the server says
// Closed a new connection is opened at once for the same subscription.
// Pull: Subscribe, then GetEvents every PollInterval, draining MoreEvents
// and carrying the last watermark forward. When the server says the
// subscription is gone (ErrorSubscriptionNotFound, ErrorExpiredSubscription,
// …), a new one is created without the old watermark, as Microsoft's
// "Handling notification-related errors in EWS" advises.
func (c *Client) Watch(ctx context.Context, cfg WatchConfig) <-chan Update {
	out := make(chan Update, 16)
	r := &runner{c: c, cfg: cfg, out: out, ctx: ctx}
	if err := r.cfg.setDefaults(c); err != nil {
		if r.cfg.Clock == nil {
			r.cfg.Clock = RealClock{}
		}
		r.clock = r.cfg.Clock
		r.state, r.err = StateError, err
		out <- r.update(nil, false)
		close(out)
		return out
	}
	r.clock = r.cfg.Clock
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
	watermark  string
	fresh      bool // subscribed and not polled yet (pull)
	dl         Deadlines
	reconnects int
	failures   int // consecutive failures, for backoff
	short      int // consecutive streams that ended within shortConnection
}

func (r *runner) update(events []Event, heartbeat bool) Update {
	return Update{
		At: r.clock.Now(), Mode: r.cfg.Mode, State: r.state, SubscriptionId: r.subId, Err: r.err,
		Events: events, Heartbeat: heartbeat, Deadlines: r.dl, Reconnects: r.reconnects,
	}
}

// publish sets the state and sends an update; it gives up when ctx ends.
func (r *runner) publish(state ConnState, err error, events []Event, heartbeat bool) {
	r.state, r.err = state, err
	select {
	case r.out <- r.update(events, heartbeat):
	case <-r.ctx.Done():
	}
}

func (r *runner) run() {
	defer close(r.out)
	fatal := r.loop()
	if r.subId != "" {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), UnsubscribeTimeout)
		_ = r.c.Unsubscribe(uctx, r.subId)
		cancel()
	}
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
	case r.out <- r.update(nil, false):
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
		if r.cfg.Mode == ModePull {
			err = r.poll()
		} else {
			err = r.stream()
		}
		if r.ctx.Err() != nil {
			return nil
		}
		switch {
		case err == nil: // Closed: reconnect at once (unless it keeps happening)
			if !r.sleep(r.shortPace()) {
				return nil
			}
		case SubscriptionGone(err):
			r.subId, r.watermark = "", ""
			r.dl = Deadlines{}
			r.publish(StateExpired, err, nil, false)
			r.failures++
			d := r.shortPace()
			if r.failures > 1 {
				d = max(d, r.backoff(err))
			}
			if !r.sleep(d) {
				return nil
			}
		case isFatal(err):
			return err
		default:
			if !r.retry(err, errors.Is(err, ErrDeadConnection)) {
				return nil
			}
		}
	}
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
	return r.sleep(d)
}

// shortConnection: a stream that ends sooner than this after opening did
// not run its course (real servers close at ConnectionTimeout, a minute
// at least).
const shortConnection = 30 * time.Second

// shortPace is the wait before reconnecting after several streams in a row
// ended right after opening (a server or proxy that closes every stream at
// once, or forgets every subscription): the first reconnects at once, then
// 1s, 2s … 1min, so that such a server is not hammered thousands of times
// a second.
func (r *runner) shortPace() time.Duration {
	if r.short < 2 {
		return 0
	}
	return min(minBackoff<<min(r.short-2, 6), maxBackoff)
}

// backoff is 1s, 2s, 4s … 1min by consecutive failures, and at least the
// server's BackOffMilliseconds or Retry-After.
func (r *runner) backoff(err error) time.Duration {
	d := minBackoff << min(max(r.failures-1, 0), 6)
	d = min(d, maxBackoff)
	var re *ResponseError
	if errors.As(err, &re) && re.BackOff > 0 {
		d = max(d, re.BackOff)
		if r.failures == 1 {
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

func (r *runner) subscribe() error {
	res, err := r.c.Subscribe(r.ctx, SubscribeRequest{
		Mode: r.cfg.Mode, Folders: r.cfg.Folders, EventTypes: r.cfg.EventTypes, Timeout: r.cfg.Timeout,
	})
	if err != nil {
		return err
	}
	r.subId, r.watermark, r.fresh = res.SubscriptionId, res.Watermark, true
	if r.cfg.Mode == ModePull {
		r.dl.Expires = r.clock.Now().Add(time.Duration(r.cfg.Timeout) * time.Minute)
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
		now := r.clock.Now()
		r.dl.Expires = now.Add(timeout)
		sent := r.watermark
		heartbeat := len(n.Events) > 0
		for _, e := range n.Events {
			if e.Watermark != "" {
				r.watermark = e.Watermark
			}
			if e.Type != StatusEvent {
				heartbeat = false
			}
		}
		// MoreEvents drains at once, but only while the watermark moves: a
		// server that says MoreEvents with nothing new is polled at the
		// interval, not in a tight loop.
		if n.MoreEvents && r.watermark != sent {
			r.dl.NextPoll = now
			r.publish(StateOpen, nil, n.Events, heartbeat)
			continue
		}
		r.dl.NextPoll = now.Add(interval)
		r.publish(StateOpen, nil, n.Events, heartbeat)
		if !r.sleep(interval) {
			return r.ctx.Err()
		}
	}
}

// stream runs one GetStreamingEvents connection: nil when the server says
// Closed, an error otherwise.
func (r *runner) stream() error {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	st, err := r.c.GetStreamingEvents(ctx, GetStreamingEventsRequest{SubscriptionIds: []string{r.subId}, ConnectionTimeout: r.cfg.ConnectionTimeout})
	if err != nil {
		return err
	}
	defer st.Close()
	dead := make(chan struct{})
	watchdogDone := make(chan struct{})
	go func() {
		defer close(watchdogDone)
		r.watchdog(ctx, st, dead)
	}()
	defer func() {
		cancel()
		<-watchdogDone
	}()
	opened := r.clock.Now()
	defer func() {
		if r.clock.Now().Sub(opened) < shortConnection {
			r.short++
		} else {
			r.short = 0
		}
	}()
	r.dl = Deadlines{ConnectionEnds: opened.Add(time.Duration(r.cfg.ConnectionTimeout) * time.Minute), LastHeartbeat: opened}
	for {
		m, err := st.Next()
		if err != nil {
			select {
			case <-dead:
				return ErrDeadConnection
			default:
			}
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			if err == io.EOF {
				return fmt.Errorf("the stream from %s ended without ConnectionStatus Closed", r.c.URL())
			}
			return fmt.Errorf("the stream from %s broke: %w", r.c.URL(), err)
		}
		r.dl.LastHeartbeat = r.clock.Now()
		var fail error
		for _, e := range m.Errors {
			if len(e.SubscriptionIds) == 0 || contains(e.SubscriptionIds, r.subId) {
				fail = e
				break
			}
		}
		events := m.Events()
		if fail == nil || len(events) > 0 {
			r.failures = 0
			r.publish(StateOpen, nil, events, m.ConnectionStatus == ConnectionOK)
		}
		if fail != nil {
			return fail
		}
		if m.ConnectionStatus == ConnectionClosed {
			r.publish(StateClosed, nil, nil, false)
			return nil
		}
	}
}

// watchdog closes the stream when no byte arrived for DeadConnectionAfter.
func (r *runner) watchdog(ctx context.Context, st *Stream, dead chan<- struct{}) {
	for {
		wait := st.LastActivity().Add(DeadConnectionAfter).Sub(r.clock.Now())
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
