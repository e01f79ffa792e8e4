package ews

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// jsonTricky are strings encoding/json treats specially.
var jsonTricky = []string{"", "plain", `quote " and \ backslash`, "<html> & 'apos'", "tab\tnl\ncr\rbs\bff\f",
	"\x00\x01\x1f\x7f", "café ☕ 日本", "\u2028\u2029", "bad \xff\xfe utf8 \xc3", "AAMkAGI2TG93AAA=", "é\u0301"}

// fillRecord sets every field of r, each empty with probability 1/3, from
// rng: a field added to Record without AppendJSON support fails the test.
func fillRecord(rng *rand.Rand, r *Record) {
	v := reflect.ValueOf(r).Elem()
	str := func() string {
		if rng.IntN(2) == 0 {
			return jsonTricky[rng.IntN(len(jsonTricky))]
		}
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if rng.IntN(3) == 0 {
			continue
		}
		switch p := f.Addr().Interface().(type) {
		case *string:
			*p = str()
		case *[]string:
			for range rng.IntN(3) {
				*p = append(*p, str())
			}
		case **int:
			n := rng.IntN(2000) - 1000
			*p = &n
		case **int64:
			n := rng.Int64() - rng.Int64()
			*p = &n
		case *uint64:
			*p = rng.Uint64() >> rng.IntN(64)
		case **bool:
			b := rng.IntN(2) == 0
			*p = &b
		case *bool:
			*p = rng.IntN(2) == 0
		default:
			panic("fillRecord: field " + v.Type().Field(i).Name + " of a type AppendJSON does not know: " + f.Type().String())
		}
	}
}

// AppendJSON writes exactly what encoding/json's Encoder (HTML escaping
// off) writes, for every field and the strings it treats specially.
func TestRecordAppendJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var r Record
		if i > 0 {
			fillRecord(rng, &r)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
		if got := r.AppendJSON(nil); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
}

func BenchmarkRecordJSON(b *testing.B) {
	n := 3
	r := Record{Type: "NewMailEvent", TimeStamp: "2026-12-03T10:00:00Z", Watermark: "AAAAAOJv6NAZz3WQoBbOxd8+haIBAAAAAAAAAAE=",
		SubscriptionId: "EAIAAAAAAAAAAAABF1KUsHpteo0=", ItemId: "AAMkAgAAAAAAAAAAAD4XUpSwem16jQ==", ParentFolderId: "AAMkAQAAAAAAAAAAAAYXUpSwem16jQ==",
		UnreadCount: &n, Cascade: 17, CascadeLabel: "New mail in Inbox", FolderName: "Inbox", Subject: "Quarterly report"}
	b.Run("encoding/json", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			_ = enc.Encode(&r)
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
}
