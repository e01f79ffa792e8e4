package ews

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// benchStream is a GetStreamingEvents body as Exchange writes it: envelopes
// of one notification with three events (the new-mail cascade: Created,
// NewMail, Modified with UnreadCount), with an OK heartbeat every tenth.
func benchStream(envelopes int) (data []byte, events int) {
	var b bytes.Buffer
	b.WriteString(statusEnvelope("OK"))
	for i := 0; i < envelopes; i++ {
		item := fmt.Sprintf("AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+MVIvofglBwDZGACZQpSgSpyNkexYe2b7AAAAAAENAADZGACZQpSgSpyNkexYe2b7AAANGFYw%04d=", i%10000)
		b.WriteString(streamEnvelope(`<m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification>` +
			`<t:SubscriptionId>JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag=</t:SubscriptionId>` +
			`<t:CreatedEvent><t:TimeStamp>2026-11-23T00:30:00Z</t:TimeStamp><t:ItemId Id="` + item + `" ChangeKey="CQAAAA=="/><t:ParentFolderId Id="AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA" ChangeKey="AQAAAA=="/></t:CreatedEvent>` +
			`<t:NewMailEvent><t:TimeStamp>2026-11-23T00:30:00Z</t:TimeStamp><t:ItemId Id="` + item + `" ChangeKey="CQAAAA=="/><t:ParentFolderId Id="AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA" ChangeKey="AQAAAA=="/></t:NewMailEvent>` +
			`<t:ModifiedEvent><t:TimeStamp>2026-11-23T00:30:00Z</t:TimeStamp><t:FolderId Id="AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA" ChangeKey="AQAAAA=="/><t:ParentFolderId Id="AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA" ChangeKey="AQAAAA=="/><t:UnreadCount>1</t:UnreadCount></t:ModifiedEvent>` +
			`</m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage>`))
		events += 3
		if i%10 == 9 {
			b.WriteString(statusEnvelope("OK"))
		}
	}
	b.WriteString(statusEnvelope("Closed"))
	return b.Bytes(), events
}

// BenchmarkStreamReader decodes a GetStreamingEvents stream into Events.
// Reported: events/s and allocs/event (see docs/bench-decode.md).
func BenchmarkStreamReader(b *testing.B) {
	data, events := benchStream(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		sr := NewStreamReader(bytes.NewReader(data), 0)
		for {
			m, err := sr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, nt := range m.Notifications {
				n += len(nt.Events)
			}
		}
	}
	b.StopTimer()
	if n != events*b.N {
		b.Fatalf("decoded %d events, want %d", n, events*b.N)
	}
	reportPerEvent(b, n, &before)
}

// reportPerEvent adds events/s and allocs/event to the benchmark's output.
func reportPerEvent(b *testing.B, n int, before *runtime.MemStats) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/event")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "B/event")
}

// BenchmarkDecode is the same stream through Decode (ewsmon decode), records
// included.
func BenchmarkDecode(b *testing.B) {
	data, events := benchStream(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if err := Decode(bytes.NewReader(data), func(r Record) {
			if r.Type != "ConnectionStatus" {
				n++
			}
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n != events*b.N {
		b.Fatalf("decoded %d events, want %d", n, events*b.N)
	}
	reportPerEvent(b, n, &before)
}
