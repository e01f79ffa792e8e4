package ews

import (
	"context"
	"net"
	"sync/atomic"
)

// WireStats is what a client, or a push listener, moved on the network:
// EWS requests (for a listener: notifications POSTed to it) and the bytes
// its TCP connections sent and received — headers, NTLM legs and TLS
// included, as a packet capture would count them.
type WireStats struct {
	Requests      int64
	BytesSent     int64
	BytesReceived int64
}

// Add is the sum of two.
func (w WireStats) Add(o WireStats) WireStats {
	return WireStats{w.Requests + o.Requests, w.BytesSent + o.BytesSent, w.BytesReceived + o.BytesReceived}
}

type wireMeter struct{ requests, sent, recv atomic.Int64 }

func (m *wireMeter) stats() WireStats {
	return WireStats{Requests: m.requests.Load(), BytesSent: m.sent.Load(), BytesReceived: m.recv.Load()}
}

// countingConn counts a connection's bytes into a meter.
type countingConn struct {
	net.Conn
	m *wireMeter
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.m.recv.Add(int64(n))
	return n, err
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.m.sent.Add(int64(n))
	return n, err
}

// countingDial wraps a dial function so that its connections count.
func countingDial(dial func(ctx context.Context, network, addr string) (net.Conn, error), m *wireMeter) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, m: m}, nil
	}
}

// countingListener makes accepted connections count.
type countingListener struct {
	net.Listener
	m *wireMeter
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, m: l.m}, nil
}
