package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// BenchmarkView renders the dashboard with a small and a full event log:
// only the visible rows are drawn, so both should cost about the same.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			t := &testing.T{}
			h := newHarness(t, 160, 48, false)
			h.t = t
			h.synced()
			var us []ews.Update
			for i := 0; i < n; i++ {
				at := t0.Add(time.Duration(i) * 3 * time.Second)
				us = append(us, h.events(at, itemEv(ews.NewMailEvent, at, itemID(i%10000), idInbox)))
				if len(us) == 1000 {
					h.updates(us...)
					us = us[:0]
				}
			}
			h.updates(us...)
			if h.m.st.Len() != n {
				b.Fatalf("retained %d, want %d", h.m.st.Len(), n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = h.m.View()
			}
		})
	}
}
