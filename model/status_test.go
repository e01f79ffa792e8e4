package model_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

func countdownText(cs []model.Countdown) []string {
	var out []string
	for _, c := range cs {
		s := c.String()
		if c.Warn {
			s += " !"
		}
		out = append(out, s)
	}
	return out
}

func TestCountdowns(t *testing.T) {
	streaming := model.Status{Mode: ews.ModeStreaming, State: ews.StateOpen,
		Deadlines:     ews.Deadlines{ConnectionEnds: t0.Add(30 * time.Minute)},
		LastHeartbeat: t0}
	pull := model.Status{Mode: ews.ModePull, State: ews.StateOpen,
		Deadlines: ews.Deadlines{NextPoll: t0.Add(5 * time.Second), Expires: t0.Add(10 * time.Minute)}}
	longPull := pull
	longPull.Deadlines.Expires = t0.Add(24 * time.Hour)
	closed := streaming
	closed.State = ews.StateUnsubscribed
	reStream, rePull := streaming, pull
	reStream.State, rePull.State = ews.StateReconnecting, ews.StateReconnecting
	noBeat := streaming
	noBeat.LastHeartbeat = time.Time{}

	tests := []struct {
		name  string
		st    model.Status
		after time.Duration
		want  []string
	}{
		{"stream just opened", streaming, 0, []string{"connection renews in 30:00", "last heartbeat 0s ago"}},
		{"stream a moment later", streaming, 300 * time.Millisecond, []string{"connection renews in 30:00", "last heartbeat 0s ago"}},
		{"stream 79s in", streaming, 79 * time.Second, []string{"connection renews in 28:41", "last heartbeat 79s ago !"}},
		{"heartbeat 12s ago", streaming, 12 * time.Second, []string{"connection renews in 29:48", "last heartbeat 12s ago"}},
		{"heartbeat late", streaming, 46 * time.Second, []string{"connection renews in 29:14", "last heartbeat 46s ago !"}},
		{"long silence", streaming, 5*time.Minute + 3*time.Second, []string{"connection renews in 24:57", "last heartbeat 5m03s ago !"}},
		{"connection over", streaming, 31 * time.Minute, []string{"connection renews now", "last heartbeat 31m00s ago !"}},
		{"no heartbeat yet", noBeat, time.Second, []string{"connection renews in 29:59", "last heartbeat none yet"}},
		{"pull just polled", pull, 0, []string{"next poll in 5s", "expires in 10:00 if not polled"}},
		{"pull 3s later", pull, 2 * time.Second, []string{"next poll in 3s", "expires in 9:58 if not polled"}},
		{"pull poll due", pull, 6 * time.Second, []string{"next poll now", "expires in 9:54 if not polled"}},
		{"pull nearly expired", pull, 9*time.Minute + 30*time.Second, []string{"next poll now", "expires in 0:30 if not polled !"}},
		{"pull expired", pull, 11 * time.Minute, []string{"next poll now", "expires overdue by 1:00 !"}},
		{"pull timeout of a day", longPull, time.Second, []string{"next poll in 4s", "expires in 23:59:59 if not polled"}},
		{"unsubscribed: nothing ticks", closed, time.Second, nil},
		{"stream reconnecting", reStream, 20 * time.Second, []string{"last heartbeat 20s ago"}},
		{"pull reconnecting", rePull, 20 * time.Second, []string{"expires in 9:40 if not polled"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := countdownText(tc.st.Countdowns(t0.Add(tc.after)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The status as the runner's updates build it, with a fake clock driving
// the countdowns.
func TestStatusFromUpdates(t *testing.T) {
	clock := ews.NewFakeClock(t0)
	s := model.New(model.Config{})
	s.SetSession(model.Session{URL: "http://127.0.0.1:1/EWS/Exchange.asmx", User: "alice", Mode: ews.ModeStreaming, Simulator: true})
	s.Apply(ews.Update{At: clock.Now(), Mode: ews.ModeStreaming, State: ews.StateSubscribing})
	st := s.Status()
	if st.State != ews.StateSubscribing || st.Session.User != "alice" || st.Countdowns(clock.Now()) != nil {
		t.Fatalf("subscribing: %+v", st)
	}
	open := ews.Update{At: clock.Now(), Mode: ews.ModeStreaming, State: ews.StateOpen, SubscriptionId: "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVe",
		Deadlines: ews.Deadlines{ConnectionEnds: clock.Now().Add(30 * time.Minute)}, Heartbeat: true}
	s.Apply(open)
	clock.Advance(79 * time.Second)
	st = s.Status()
	if got := countdownText(st.Countdowns(clock.Now())); !slices.Equal(got, []string{"connection renews in 28:41", "last heartbeat 79s ago !"}) {
		t.Errorf("countdowns %q", got)
	}
	if st.ShortSubscriptionId() == "" || len(st.ShortSubscriptionId()) > 10 {
		t.Errorf("short subscription id %q", st.ShortSubscriptionId())
	}
	// A heartbeat resets the age.
	open.At, open.Heartbeat = clock.Now(), true
	s.Apply(open)
	clock.Advance(12 * time.Second)
	if got := countdownText(s.Status().Countdowns(clock.Now())); !slices.Equal(got, []string{"connection renews in 28:29", "last heartbeat 12s ago"}) {
		t.Errorf("after heartbeat %q", got)
	}
	// Events: StatusEvents are heartbeats, not rows; totals per type.
	open.At, open.Heartbeat = clock.Now(), false
	open.Events = at(clock.Now(), ews.Event{Type: ews.StatusEvent}, ICreated("m1", inbox), INewMail("m1", inbox), FModified(inbox, root, 1))
	s.Apply(open)
	st = s.Status()
	if st.Totals[ews.CreatedEvent] != 1 || st.Totals[ews.NewMailEvent] != 1 || st.Totals[ews.ModifiedEvent] != 1 || st.Totals[ews.StatusEvent] != 0 {
		t.Errorf("totals %v", st.Totals)
	}
	if st.Heartbeats != 3 || !st.LastHeartbeat.Equal(clock.Now()) {
		t.Errorf("heartbeats %d last %v", st.Heartbeats, st.LastHeartbeat)
	}
	if s.Len() != 3 {
		t.Errorf("%d events listed, want 3 (no StatusEvent)", s.Len())
	}
	// A pull heartbeat is a StatusEvent the runner also flags: counted once.
	s.Apply(ews.Update{At: clock.Now(), Mode: ews.ModeStreaming, State: ews.StateOpen, Heartbeat: true,
		Events: []ews.Event{{Type: ews.StatusEvent, Watermark: "AQAAAA=="}}})
	if st := s.Status(); st.Heartbeats != 4 || s.Len() != 3 {
		t.Errorf("StatusEvent with Heartbeat: %d heartbeats, %d events", st.Heartbeats, s.Len())
	}
	// An error: shown while it lasts, remembered after.
	s.Apply(ews.Update{At: clock.Now(), Mode: ews.ModeStreaming, State: ews.StateReconnecting, Reconnects: 1,
		Err: errors.New("the server at http://127.0.0.1:1/EWS/Exchange.asmx closed the connection")})
	st = s.Status()
	if st.State != ews.StateReconnecting || st.Reconnects != 1 || st.Err == "" || st.LastError != st.Err {
		t.Errorf("reconnecting: %+v", st)
	}
	s.Apply(ews.Update{At: clock.Now(), Mode: ews.ModeStreaming, State: ews.StateOpen, Reconnects: 1})
	st = s.Status()
	if st.Err != "" || st.LastError == "" || !st.LastErrorAt.Equal(clock.Now()) {
		t.Errorf("after recovery: err %q last %q", st.Err, st.LastError)
	}
	// Clear drops events but keeps the status and its totals.
	s.Clear()
	if s.Len() != 0 || s.RowCount() != 0 || s.Status().Totals[ews.CreatedEvent] != 1 {
		t.Errorf("after clear: %d events, %d rows, totals %v", s.Len(), s.RowCount(), s.Status().Totals)
	}
}

func TestPerMinute(t *testing.T) {
	s := newState(model.Config{})
	base := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	add := func(at time.Time, k int) {
		var evs []ews.Event
		for range k {
			evs = append(evs, IModified("m", inbox))
		}
		s.Apply(ews.Update{At: at, Events: at2(at, evs)})
	}
	add(base.Add(10*time.Second), 3)               // minute 0
	add(base.Add(2*time.Minute+5*time.Second), 1)  // minute 2
	add(base.Add(4*time.Minute+59*time.Second), 2) // minute 4
	add(base.Add(4*time.Minute+59*time.Second), 0) // nothing
	got := s.PerMinute(base.Add(4*time.Minute+59*time.Second), 6)
	if want := []int{0, 3, 0, 1, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("per minute %v, want %v", got, want)
	}
	// Five hours later the old minutes do not come back from the ring.
	later := base.Add(5 * time.Hour)
	if got := s.PerMinute(later, 3); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("later %v", got)
	}
}

func at2(t time.Time, evs []ews.Event) []ews.Event { return at(t, evs...) }
