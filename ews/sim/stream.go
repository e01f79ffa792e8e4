package sim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GetStreamingEvents: one long chunked HTTP response holding many complete
// SOAP envelopes, each written and flushed as its own chunk.

// streamWriteTimeout bounds the wall time one streaming chunk may take to
// write.
const streamWriteTimeout = time.Minute

// maxStreamIDs is how many subscription ids one GetStreamingEvents may carry.
const maxStreamIDs = 200

// streamConn is one open GetStreamingEvents connection. Its fields are
// guarded by Server.mu; the handler goroutine owns the ResponseWriter.
type streamConn struct {
	subs    []*subscription
	wake    chan struct{} // cap 1: new events or dropped subscriptions
	dropped []droppedSub
	// aborted: the EWS process "restarted" (Faults.Restart): the connection
	// is cut without a word, as when the process dies.
	aborted bool
}

type droppedSub struct{ id, code string }

// drop takes sub off this connection. With a code the stream reports it in an
// error envelope (e.g. ErrorNewEventStreamConnectionOpened).
func (sc *streamConn) drop(sub *subscription, code string) {
	for i, o := range sc.subs {
		if o == sub {
			sc.subs = append(sc.subs[:i:i], sc.subs[i+1:]...)
			break
		}
	}
	if code != "" {
		sc.dropped = append(sc.dropped, droppedSub{sub.id, code})
	}
	select {
	case sc.wake <- struct{}{}:
	default:
	}
}

// streamEnvelope is Exchange's streaming form: an unprefixed SOAP Envelope,
// Header and Body with their own soap11 prefix, the response in m:.
func (p *Profile) streamEnvelope(msg string) []byte {
	var b strings.Builder
	b.Grow(len(msg) + 900)
	b.WriteString(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><soap11:Header xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/">`)
	b.WriteString(p.streamHeaderXML())
	b.WriteString(`</soap11:Header><soap11:Body xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/"><m:GetStreamingEventsResponse` + nsMT + `><m:ResponseMessages>`)
	b.WriteString(msg)
	b.WriteString(`</m:ResponseMessages></m:GetStreamingEventsResponse></soap11:Body></Envelope>`)
	return []byte(b.String())
}

func connectionStatusMsg(status string) string {
	return okMsg("GetStreamingEvents", `<m:ConnectionStatus>`+status+`</m:ConnectionStatus>`)
}

// errorIdsXML lists subscription ids under m:ErrorSubscriptionIds. Real
// servers put SubscriptionId in m: here too (types.xsd says t:).
func errorIdsXML(ids []string) string {
	var b strings.Builder
	b.WriteString(`<m:ErrorSubscriptionIds>`)
	for _, id := range ids {
		b.WriteString(`<m:SubscriptionId>` + esc(id) + `</m:SubscriptionId>`)
	}
	b.WriteString(`</m:ErrorSubscriptionIds>`)
	return b.String()
}

func (c *call) getStreamingEvents() {
	var ids []string
	seen := map[string]bool{}
	for _, n := range c.op.Child("SubscriptionIds").Children("SubscriptionId") {
		id := strings.TrimSpace(n.Text)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	minutes, err := strconv.Atoi(c.op.ChildText("ConnectionTimeout"))
	if len(ids) == 0 || err != nil || minutes < 1 || minutes > 30 {
		c.schema("GetStreamingEvents needs SubscriptionIds with at least one SubscriptionId and a ConnectionTimeout from 1 to 30 minutes.")
		return
	}
	if len(ids) > maxStreamIDs {
		c.replyErr(&ewsError{Code: "ErrorInvalidRequest", Text: "A GetStreamingEvents request can carry at most 200 subscription ids."})
		return
	}
	s := c.s
	s.mu.Lock()
	var subs []*subscription
	var failed []string
	var firstErr *ewsError
	for _, id := range ids {
		sub, e := c.lookupSub(id, kindStreaming)
		if e != nil {
			failed = append(failed, id)
			if firstErr == nil {
				firstErr = e
			}
			continue
		}
		subs = append(subs, sub)
	}
	if firstErr != nil {
		s.mu.Unlock()
		c.reply(errMsg(c.op.Local, firstErr, errorIdsXML(failed)))
		return
	}
	if s.conns >= s.cfg.MaxConnections {
		s.mu.Unlock()
		c.replyErr(newErr("ErrorExceededConnectionCount"))
		return
	}
	if s.closing {
		s.mu.Unlock()
		return
	}
	sc := &streamConn{wake: make(chan struct{}, 1)}
	for _, sub := range subs {
		if sub.conn != nil {
			sub.conn.drop(sub, "ErrorNewEventStreamConnectionOpened")
		}
		sub.conn = sc
		sc.subs = append(sc.subs, sub)
	}
	s.conns++
	s.streams[sc] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.streams, sc)
		now := s.clock.Now()
		for _, sub := range subs {
			if sub.conn == sc {
				sub.conn = nil
				sub.lastDetach = now
			}
		}
		s.conns--
		s.mu.Unlock()
	}()
	st := &stream{s: s, w: c.w, sc: sc}
	st.run(c.r, time.Duration(minutes)*time.Minute)
}

type stream struct {
	s         *Server
	w         http.ResponseWriter
	sc        *streamConn
	lastWrite time.Time
}

// send writes one envelope as its own flushed chunk.
func (st *stream) send(doc []byte) bool {
	handed, ok := st.write(doc)
	return handed && ok
}

// write writes one envelope. handed: its bytes went to the connection
// (Write returned), so the client may have all of it even when the flush
// that follows fails — the events in it count as delivered then, and a
// client that did not get them sees a broken stream (a gap). Counting
// them undelivered would send them again on the next connection, to a
// client that may already have shown them: a repeat no streaming client
// can tell from a new event (streaming events carry no watermark). ok:
// the flush succeeded too.
func (st *stream) write(doc []byte) (handed, ok bool) {
	if st.s.faults.takeCut() {
		// Cut mid-envelope: half an envelope, then the connection is
		// aborted without the terminating chunk.
		_, _ = st.w.Write(doc[:len(doc)/2])
		http.NewResponseController(st.w).Flush()
		panic(http.ErrAbortHandler)
	}
	if st.s.faults.takeCorrupt() {
		doc = corrupt(doc)
	}
	// The time is taken before writing: once the client has the bytes, a
	// test may move the clock.
	st.lastWrite = st.s.clock.Now()
	// A client that stops reading must not pin the handler forever: each
	// chunk gets a minute of wall time (network I/O, not protocol time, so
	// not the simulated clock). Recorders without deadlines ignore it.
	rc := http.NewResponseController(st.w)
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := st.w.Write(doc); err != nil {
		return false, false
	}
	return true, rc.Flush() == nil
}

func (st *stream) run(r *http.Request, timeout time.Duration) {
	s := st.s
	h := st.w.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Cache-Control", "private")
	st.w.WriteHeader(http.StatusOK)
	// Timers are armed before the envelope that starts them is written: once
	// a client (or a test on a fake clock) has read it, they are running.
	interval := s.cfg.HeartbeatInterval
	heartbeat := s.clock.After(interval)
	closeAt := s.clock.After(timeout)
	if !st.send(st.s.profile.streamEnvelope(connectionStatusMsg("OK"))) {
		return
	}
	defer func() {
		s.mu.Lock()
		aborted := st.sc.aborted
		s.mu.Unlock()
		if aborted {
			panic(http.ErrAbortHandler) // net/http closes the connection without the final chunk
		}
	}()
	for {
		if !st.deliver() {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		case <-st.sc.wake:
		case <-heartbeat:
			// Heartbeats only while idle: interval after the last write.
			idle := s.clock.Now().Sub(st.lastWrite)
			if idle >= interval {
				heartbeat = s.clock.After(interval)
				// Events that came in meanwhile go first: a heartbeat
				// then vouches for everything before it.
				if !st.deliver() || !st.send(st.s.profile.streamEnvelope(connectionStatusMsg("OK"))) {
					return
				}
			} else {
				heartbeat = s.clock.After(interval - idle)
			}
		case <-closeAt:
			if st.deliver() {
				st.send(st.s.profile.streamEnvelope(connectionStatusMsg("Closed")))
			}
			return
		}
	}
}

// deliver writes pending events (one envelope, at most 50 events per
// subscription per envelope, until caught up) and reports dropped
// subscriptions. It returns false when the stream must end.
func (st *stream) deliver() bool {
	for {
		b := st.take()
		if b.aborted {
			return false
		}
		if b.notifications != "" {
			msg := okMsg("GetStreamingEvents", `<m:Notifications>`+b.notifications+`</m:Notifications>`)
			handed, ok := st.write(st.s.profile.streamEnvelope(msg))
			if handed {
				st.advance(b.moved)
			}
			if !ok {
				return false
			}
		} else {
			st.advance(b.moved)
		}
		if len(b.dropped) > 0 && (!st.sendDropped(b.dropped) || b.left == 0) {
			return false
		}
		if b.left == 0 {
			// Every subscription was unsubscribed: the stream is over.
			st.send(st.s.profile.streamEnvelope(connectionStatusMsg("Closed")))
			return false
		}
		if b.notifications == "" {
			return true
		}
	}
}

// batch is what one round of deliver sends: taken under s.mu, written
// without it.
type batch struct {
	aborted       bool
	notifications string // the Notification elements; "" for none
	moved         []advance
	dropped       []droppedSub
	left          int // subscriptions still on the connection
}

// advance is how far a subscription's position moves once its events are
// written.
type advance struct {
	sub      *subscription
	from, to uint64
}

// take collects, under s.mu, every subscription's next events (at most
// maxEventsPerNotification each) and the subscriptions dropped since the
// last round. A subscription whose unread events the journal has dropped
// is ended first: the stream reports ErrorMissedNotificationEvents for it.
func (st *stream) take() batch {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.sc.aborted {
		return batch{aborted: true}
	}
	for _, sub := range append([]*subscription(nil), st.sc.subs...) {
		if sub.pos+1 < sub.mb.firstSeq {
			s.endSub(sub, "ErrorMissedNotificationEvents")
		}
	}
	var b strings.Builder
	var out batch
	for _, sub := range st.sc.subs {
		evs, next, _ := sub.mb.eventsAfter(sub.pos, maxEventsPerNotification, sub.wants)
		if next != sub.pos {
			out.moved = append(out.moved, advance{sub, sub.pos, next})
		}
		if len(evs) > 0 {
			notificationXML(&b, "Notification", sub, 0, false, evs, false, 0)
		}
	}
	out.notifications = b.String()
	out.dropped, st.sc.dropped = st.sc.dropped, nil
	out.left = len(st.sc.subs)
	return out
}

// advance moves the positions of a written batch. Events count as
// delivered once their envelope is handed to the connection (write): a
// connection that fails before leaves them queued for the next one. (What the network loses
// after a successful write nobody can tell: the client treats a broken
// stream as a possible gap.)
func (st *stream) advance(moved []advance) {
	if len(moved) == 0 {
		return
	}
	st.s.mu.Lock()
	defer st.s.mu.Unlock()
	for _, m := range moved {
		if m.sub.pos == m.from && m.sub.conn == st.sc {
			m.sub.pos = m.to
		}
	}
}

// sendDropped writes one error message per response code, naming the
// subscriptions dropped with it; false when the connection failed.
func (st *stream) sendDropped(dropped []droppedSub) bool {
	byCode := map[string][]string{}
	var codes []string
	for _, d := range dropped {
		if byCode[d.code] == nil {
			codes = append(codes, d.code)
		}
		byCode[d.code] = append(byCode[d.code], d.id)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if !st.send(st.s.profile.streamEnvelope(errMsg("GetStreamingEvents", newErr(code), errorIdsXML(byCode[code])))) {
			return false
		}
	}
	return true
}
