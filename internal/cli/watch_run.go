package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// watchRun is one run of `ewsmon watch` after the checks: it writes the
// runner's updates as JSON lines until the runner ends (after --count
// events, --duration, an interrupt, a reader that went away, or an error
// it cannot recover from).
type watchRun struct {
	o     watchOptions
	ctx   context.Context // the runner's: stop ends it, after it unsubscribed
	stop  context.CancelFunc
	out   *bufio.Writer  // flushed after each update and when idle
	line  []byte         // the line being written
	cw    *cascadeWriter // nil: --no-cascades
	clock ews.Clock
	quiet <-chan time.Time // CascadeGap after the last event, while one is held

	closed    atomic.Bool // stdout's reader went away
	printed   int
	lastState ews.ConnState
	lastSub   string
	lastMsg   string
	fatal     error
	outErr    error // stdout failed: stop after the runner unsubscribed
}

func newWatchRun(ctx context.Context, o watchOptions, client *ews.Client, stdout, stderr io.Writer, env watchEnv) *watchRun {
	r := &watchRun{o: o, clock: env.clock}
	if r.clock == nil {
		r.clock = ews.RealClock{}
	}
	r.ctx, r.stop = context.WithCancel(ctx)
	// A reader that goes away (`| head -3`) ends the run quietly, after
	// the unsubscribe, even while the mailbox is quiet and nothing is
	// being written.
	if f, ok := stdout.(*os.File); ok {
		go watchClosed(r.ctx, f, func() { r.closed.Store(true); r.stop() })
	}
	r.out = bufio.NewWriterSize(stdout, 64<<10)
	if o.cascades {
		r.cw = newCascadeWriter(o.cascadeGap, r.write)
		namer := &watchNamer{ctx: r.ctx, client: client, st: r.cw.st, stderr: stderr}
		r.cw.named = namer.cascade
		namer.syncFolders(true)
		namer.resolveHidden()
	}
	return r
}

// countReached reports whether --count events have been written.
func (r *watchRun) countReached() bool { return r.o.count > 0 && r.printed >= r.o.count }

// write writes one line; events beyond --count are dropped (the runner is
// being stopped).
func (r *watchRun) write(rec ews.Record) error {
	if r.outErr != nil {
		return r.outErr
	}
	isEvent := strings.HasSuffix(rec.Type, "Event")
	if isEvent && r.countReached() {
		return nil
	}
	r.line = rec.AppendJSON(r.line[:0])
	if _, err := r.out.Write(r.line); err != nil {
		return r.outFailed(err)
	}
	if isEvent {
		r.printed++
		if r.countReached() {
			r.stop() // the runner unsubscribes and closes the channel
		}
	}
	return nil
}

// outFailed stops the run after stdout failed, but lets the runner
// unsubscribe first.
func (r *watchRun) outFailed(err error) error {
	r.outErr = fmt.Errorf("writing output: %w", err)
	r.stop()
	return r.outErr
}

// flush hands what was written to stdout: after each update (an envelope,
// a GetEvents answer) and when a held cascade completes, so that nothing
// waits in the buffer while the mailbox is quiet.
func (r *watchRun) flush() {
	if r.outErr == nil {
		if err := r.out.Flush(); err != nil {
			_ = r.outFailed(err)
		}
	}
}

// loop writes the updates until the runner closes the channel, then the
// cascade still held.
func (r *watchRun) loop(updates <-chan ews.Update) {
	for {
		select {
		case u, ok := <-updates:
			if !ok {
				if r.cw != nil {
					_ = r.cw.close() // the end of the run
				}
				r.flush()
				return
			}
			r.update(u)
			if len(updates) == 0 {
				r.flush() // nothing more is waiting: out it goes
			}
		case <-r.quiet:
			// No event joined the open cascade for CascadeGap: it is
			// complete.
			r.quiet = nil
			_ = r.cw.close()
			r.flush()
		}
	}
}

// update writes one update: a State line when something changed, its gap
// and reconciled changes, and its events.
func (r *watchRun) update(u ews.Update) {
	msg := ""
	if u.Err != nil {
		msg = oneLine(u.Err.Error())
	}
	final := u.State == ews.StateUnsubscribed || u.State == ews.StateError
	if r.cw != nil && (final || u.Gap != nil || u.Reconciled != nil) {
		// The run ends, or events may have been missed: the open
		// cascade is complete as far as anyone will know, and written
		// before the line that says so. (Events after a gap never
		// join a cascade from before it.)
		_ = r.cw.close()
	}
	// A new reason while still reconnecting (the stream broke, then
	// the server is unreachable) is news too.
	if u.State != r.lastState || u.SubscriptionId != r.lastSub || msg != r.lastMsg {
		r.lastState, r.lastSub, r.lastMsg = u.State, u.SubscriptionId, msg
		_ = r.write(ews.Record{Type: "State", State: string(u.State), Mode: string(u.Mode), SubscriptionId: u.SubscriptionId, Message: msg})
	}
	if u.State == ews.StateError && u.Err != nil {
		r.fatal = u.Err
	}
	if u.Gap != nil {
		_ = r.write(ews.GapRecord(*u.Gap))
	}
	if u.Reconciled != nil {
		for _, rec := range ews.ReconciledRecords(u.Reconciled) {
			_ = r.write(rec)
		}
	}
	r.events(u)
}

// events writes (or, with cascades, holds) the events of one update.
func (r *watchRun) events(u ews.Update) {
	held := false
	for _, e := range u.Events {
		if r.outErr != nil || r.countReached() {
			break // stopping; the rest of this batch is not asked for
		}
		switch {
		case e.Type == ews.StatusEvent:
			if !r.o.showStatus {
				continue
			}
			if r.cw != nil {
				_ = r.cw.line(ews.EventRecord(e))
			} else {
				_ = r.write(ews.EventRecord(e))
			}
		case r.cw != nil:
			held = true
			_ = r.cw.event(e, u.At)
		default:
			_ = r.write(ews.EventRecord(e))
		}
	}
	if held {
		r.quiet = nil
		if r.cw.holding() {
			r.quiet = r.clock.After(r.o.cascadeGap)
		}
	}
}

// exitCode is the run's exit status, after saying why it failed (fail).
func (r *watchRun) exitCode(fail func(error) int) int {
	switch {
	case r.closed.Load() || errors.Is(r.outErr, syscall.EPIPE):
		return 0 // the reader is gone: nothing to say, and no one to say it to
	case r.outErr != nil:
		return fail(r.outErr)
	case r.fatal != nil:
		return fail(r.fatal)
	}
	return 0
}
