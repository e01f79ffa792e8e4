package ews

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds are every sample in ../../shared/ews-samples, the mixed stream
// and the fault bodies.
func fuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	https, _ := filepath.Glob(filepath.Join(samplesDir, "*.http"))
	files = append(files, https...)
	files = append(files, "testdata/stream-mixed.xml")
	if len(files) < 10 {
		f.Fatalf("samples missing in %s (the repository expects ../shared beside it)", samplesDir)
	}
	var seeds [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return append(seeds, []byte(serverBusyFault), []byte(schemaFault), []byte(getItemResponse), []byte(syncWithUpdateDelete))
}

// FuzzDecode: the envelope parser and Decode never panic, and every failure
// is a *DecodeError with an offset inside the input.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := Decode(bytes.NewReader(data), func(r Record) {
			n++
			if r.Type == "" {
				t.Fatalf("record without type: %+v", r)
			}
		})
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			if de.Offset < 0 || de.Offset > int64(len(data)) {
				t.Fatalf("offset %d outside the input of %d bytes", de.Offset, len(data))
			}
		}
		// The same bytes through the typed parsers must not panic either.
		if env, err := parseOne(data, 0); err == nil {
			_, _ = parseSubscribe(env)
			_, _ = parseGetEvents(env)
			_, _ = parseSyncFolderHierarchy(env)
			_, _ = parseGetFolder(env)
			_, _ = parseGetItem(env)
			_, _ = streamMessage(env)
		}
	})
}

// FuzzStreamReader: reading a stream in two pieces split anywhere gives
// exactly what reading it whole gives.
func FuzzStreamReader(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, uint16(i*97))
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint16) {
		whole, errWhole := readAll(t, NewStreamReader(bytes.NewReader(data), 1<<20))
		split, errSplit := readAll(t, NewStreamReader(&splitReader{data: data, at: int(at)}, 1<<20))
		if fmt.Sprint(errWhole) != fmt.Sprint(errSplit) {
			t.Fatalf("whole: %v; split at %d: %v", errWhole, at, errSplit)
		}
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("split at %d changes the messages", at)
		}
		if errWhole != nil {
			var de *DecodeError
			if !errors.As(errWhole, &de) {
				t.Fatalf("error %v is not a *DecodeError", errWhole)
			}
		}
	})
}

// pushSeed is a SendNotification as Exchange POSTs it (the simulator's
// shape: one NewMailEvent, PreviousWatermark and the subscription id).
const pushSeed = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
	`<soap:Header><t:RequestServerVersion xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" Version="Exchange2013"/></soap:Header>` +
	`<soap:Body><m:SendNotification xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">` +
	`<m:ResponseMessages><m:SendNotificationResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>` +
	`<m:Notification><t:SubscriptionId>SUB1</t:SubscriptionId><t:PreviousWatermark>WM0</t:PreviousWatermark><t:MoreEvents>false</t:MoreEvents>` +
	`<t:NewMailEvent><t:Watermark>WM1</t:Watermark><t:TimeStamp>2026-12-03T10:00:00Z</t:TimeStamp><t:ItemId Id="I1" ChangeKey="C1"/><t:ParentFolderId Id="F1" ChangeKey="C2"/></t:NewMailEvent>` +
	`</m:Notification></m:SendNotificationResponseMessage></m:ResponseMessages></m:SendNotification></soap:Body></soap:Envelope>`

// FuzzPushListener: whatever is POSTed to the push listener, it answers
// with 200 and a SendNotificationResult, or 400 / 413 / 503 — never a
// panic — and stays up for the next request.
func FuzzPushListener(f *testing.F) {
	f.Add([]byte(pushSeed))
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := ListenPush(ctx, PushListenerConfig{MaxBody: 256 << 10})
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()
	ch := l.register("SUB1")
	go func() {
		for {
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, b := range [][]byte{body, []byte(pushSeed)} { // the seed after: still served
			rec := httptest.NewRecorder()
			l.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, l.path, bytes.NewReader(b)))
			switch rec.Code {
			case http.StatusOK:
				if out := rec.Body.String(); !strings.Contains(out, "SendNotificationResult") {
					t.Fatalf("200 without a SendNotificationResult: %q", out)
				}
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
			default:
				t.Fatalf("status %d for %q", rec.Code, b)
			}
		}
	})
}
