package ews

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Connection status values of a GetStreamingEvents envelope.
const (
	ConnectionOK     = "OK"
	ConnectionClosed = "Closed"
)

// StreamMessage is what one envelope of a GetStreamingEvents response
// carries.
type StreamMessage struct {
	Notifications []Notification
	// ConnectionStatus is "OK" (the first envelope, and heartbeats),
	// "Closed" (ConnectionTimeout reached; the server ends the response), or
	// "" when the envelope has none.
	ConnectionStatus string
	// Errors are error response messages (with their ErrorSubscriptionIds)
	// and SOAP faults.
	Errors []*ResponseError
	// Version is the envelope's ServerVersionInfo, if it had one.
	Version *ServerVersionInfo
	// Raw is the envelope's XML (only when the reader keeps it).
	Raw []byte
}

// Events returns the events of all notifications, in order.
func (m *StreamMessage) Events() []Event {
	var out []Event
	for _, n := range m.Notifications {
		out = append(out, n.Events...)
	}
	return out
}

// StreamReader reads the envelopes of a GetStreamingEvents response body
// one by one, handing each over as soon as it is complete: envelopes may be
// split across reads or arrive several in one read, prefixed or unprefixed.
type StreamReader struct {
	er      *elementReader
	keepRaw bool
}

// NewStreamReader reads r. maxEnvelope bounds one envelope (0: 16 MiB).
func NewStreamReader(r io.Reader, maxEnvelope int64) *StreamReader {
	return &StreamReader{er: newElementReader(r, maxEnvelope)}
}

// KeepRaw makes every message (and its events' RawXML) carry the
// envelope's bytes.
func (s *StreamReader) KeepRaw() {
	s.keepRaw = true
	s.er.captureRaw()
}

// Offset is the number of bytes consumed so far.
func (s *StreamReader) Offset() int64 { return s.er.Offset() }

// Next returns the next envelope's content, or io.EOF after the last one.
// Other errors (cut off, oversize, not XML, not a GetStreamingEvents
// response) are returned as *DecodeError.
func (s *StreamReader) Next() (*StreamMessage, error) {
	root, err := s.er.next()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, &DecodeError{Offset: s.er.Offset(), Err: err}
	}
	env, err := parseEnvelope(root)
	if err != nil {
		return nil, &DecodeError{Offset: s.er.Offset(), Err: err}
	}
	m, err := streamMessage(env)
	if err != nil {
		return nil, &DecodeError{Offset: s.er.Offset(), Err: err}
	}
	if s.keepRaw {
		m.Raw = s.er.raw()
		for i := range m.Notifications {
			for j := range m.Notifications[i].Events {
				m.Notifications[i].Events[j].RawXML = m.Raw
			}
		}
	}
	return m, nil
}

func streamMessage(env *envelope) (*StreamMessage, error) {
	m := &StreamMessage{Version: env.version()}
	if env.Fault != nil {
		f := *env.Fault
		f.Op = "GetStreamingEvents"
		m.Errors = append(m.Errors, &f)
		return m, nil
	}
	ms, err := responseMessages("GetStreamingEvents", env)
	if err != nil {
		return nil, err
	}
	for _, rm := range ms {
		if e := messageError("GetStreamingEvents", rm); e != nil {
			m.Errors = append(m.Errors, e)
		}
		for _, n := range rm.Child("Notifications").Children("Notification") {
			m.Notifications = append(m.Notifications, parseNotification(n))
		}
		if cs := rm.ChildText("ConnectionStatus"); cs != "" {
			m.ConnectionStatus = cs
		}
	}
	return m, nil
}

// Stream is an open GetStreamingEvents connection.
type Stream struct {
	*StreamReader
	body   io.ReadCloser
	cancel context.CancelFunc
	clock  Clock
	last   atomic.Int64 // clock time (UnixNano) of the last byte received
	once   sync.Once
	c      *Client
}

// LastActivity is when the last byte arrived (by the client's clock); the
// time the stream opened before that.
func (s *Stream) LastActivity() time.Time { return time.Unix(0, s.last.Load()) }

// Next returns the next envelope's content (see StreamReader.Next). The
// client's ServerVersion is updated from it. An envelope over the size
// limit ends the stream with an error that says so (errors.Is
// ErrEnvelopeTooLarge); the reader stops at the limit, so the rest of the
// envelope is never buffered, and the runner treats it as a broken
// connection.
func (s *Stream) Next() (*StreamMessage, error) {
	m, err := s.StreamReader.Next()
	if err != nil {
		if errors.Is(err, ErrEnvelopeTooLarge) {
			// Let go of the buffer and tree now: the runner may open the
			// next connection before dropping this Stream.
			s.StreamReader.er.release()
			return nil, errors.Unwrap(err) // the sentence, without "at byte N" of the envelope's start
		}
		return nil, err
	}
	s.c.noteVersion(m.Version)
	return m, nil
}

// Close ends the connection. It is safe to call from another goroutine
// while Next blocks: Next then returns an error.
func (s *Stream) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.body.Close()
	})
	return nil
}

// GetStreamingEvents opens a streaming connection on the client's
// streaming transport. The connection lasts until the server says Closed
// (after ConnectionTimeout minutes), ctx ends, or Close.
func (c *Client) GetStreamingEvents(ctx context.Context, r GetStreamingEventsRequest) (*Stream, error) {
	body, err := buildEnvelope(c.header(), r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	resp, err := c.post(ctx, c.stream, "GetStreamingEvents", body)
	if err != nil {
		cancel()
		return nil, err
	}
	if te := c.notEWS(resp, nil); te != nil {
		resp.Body.Close()
		cancel()
		return nil, te
	}
	if resp.StatusCode != http.StatusOK {
		// A fault (HTTP 500): read it as one envelope.
		defer resp.Body.Close()
		defer cancel()
		sr := NewStreamReader(io.LimitReader(resp.Body, c.cfg.MaxEnvelopeBytes+1), c.cfg.MaxEnvelopeBytes)
		m, err := sr.Next()
		if err == nil && len(m.Errors) > 0 {
			return nil, m.Errors[0]
		}
		return nil, c.statusError(resp)
	}
	s := &Stream{body: resp.Body, cancel: cancel, clock: c.clock, c: c}
	s.last.Store(c.clock.Now().UnixNano())
	s.StreamReader = NewStreamReader(activityReader{r: resp.Body, fn: func() { s.last.Store(c.clock.Now().UnixNano()) }}, c.cfg.MaxEnvelopeBytes)
	s.KeepRaw()
	return s, nil
}

// DecodeError is input that is not XML, is cut off, or is not an EWS
// message; Offset is the byte offset where reading stopped.
type DecodeError struct {
	Offset int64
	Err    error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("at byte %d: %v", e.Offset, e.Err) }
func (e *DecodeError) Unwrap() error { return e.Err }
