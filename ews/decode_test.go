package ews

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decodeLines(t *testing.T, data []byte) ([]string, error) {
	t.Helper()
	var lines []string
	err := Decode(bytes.NewReader(data), func(r Record) {
		b, jerr := json.Marshal(r)
		if jerr != nil {
			t.Fatal(jerr)
		}
		lines = append(lines, string(b))
	})
	return lines, err
}

func TestDecodeSamples(t *testing.T) {
	const streamSub = "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag="
	const item = "AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+MVIvofglBwDZGACZQpSgSpyNkexYe2b7AAAAAAENAADZGACZQpSgSpyNkexYe2b7AAANGFYwAAA="
	const inbox = "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA"
	const root = "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA"
	streaming := []string{
		`{"type":"CreatedEvent","timestamp":"2013-09-16T04:31:29Z","subscription_id":"` + streamSub + `","item_id":"` + item + `","parent_folder_id":"` + inbox + `"}`,
		`{"type":"NewMailEvent","timestamp":"2013-09-16T04:31:29Z","subscription_id":"` + streamSub + `","item_id":"` + item + `","parent_folder_id":"` + inbox + `"}`,
		`{"type":"ModifiedEvent","timestamp":"2013-09-16T04:31:29Z","subscription_id":"` + streamSub + `","folder_id":"` + inbox + `","parent_folder_id":"` + root + `","unread_count":1}`,
	}
	cases := []struct {
		file string
		want []string
	}{
		{samplesDir + "/getevents-newmail-x2-response.xml", []string{
			`{"type":"NewMailEvent","timestamp":"2006-08-22T00:36:29Z","watermark":"AAAAAM4GAAAAAAAAAQ==","subscription_id":"f6bc657d-dde1-4f94-952d-143b95d6483d","item_id":"AQApAHR","parent_folder_id":"AQApAH"}`,
			`{"type":"NewMailEvent","timestamp":"2006-08-22T01:00:50Z","watermark":"AAAAAOQGAAAAAAAAAQ==","subscription_id":"f6bc657d-dde1-4f94-952d-143b95d6483d","item_id":"AQApAHRw","parent_folder_id":"AQApAH"}`,
		}},
		{samplesDir + "/getstreamingevents-created-newmail-modified.xml", streaming},
		{samplesDir + "/getevents-error-subscription-access-denied.xml", []string{
			`{"type":"Error","error_code":"ErrorSubscriptionAccessDenied","message":"Access is denied. Only the subscription owner may access the subscription."}`,
		}},
		{samplesDir + "/subscribe-error-delegate-access-not-supported.xml", []string{
			`{"type":"Error","error_code":"ErrorSubscriptionDelegateAccessNotSupported","message":"Subscriptions are not supported for delegate user access."}`,
		}},
		{samplesDir + "/subscribe-pull-response.xml", nil},
		{samplesDir + "/subscribe-affinity-anchor-response.http", nil},
		{samplesDir + "/subscribe-affinity-anchor-request.http", nil},
		{samplesDir + "/syncfolderhierarchy-create-with-counts.xml", nil},
		{"testdata/fault-serverbusy.xml", []string{
			`{"type":"Error","error_code":"ErrorServerBusy","message":"The server cannot service this request right now. Try again later.","back_off_ms":297749}`,
		}},
		{"testdata/sendnotification.xml", []string{
			`{"type":"MovedEvent","timestamp":"2026-11-23T00:12:41Z","watermark":"AQAAAOpvG0LURVdOhQkPOWZLPcJEEgAAAAAAAAE=","subscription_id":"83826921-afdf-48be-b469-628cc02b5f49","item_id":"AAMkAGI2-moved","parent_folder_id":"AAMkAGI2-deleteditems","old_item_id":"AAMkAGI2-orig","old_parent_folder_id":"AAMkAGI2-inbox"}`,
			`{"type":"ModifiedEvent","timestamp":"2026-11-23T00:12:41Z","watermark":"AQAAAOpvG0LURVdOhQkPOWZLPcJFEgAAAAAAAAE=","subscription_id":"83826921-afdf-48be-b469-628cc02b5f49","folder_id":"AAMkAGI2-inbox","parent_folder_id":"AAMkAGI2-root","unread_count":7}`,
			`{"type":"StatusEvent","watermark":"AQAAAOpvG0LURVdOhQkPOWZLPcJGEgAAAAAAAAE=","subscription_id":"83826921-afdf-48be-b469-628cc02b5f49"}`,
		}},
		{"testdata/stream-mixed.xml", append(append([]string{`{"type":"ConnectionStatus","status":"OK"}`}, streaming...),
			`{"type":"MovedEvent","timestamp":"2026-11-23T00:20:05Z","subscription_id":"sub-B","item_id":"new-item","parent_folder_id":"archive","old_item_id":"old-item","old_parent_folder_id":"inbox"}`,
			`{"type":"CopiedEvent","timestamp":"2026-11-23T00:20:06Z","subscription_id":"sub-B","folder_id":"f-copy","parent_folder_id":"archive","old_folder_id":"f-orig","old_parent_folder_id":"inbox"}`,
			`{"type":"Error","error_code":"ErrorSubscriptionNotFound","message":"The specified subscription was not found.","subscription_ids":["sub-gone"]}`,
			`{"type":"ConnectionStatus","status":"Closed"}`,
		)},
	}
	for _, tc := range cases {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeLines(t, data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(tc.file), err)
			continue
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", filepath.Base(tc.file), strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

func TestDecodeBadInput(t *testing.T) {
	sample := readSample(t, "getevents-newmail-x2-response.xml")
	cut := len(sample) - 40
	cases := []struct {
		name   string
		data   string
		offset int64
		msg    string
		nrec   int
	}{
		{"empty", "", 0, "no XML element", 0},
		{"text", "hello, world\n", 0, "not XML", 0},
		{"json", `{"type":"x"}`, 0, "not XML", 0},
		{"cut off", string(sample[:cut]), int64(cut), "cut off", 0},
		{"mismatched tags", `<a><b></a>`, 6, "not well-formed XML: element <b> closed by </a>", 0},
		{"garbage after an envelope", string(readSample(t, "getstreamingevents-created-newmail-modified.xml")) + "<<<", int64(len(readSample(t, "getstreamingevents-created-newmail-modified.xml")) + 1), "not well-formed", 3},
		{"http head only", "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n", 43, "no XML element", 0},
		{"non-SOAP root", `<html><body>Sign in</body></html>`, 33, "not a SOAP envelope", 0},
	}
	for _, tc := range cases {
		got, err := decodeLines(t, []byte(tc.data))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want *DecodeError", tc.name, err)
			continue
		}
		if de.Offset != tc.offset || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v (offset %d), want offset %d and %q", tc.name, err, de.Offset, tc.offset, tc.msg)
		}
		if len(got) != tc.nrec {
			t.Errorf("%s: %d records before the error, want %d", tc.name, len(got), tc.nrec)
		}
	}
}
