package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// openStreams subscribes n streaming subscriptions (all folders) and opens one
// GetStreamingEvents connection for each, read by the project's client. It
// returns a counter of NewMailEvents received over all streams.
func openStreams(tb testing.TB, ctx context.Context, s *sim.Server, n int) (*atomic.Int64, func()) {
	c, err := ews.NewClient(ews.Config{URL: s.URL(), Auth: ews.AuthNone, User: "alice@example.com"})
	if err != nil {
		tb.Fatal(err)
	}
	var got atomic.Int64
	var wg sync.WaitGroup
	var streams []*ews.Stream
	for i := 0; i < n; i++ {
		sub, err := c.Subscribe(ctx, ews.SubscribeRequest{Mode: ews.ModeStreaming})
		if err != nil {
			tb.Fatal(err)
		}
		st, err := c.GetStreamingEvents(ctx, ews.GetStreamingEventsRequest{SubscriptionIds: []string{sub.SubscriptionId}, ConnectionTimeout: 30})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.Next(); err != nil {
			tb.Fatal(err)
		}
		streams = append(streams, st)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := st.Next()
				if err != nil {
					return
				}
				for _, e := range m.Events() {
					if e.Type == ews.NewMailEvent {
						got.Add(1)
					}
				}
			}
		}()
	}
	return &got, func() {
		for _, st := range streams {
			st.Close()
		}
		wg.Wait()
		c.CloseIdleConnections()
	}
}

// BenchmarkActionsWith100Streams measures how many new-mail actions per
// second the simulator sustains while 100 streaming connections are open,
// each subscribed to all folders: the time counted runs until every stream
// has received every NewMailEvent.
func BenchmarkActionsWith100Streams(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.Start(ctx, sim.Config{HeartbeatInterval: time.Hour}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const streams = 100
	got, stop := openStreams(b, ctx, s, streams)
	defer stop()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.Act(ctx, sim.ActionRequest{Action: "new-mail"}); err != nil {
			b.Fatal(err)
		}
	}
	want := int64(b.N) * streams
	deadline := time.Now().Add(2 * time.Minute)
	for got.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("streams received %d of %d NewMailEvents", got.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "actions/s")
	b.ReportMetric(float64(b.N)*3*streams/el.Seconds(), "events-delivered/s")
}

// BenchmarkMemoryPerSubscription reports heap bytes per pull subscription
// and per open streaming connection (heap plus goroutine stacks, both ends
// in this process: the client's reader is included).
func BenchmarkMemoryPerSubscription(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.Start(ctx, sim.Config{HeartbeatInterval: time.Hour, MaxSubscriptions: 100000}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := ews.NewClient(ews.Config{URL: s.URL(), Auth: ews.AuthNone, User: "alice@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	mem := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc + m.StackInuse
	}
	const n = 1000
	for i := 0; i < b.N; i++ {
		before := mem()
		for j := 0; j < n; j++ {
			if _, err := c.Subscribe(ctx, ews.SubscribeRequest{Mode: ews.ModePull, Timeout: 60}); err != nil {
				b.Fatal(err)
			}
		}
		after := mem()
		b.ReportMetric(float64(after-before)/n, "B/pull-sub")

		before = mem()
		_, stop := openStreams(b, ctx, s, 100)
		after = mem()
		b.ReportMetric(float64(after-before)/100, "B/open-stream")
		stop()
	}
}

// openRawStreams is openStreams with readers that only count NewMailEvent
// tags in the bytes, so the figure is the simulator's own cost.
func openRawStreams(tb testing.TB, ctx context.Context, s *sim.Server, n int) (*atomic.Int64, func()) {
	c, err := ews.NewClient(ews.Config{URL: s.URL(), Auth: ews.AuthNone, User: "alice@example.com"})
	if err != nil {
		tb.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}}
	var got atomic.Int64
	var wg sync.WaitGroup
	var bodies []interface{ Close() error }
	tag := []byte("<t:NewMailEvent>")
	for i := 0; i < n; i++ {
		sub, err := c.Subscribe(ctx, ews.SubscribeRequest{Mode: ews.ModeStreaming})
		if err != nil {
			tb.Fatal(err)
		}
		body := fmt.Sprintf(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="%s" xmlns:t="%s"><soap:Body><m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>%s</t:SubscriptionId></m:SubscriptionIds><m:ConnectionTimeout>30</m:ConnectionTimeout></m:GetStreamingEvents></soap:Body></soap:Envelope>`, ews.NSMessages, ews.NSTypes, sub.SubscriptionId)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL(), strings.NewReader(body))
		resp, err := hc.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		bodies = append(bodies, resp.Body)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			var tail []byte
			for {
				k, err := resp.Body.Read(buf)
				data := append(tail, buf[:k]...)
				got.Add(int64(bytes.Count(data, tag)))
				if len(data) >= len(tag) {
					tail = append([]byte(nil), data[len(data)-len(tag)+1:]...)
				} else {
					tail = data
				}
				if err != nil {
					return
				}
			}
		}()
	}
	return &got, func() {
		for _, b := range bodies {
			b.Close()
		}
		wg.Wait()
		hc.CloseIdleConnections()
		c.CloseIdleConnections()
	}
}

// BenchmarkActionsWith100RawStreams is BenchmarkActionsWith100Streams with
// byte-counting readers instead of the XML client.
func BenchmarkActionsWith100RawStreams(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.Start(ctx, sim.Config{HeartbeatInterval: time.Hour}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const streams = 100
	got, stop := openRawStreams(b, ctx, s, streams)
	defer stop()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.Act(ctx, sim.ActionRequest{Action: "new-mail"}); err != nil {
			b.Fatal(err)
		}
	}
	want := int64(b.N) * streams
	deadline := time.Now().Add(2 * time.Minute)
	for got.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("streams received %d of %d NewMailEvents", got.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "actions/s")
	b.ReportMetric(float64(b.N)*3*streams/el.Seconds(), "events-delivered/s")
}
