package sim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Streaming handlers end when the client goes away and when the server
// closes; Start's context stops the server.
func TestStreamsEndWithClientAndServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	id := e.subscribeStreaming("")
	conns := func() int {
		e.s.mu.Lock()
		defer e.s.mu.Unlock()
		return e.s.conns
	}
	waitConns := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for conns() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d streaming handlers running, want %d", conns(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	rs := e.openStream(30, id)
	e.next(rs)
	waitConns(1)
	e.subscribePull("", 5, "")
	e.act("new-mail", "")
	if st := e.s.Stats(); st != (Stats{Pull: 1, Streaming: 1, OpenStreams: 1, Events: 3}) {
		t.Errorf("Stats() = %+v", st)
	}
	rs.conn.Close() // the client goes away
	waitConns(0)

	rs = e.openStream(30, id)
	e.next(rs)
	done := make(chan error)
	go func() { done <- e.s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a stream open")
	}
	if conns() != 0 {
		t.Fatalf("%d streaming handlers still registered after Close", conns())
	}
	if _, err := rs.chunk(); err == nil {
		t.Fatal("stream still delivering after Close")
	}
}

func TestStartStopsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/EWS/Exchange.asmx") {
		t.Fatalf("URL() = %q", s.URL())
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Post(s.URL(), "text/xml", strings.NewReader("x"))
		if err != nil {
			break // refused: the server has stopped
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still answering after its context ended")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after the context ended: %v", err)
	}
	if _, err := Start(context.Background(), Config{}, "256.0.0.1:0"); err == nil {
		t.Fatal("Start on a bad address succeeded")
	}
}
