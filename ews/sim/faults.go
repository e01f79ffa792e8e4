package sim

import (
	"sync"
	"time"
)

// Faults are knobs for reliability tests. All methods are safe for
// concurrent use.
type Faults struct {
	s *Server

	mu          sync.Mutex
	cut         int
	busy        int
	busyBackoff time.Duration
	delay       time.Duration
	corrupt     int
}

// CutNextStream makes the next envelope written on any streaming connection
// stop halfway, and the connection abort (no terminating chunk), as when a
// load balancer drops it.
func (f *Faults) CutNextStream() {
	f.mu.Lock()
	f.cut++
	f.mu.Unlock()
}

// ExpireAll expires every subscription now, as if each had timed out. It
// returns how many there were. Open streams report ErrorExpiredSubscription
// for them; later requests get ErrorExpiredSubscription.
func (f *Faults) ExpireAll() int {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sub := range s.subs {
		s.endSub(sub, "ErrorExpiredSubscription")
		n++
	}
	return n
}

// Expire expires one subscription now; false if it does not exist.
func (f *Faults) Expire(id string) bool {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		return false
	}
	s.endSub(sub, "ErrorExpiredSubscription")
	return true
}

// Restart is an EWS restart (an IIS application pool recycle, a server
// reboot): every subscription and open stream is gone — streams are cut
// without a final envelope, later requests for the old ids get
// ErrorSubscriptionNotFound (Microsoft's error table names "the EWS process
// may have restarted" as a cause) — while the mailboxes and their event
// history stay, as Exchange's event table lives in the mailbox database,
// not in the EWS process. Old watermarks stay valid. It returns how many
// subscriptions there were.
func (f *Faults) Restart() int {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restartLocked()
}

func (s *Server) restartLocked() int {
	for sc := range s.streams {
		sc.aborted = true
		select {
		case sc.wake <- struct{}{}:
		default:
		}
	}
	n := 0
	for _, sub := range s.subs {
		s.endSub(sub, "")
		n++
	}
	clear(s.gone)
	return n
}

// LoseHistory makes the event history before now gone, as after a mailbox
// database restored from backup or a failover that lost its event table
// (modelled: the outcome Microsoft documents is ErrorInvalidWatermark for a
// watermark the server cannot find). Every mailbox starts a new history, so
// every earlier watermark is ErrorInvalidWatermark, and the EWS process
// restarts as in Restart. Mailbox contents and SyncStates stay.
func (f *Faults) LoseHistory() int {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, mb := range s.mailboxes {
		mb.newHistory()
	}
	return s.restartLocked()
}

// ServerBusy answers the next n EWS requests with an ErrorServerBusy SOAP
// fault (HTTP 500) carrying BackOffMilliseconds = backoff.
func (f *Faults) ServerBusy(n int, backoff time.Duration) {
	f.mu.Lock()
	f.busy = n
	f.busyBackoff = backoff
	f.mu.Unlock()
}

// Delay holds every EWS response for d (on the server's clock) before it is
// handled; 0 turns it off.
func (f *Faults) Delay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

// CorruptNext makes the next response (or streaming envelope) invalid XML.
func (f *Faults) CorruptNext() {
	f.mu.Lock()
	f.corrupt++
	f.mu.Unlock()
}

func (f *Faults) takeCut() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cut > 0 {
		f.cut--
		return true
	}
	return false
}

func (f *Faults) takeBusy() (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy > 0 {
		f.busy--
		return true, f.busyBackoff
	}
	return false, 0
}

func (f *Faults) delayFor() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delay
}

func (f *Faults) takeCorrupt() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.corrupt > 0 {
		f.corrupt--
		return true
	}
	return false
}

// corrupt keeps the first half of a document and appends an unclosed tag,
// so any XML parser fails on it.
func corrupt(doc []byte) []byte {
	out := append([]byte(nil), doc[:len(doc)/2]...)
	return append(out, []byte("<<\x00garbage")...)
}

// FaultState is what GET /sim/faults answers: the fault names and what is
// still pending.
type FaultState struct {
	Faults       []string `json:"faults"`
	CutStreams   int      `json:"cut_stream_pending"`
	CorruptNext  int      `json:"corrupt_next_pending"`
	ServerBusy   int      `json:"server_busy_pending"`
	ServerBusyMs int64    `json:"server_busy_back_off_ms"`
	DelayMs      int64    `json:"delay_ms"`
}

func (f *Faults) snapshot() FaultState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FaultState{
		Faults: FaultNames, CutStreams: f.cut, CorruptNext: f.corrupt, ServerBusy: f.busy,
		ServerBusyMs: f.busyBackoff.Milliseconds(), DelayMs: f.delay.Milliseconds(),
	}
}
