package faultproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// echo is a TCP echo server on 127.0.0.1.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func TestProxyForwardsDropsAndStalls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := Start(ctx, echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	roundTrip := func(msg string) (string, error) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, msg+"\n"); err != nil {
			return "", err
		}
		return br.ReadString('\n')
	}
	if got, err := roundTrip("hello"); err != nil || got != "hello\n" {
		t.Fatalf("forward: %q %v", got, err)
	}

	// A stall holds the answer until it ends: it arrives only after.
	p.Stall(time.Hour)
	got := make(chan string, 1)
	go func() { s, _ := roundTrip("held"); got <- s }()
	select {
	case s := <-got:
		t.Fatalf("answer %q during the stall", s)
	case <-time.After(100 * time.Millisecond):
	}
	p.mu.Lock()
	close(p.resume)
	p.resume = nil
	p.mu.Unlock()
	if s := <-got; s != "held\n" {
		t.Fatalf("after the stall: %q", s)
	}

	// Slow still delivers every byte.
	p.Slow(time.Hour, time.Millisecond)
	long := make([]byte, 3000)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	if s, err := roundTrip(string(long)); err != nil || s != string(long)+"\n" {
		t.Fatalf("slow link: %d bytes, %v", len(s), err)
	}

	// Drop closes the connection; the client sees EOF, a new one works.
	if n := p.Drop(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadString('\n'); err == nil {
		t.Fatal("read after drop succeeded")
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c2, "again\n")
	if s, err := bufio.NewReader(c2).ReadString('\n'); err != nil || s != "again\n" {
		t.Fatalf("after drop: %q %v", s, err)
	}
}
