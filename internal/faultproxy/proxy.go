// Package faultproxy is a TCP proxy that breaks the link on demand: it
// drops every open connection, stalls (forwards nothing for a while, the
// connections left open) or makes the link slow (small writes with pauses).
// The reliability tests put it between the client and the simulator, so
// that the faults a network causes — not only those a server answers — are
// exercised over real sockets.
package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards connections from its address to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	resume chan struct{} // non-nil while stalled; closed when the stall ends
	slow   time.Duration // pause between small writes; 0: full speed
	closed bool

	wg sync.WaitGroup
}

// Start listens on 127.0.0.1 (a free port) and forwards to target until
// ctx ends or Close is called.
func Start(ctx context.Context, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	go func() {
		<-ctx.Done()
		p.Close()
	}()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, drops every connection and waits for the
// forwarding goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	if p.resume != nil {
		close(p.resume)
		p.resume = nil
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Drop closes every open connection, both sides; new ones are accepted.
// It returns how many were dropped.
func (p *Proxy) Drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		c.Close()
		n++
	}
	return n / 2
}

// Stall forwards nothing, in either direction, for d; connections stay
// open and new ones are accepted (their bytes wait too).
func (p *Proxy) Stall(d time.Duration) {
	p.mu.Lock()
	if p.closed || p.resume != nil {
		p.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	p.resume = ch
	p.mu.Unlock()
	time.AfterFunc(d, func() {
		p.mu.Lock()
		if p.resume == ch {
			close(ch)
			p.resume = nil
		}
		p.mu.Unlock()
	})
}

// Slow makes the link slow for d: bytes go in pieces of 256 with a pause
// of pause between them.
func (p *Proxy) Slow(d, pause time.Duration) {
	p.mu.Lock()
	p.slow = pause
	p.mu.Unlock()
	time.AfterFunc(d, func() {
		p.mu.Lock()
		p.slow = 0
		p.mu.Unlock()
	})
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		d := net.Dialer{Timeout: 5 * time.Second}
		up, err := d.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(up, c)
		go p.pump(c, up)
	}
}

// pump copies src to dst, honouring stalls and slowness; when either side
// ends, both are closed.
func (p *Proxy) pump(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
		src.Close()
		dst.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if werr := p.write(dst, buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				// Half-close politely where the socket allows it.
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
			}
			return
		}
	}
}

func (p *Proxy) write(dst net.Conn, b []byte) error {
	for len(b) > 0 {
		p.mu.Lock()
		resume, slow, closed := p.resume, p.slow, p.closed
		p.mu.Unlock()
		if closed {
			return net.ErrClosed
		}
		if resume != nil {
			<-resume
			continue
		}
		n := len(b)
		if slow > 0 {
			n = min(n, 256)
		}
		if _, err := dst.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if slow > 0 {
			time.Sleep(slow)
		}
	}
	return nil
}
