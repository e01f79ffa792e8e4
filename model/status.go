package model

import (
	"fmt"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Status is the subscription's health as the status pane shows it.
type Status struct {
	Session        Session
	Mode           ews.Mode
	State          ews.ConnState
	SubscriptionId string
	// Err is the current error (of the latest update), "" when none.
	Err string
	// LastError is the latest error ever seen, and when; it stays after
	// recovery.
	LastError   string
	LastErrorAt time.Time
	Deadlines   ews.Deadlines
	Reconnects  int
	// Totals counts events per type since start (Clear keeps them);
	// StatusEvents are counted as Heartbeats instead.
	Totals        map[ews.EventType]int
	Events        int // all listed events since start
	Heartbeats    int
	LastHeartbeat time.Time
	LastUpdate    time.Time
	// Gaps is the runner's count of gaps (intervals in which events may
	// have been missed); GapsSeen those listed; Reconciled the changes
	// reconciliation found across them, LastReconcileErr why the latest
	// could not finish ("" when it did).
	Gaps             int
	GapsSeen         int
	Reconciled       int
	LastReconcileErr string
}

// ShortSubscriptionId is the subscription id shortened for display.
func (st Status) ShortSubscriptionId() string {
	if st.SubscriptionId == "" {
		return ""
	}
	return shortID(st.SubscriptionId)
}

// Status is a copy of the current status.
func (s *State) Status() Status {
	st := s.status
	st.Totals = make(map[ews.EventType]int, len(s.status.Totals))
	for k, v := range s.status.Totals {
		st.Totals[k] = v
	}
	return st
}

func (s *State) applyStatus(u ews.Update, at time.Time) {
	st := &s.status
	if u.Mode != "" {
		st.Mode = u.Mode
	}
	if u.State != "" {
		st.State = u.State
	}
	st.SubscriptionId = u.SubscriptionId
	st.Deadlines = u.Deadlines
	st.Reconnects = u.Reconnects
	if u.Gaps > st.Gaps {
		st.Gaps = u.Gaps
	}
	st.LastUpdate = at
	if u.Err != nil {
		st.Err = u.Err.Error()
		st.LastError = st.Err
		st.LastErrorAt = at
	} else {
		st.Err = ""
	}
	if u.Heartbeat {
		s.heartbeat(at)
	}
	if u.Deadlines.LastHeartbeat.After(st.LastHeartbeat) {
		st.LastHeartbeat = u.Deadlines.LastHeartbeat
	}
}

func (s *State) heartbeat(at time.Time) {
	s.status.Heartbeats++
	if at.After(s.status.LastHeartbeat) {
		s.status.LastHeartbeat = at
	}
}

// Countdown is one ticking line of the status pane: Label then Value, e.g.
// "connection renews" "in 28:41". Warn marks a value that needs attention
// (a late heartbeat, an overdue deadline).
type Countdown struct {
	Label string
	Value string
	Warn  bool
}

// String is the whole line, e.g. "connection renews in 28:41".
func (c Countdown) String() string { return c.Label + " " + c.Value }

// Heartbeat thresholds: clients expect one at least every ~45s and treat
// ~90s of silence as a dead connection.
const (
	HeartbeatLate = 45 * time.Second
	HeartbeatDead = 90 * time.Second
)

// Countdowns are the status pane's ticking values at now. Streaming (while
// open): "connection renews in mm:ss" and "last heartbeat Ns ago". Pull
// (while open): "next poll in Ns" and "expires in mm:ss if not polled".
// Push (while open): "lost if silent in mm:ss" (twice StatusFrequency
// after the last notification) and "last notification Ns ago".
// While reconnecting only the heartbeat's age and the expiry remain; in
// other states nothing ticks.
func (st Status) Countdowns(now time.Time) []Countdown {
	if st.State != ews.StateOpen && st.State != ews.StateReconnecting {
		return nil
	}
	d := st.Deadlines
	// While reconnecting there is no connection to renew and no poll
	// scheduled, but the heartbeat's age and the subscription's expiry
	// still tell the user how things stand.
	running := st.State == ews.StateOpen
	var out []Countdown
	switch st.Mode {
	case ews.ModePull:
		if !d.NextPoll.IsZero() && running {
			left := d.NextPoll.Sub(now)
			if left > 0 {
				out = append(out, Countdown{Label: "next poll", Value: "in " + secs(left)})
			} else {
				out = append(out, Countdown{Label: "next poll", Value: "now"})
			}
		}
		if !d.Expires.IsZero() {
			left := d.Expires.Sub(now)
			if left > 0 {
				out = append(out, Countdown{Label: "expires", Value: "in " + clock(left) + " if not polled", Warn: left < time.Minute})
			} else {
				out = append(out, Countdown{Label: "expires", Value: "overdue by " + clock(-left), Warn: true})
			}
		}
	case ews.ModePush:
		// The server sends a StatusEvent every StatusFrequency when
		// nothing happens; the subscription counts as lost at NextStatus.
		if !d.NextStatus.IsZero() && running {
			left := d.NextStatus.Sub(now)
			if left > 0 {
				out = append(out, Countdown{Label: "lost if silent", Value: "in " + clock(left)})
			} else {
				out = append(out, Countdown{Label: "lost if silent", Value: "now", Warn: true})
			}
		}
		if !st.LastHeartbeat.IsZero() {
			ago := max(now.Sub(st.LastHeartbeat), 0)
			out = append(out, Countdown{Label: "last notification", Value: agoText(ago) + " ago"})
		}
	default: // streaming
		if !d.ConnectionEnds.IsZero() && st.Mode == ews.ModeStreaming && running {
			left := d.ConnectionEnds.Sub(now)
			if left > 0 {
				out = append(out, Countdown{Label: "connection renews", Value: "in " + clock(left)})
			} else {
				out = append(out, Countdown{Label: "connection renews", Value: "now"})
			}
		}
		if st.LastHeartbeat.IsZero() {
			out = append(out, Countdown{Label: "last heartbeat", Value: "none yet"})
		} else {
			ago := now.Sub(st.LastHeartbeat)
			if ago < 0 {
				ago = 0
			}
			out = append(out, Countdown{Label: "last heartbeat", Value: agoText(ago) + " ago", Warn: ago >= HeartbeatLate})
		}
	}
	return out
}

// clock renders a duration rounded up to the second as m:ss (h:mm:ss from
// an hour): a countdown shows 30:00 at its start and 0:01 in its last
// second.
func clock(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// secs renders a duration rounded up to whole seconds: "3s".
func secs(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s >= 100 {
		return clock(d)
	}
	return fmt.Sprintf("%ds", s)
}

// agoText renders an elapsed time rounded down: "12s", "2m05s".
func agoText(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 100 {
		return fmt.Sprintf("%ds", s)
	}
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
}

// Events per minute, for the sparkline: a ring of per-minute buckets keyed
// by the minute (Unix seconds / 60) the events arrived in.
const minuteSlots = 240

type minuteBucket struct {
	minute int64
	n      int
}

func (s *State) countMinute(t time.Time) {
	if t.IsZero() {
		return
	}
	m := t.Unix() / 60
	b := &s.minutes[int(m%minuteSlots+minuteSlots)%minuteSlots]
	if b.minute != m {
		b.minute, b.n = m, 0
	}
	b.n++
}

// PerMinute is how many events arrived in each of the last n minutes,
// oldest first; the last element is the minute now is in.
func (s *State) PerMinute(now time.Time, n int) []int {
	if n <= 0 {
		return nil
	}
	out := make([]int, n)
	cur := now.Unix() / 60
	for i := 0; i < n && i < minuteSlots; i++ {
		m := cur - int64(i)
		b := s.minutes[int(m%minuteSlots+minuteSlots)%minuteSlots]
		if b.minute == m {
			out[n-1-i] = b.n
		}
	}
	return out
}
