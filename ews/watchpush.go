package ews

import (
	"fmt"
	"time"
)

// A push subscription counts as lost when no notification came for twice
// its StatusFrequency (Microsoft's StatusFrequency reference: "If the
// client does not receive notification messages from the server for a
// period of time that exceeds twice the time specified by StatusFrequency,
// the client should take action, such as recreating the subscription").
const pushSilenceFactor = 2

// push receives the current push subscription's notifications until an
// error. Events carry watermarks: the runner keeps the last one, drops
// repeats by watermark (the server retries a notification whose answer it
// did not get), and checks each notification's PreviousWatermark against
// the last watermark received — a mismatch means a notification was missed
// (Microsoft's PreviousWatermark reference: "the client has missed an event
// notification and should reestablish a subscription by using the latest
// local watermark"): a gap, and a new subscription from that watermark. No
// notification for twice StatusFrequency is a lost subscription:
// resubscribe from the watermark.
func (r *runner) push() error {
	minute := r.cfg.StatusMinute
	if minute <= 0 {
		minute = time.Minute
	}
	silence := pushSilenceFactor * time.Duration(r.cfg.StatusFrequency) * minute
	due := r.clock.Now().Add(silence)
	r.dl.NextStatus = due
	if r.fresh || r.state != StateOpen {
		// A new (or resumed) subscription is open: say so before the
		// first notification.
		r.fresh = false
		r.publish(StateOpen, nil, nil, false)
	}
	for {
		wait := due.Sub(r.clock.Now())
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-r.clock.After(max(wait, 0)):
			if r.clock.Now().Before(due) {
				continue
			}
			return &ResponseError{Op: "push", Code: string(ErrExpiredSubscription),
				Message: fmt.Sprintf("no push notification (not even a StatusEvent) for twice its StatusFrequency of %d min: the subscription is lost", r.cfg.StatusFrequency)}
		case d, ok := <-r.pushCh:
			if !ok {
				return &ResponseError{Op: "push", Code: string(ErrSubscriptionNotFound), Message: "the push listener stopped"}
			}
			if err := r.pushNotification(d.Notification); err != nil {
				return err
			}
			due = r.clock.Now().Add(silence)
			r.dl.NextStatus = due
		}
	}
}

// errPushMissed: a PreviousWatermark that does not follow the last
// watermark received.
var errPushMissed = &ResponseError{Op: "push", Code: string(ErrMissedNotificationEvents),
	Message: "a push notification's PreviousWatermark is not the last watermark received: a notification was missed"}

// pushNotification delivers one push notification's events.
func (r *runner) pushNotification(n Notification) error {
	if p := n.PreviousWatermark; p != "" && r.watermark != "" && p != r.watermark && !r.seen.has(p) {
		// Not a repeat of one already handled (its PreviousWatermark would
		// be one we saw): something in between never arrived. Resubscribe
		// from our watermark; what was missed comes again.
		r.openGap("a push notification was missed (PreviousWatermark " + shortWM(p) + " does not follow)")
		return errPushMissed
	}
	now := r.clock.Now()
	r.failures = 0
	r.quick = 0
	r.coveredAt = now
	r.refreshBaseline(now)
	heartbeat := len(n.Events) > 0
	events := n.Events[:0:0]
	for _, e := range n.Events {
		if e.Type != StatusEvent {
			heartbeat = false
			if e.Watermark != "" && r.seen.has(e.Watermark) {
				continue // delivered before: the server retried
			}
		}
		if e.Watermark != "" && e.Watermark != r.watermark {
			// Every watermark moved past is remembered, so that a repeat's
			// PreviousWatermark is known.
			if r.watermark != "" {
				r.seen.add(r.watermark)
			}
			r.seen.add(e.Watermark)
			r.watermark = e.Watermark
		}
		events = append(events, e)
	}
	r.publish(StateOpen, nil, events, heartbeat)
	return nil
}

func shortWM(w string) string {
	if len(w) > 12 {
		return w[:12] + "…"
	}
	return w
}
