package model_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// burst is n events of realistic actions (new mail, moves, mark read) with
// distinct items, all in one second.
func burst(n, offset int, ts time.Time) []ews.Event {
	evs := make([]ews.Event, 0, n+3)
	for i := offset; len(evs) < n; i++ {
		id := fmt.Sprint("m", i)
		switch i % 3 {
		case 0:
			evs = append(evs, ICreated(id, inbox), INewMail(id, inbox), FModified(inbox, root, i))
		case 1:
			evs = append(evs, IMoved(id+"b", id, archive, inbox), FModified(inbox, root, i), FModified(archive, root, i))
		default:
			evs = append(evs, IModified(id, inbox), FModified(inbox, root, i))
		}
	}
	return at(ts, evs[:n]...)
}

func filled(b *testing.B, retained int) *model.State {
	s := newState(model.Config{MaxEvents: 100000})
	ts := t0
	for done := 0; done < retained; done += 1000 {
		k := min(1000, retained-done)
		s.Apply(ews.Update{At: ts, Events: burst(k, done, ts)})
		ts = ts.Add(time.Second)
	}
	if s.Len() != retained {
		b.Fatalf("retained %d, want %d", s.Len(), retained)
	}
	// Expand every tenth cascade, as a user might have.
	for i := 0; i < s.RowCount(); i += 10 {
		if r := s.Rows(i, 1); len(r) == 1 && r[0].IsHeader() {
			s.ToggleExpanded(r[0].Cascade.ID)
		}
	}
	return s
}

// Rows of one screen (40 rows) at the newest end and in the middle: the
// cost must not grow with the number of retained events.
func BenchmarkRows(b *testing.B) {
	for _, retained := range []int{10, 100000} {
		s := filled(b, retained)
		b.Run(fmt.Sprint("retained=", retained), func(b *testing.B) {
			total := s.RowCount()
			rendered := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				start := max(0, total-40)
				if i%2 == 1 {
					start = total / 2
				}
				rows := s.Rows(start, 40)
				rendered += len(rows)
				for _, r := range rows {
					if r.IsHeader() {
						_ = s.Label(r.Cascade)
					} else {
						_ = s.Columns(r.Entry)
					}
				}
			}
			// The cost per drawn row is what must not depend on the log size.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rendered), "ns/row")
		})
	}
}

// Apply of one 1000-event burst into a log that is full (so every append
// also evicts).
func BenchmarkApplyBurst1000(b *testing.B) {
	s := filled(b, 100000)
	ts := t0.Add(time.Hour)
	bursts := make([][]ews.Event, 16)
	for i := range bursts {
		bursts[i] = burst(1000, 1000000+i*1000, ts)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ts = ts.Add(time.Second)
		evs := bursts[i%len(bursts)]
		for j := range evs {
			evs[j].TimeStamp = ts
		}
		s.Apply(ews.Update{At: ts, Events: evs})
	}
	if s.Len() != 100000 {
		b.Fatalf("retained %d", s.Len())
	}
}

// Changing the filter rebuilds the list: O(retained events).
func BenchmarkSetFilter(b *testing.B) {
	s := filled(b, 100000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			s.SetFilter(model.Filter{FolderId: archive})
		} else {
			s.SetFilter(model.Filter{})
		}
	}
}

// Heap held per retained event, with EWS-sized ids and each notification's
// raw XML (about 2 KB, shared by its events), as the client delivers them.
func BenchmarkMemoryPerEvent(b *testing.B) {
	long := func(p string, i int) string {
		return fmt.Sprintf("AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+%s%08dAAA=", p, i)
	}
	raw := make([]byte, 2048)
	// Measured once, however many iterations are asked for: filling 100k
	// events is the whole cost.
	var perEvent float64
	{
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := model.New(model.Config{})
		ts := t0
		for i := 0; i < 100000; i += 3 {
			ts = ts.Add(time.Second)
			xml := append([]byte(nil), raw...)
			evs := []ews.Event{ICreated(long("I", i), long("F", i%20)), INewMail(long("I", i), long("F", i%20)), FModified(long("F", i%20), long("R", 0), i)}
			for j := range evs {
				evs[j].TimeStamp, evs[j].RawXML, evs[j].SubscriptionId = ts, xml, long("S", 0)
				evs[j].ItemId.ChangeKey, evs[j].ParentFolderId.ChangeKey = "CQAAABYAAADZGACZQpSgSpyNkexYe2b7AAANGFYw", "AQAAAA=="
			}
			s.Apply(ews.Update{At: ts, Events: evs})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEvent = float64(after.HeapAlloc-before.HeapAlloc) / float64(s.Len())
		runtime.KeepAlive(s)
	}
	for b.Loop() {
	}
	b.ReportMetric(perEvent, "B/event")
}
