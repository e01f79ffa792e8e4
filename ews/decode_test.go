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
			`{"type":"Error","operation":"GetEvents","error_code":"ErrorSubscriptionAccessDenied","message":"Access is denied. Only the subscription owner may access the subscription."}`,
		}},
		{samplesDir + "/subscribe-error-delegate-access-not-supported.xml", []string{
			`{"type":"Error","operation":"Subscribe","error_code":"ErrorSubscriptionDelegateAccessNotSupported","message":"Subscriptions are not supported for delegate user access."}`,
		}},
		// Responses without events: one line each, with what they say.
		{samplesDir + "/subscribe-pull-response.xml", []string{
			`{"type":"Response","operation":"Subscribe","response_code":"NoError","watermark":"AAAAAHgGAAAAAAAAAQ==","subscription_id":"39ea5d0f-f062-455e-a1e9-89c0304390f4"}`,
		}},
		{samplesDir + "/subscribe-push-response.xml", []string{
			`{"type":"Response","operation":"Subscribe","response_code":"NoError","watermark":"AQAAAOpvG0LURVdOhQkPOWZLPcI8EgAAAAAAAAE=","subscription_id":"83826921-afdf-48be-b469-628cc02b5f49"}`,
		}},
		{samplesDir + "/subscribe-streaming-response.xml", []string{
			`{"type":"Response","operation":"Subscribe","response_code":"NoError","subscription_id":"JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag="}`,
		}},
		{samplesDir + "/subscribe-affinity-anchor-response.http", []string{
			`{"type":"Response","operation":"Subscribe","response_code":"NoError","subscription_id":"JgBjbzFwcjA2bWIyMjIubmFtcHJkMDYucHJvZC5vdXRsb29rLmNvbRAAAAAUeGk+7JFdSaFM8/NI/gQQpVdgZX6H0Ag="}`,
		}},
		{samplesDir + "/syncfolderhierarchy-create-with-counts.xml", []string{
			`{"type":"Response","operation":"SyncFolderHierarchy","response_code":"NoError","sync_state":"H4sIAAA==","includes_last_folder_in_range":true,"creates":1,"updates":0,"deletes":0}`,
			`{"type":"FolderChange","folder_id":"AQApAHR=","parent_folder_id":"AQApA=","unread_count":0,"change":"Create","folder_name":"NewFolder","folder_class":"IPF.Note","total_count":0,"child_folder_count":0}`,
		}},
		// Requests: one line naming the operation.
		{samplesDir + "/subscribe-affinity-anchor-request.http", []string{`{"type":"Request","operation":"Subscribe"}`}},
		{samplesDir + "/subscribe-pull-request.xml", []string{`{"type":"Request","operation":"Subscribe"}`}},
		{samplesDir + "/subscribe-push-request.xml", []string{`{"type":"Request","operation":"Subscribe"}`}},
		{samplesDir + "/subscribe-streaming-request.xml", []string{`{"type":"Request","operation":"Subscribe"}`}},
		{samplesDir + "/getstreamingevents-request.xml", []string{`{"type":"Request","operation":"GetStreamingEvents"}`}},
		{samplesDir + "/getevents-request.xml", []string{`{"type":"Request","operation":"GetEvents"}`}},
		{samplesDir + "/syncfolderhierarchy-initial-request.xml", []string{`{"type":"Request","operation":"SyncFolderHierarchy"}`}},
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
			`{"type":"Error","operation":"GetStreamingEvents","error_code":"ErrorSubscriptionNotFound","message":"The specified subscription was not found.","subscription_ids":["sub-gone"]}`,
			`{"type":"ConnectionStatus","status":"Closed"}`,
		)},
	}
	files, _ := filepath.Glob(samplesDir + "/*.*")
	for _, f := range files {
		covered := strings.HasSuffix(f, ".md")
		for _, tc := range cases {
			covered = covered || filepath.Base(tc.file) == filepath.Base(f)
		}
		if !covered {
			t.Errorf("sample %s has no expected lines here", filepath.Base(f))
		}
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

// Responses the samples do not cover: each is at least one line, with the
// folders, folder changes and items it holds.
func TestDecodeResponsesWithoutEvents(t *testing.T) {
	const (
		soap = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>`
		end  = `</s:Body></s:Envelope>`
		ns   = ` xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"`
	)
	cases := []struct {
		name, xml string
		want      []string
	}{
		{"sync update and delete", syncWithUpdateDelete, []string{
			`{"type":"Response","operation":"SyncFolderHierarchy","response_code":"NoError","sync_state":"S2","includes_last_folder_in_range":false,"creates":1,"updates":1,"deletes":1}`,
			`{"type":"FolderChange","folder_id":"cal","parent_folder_id":"root","unread_count":0,"change":"Update","folder_name":"Calendar","folder_class":"IPF.Appointment","total_count":3,"child_folder_count":1}`,
			`{"type":"FolderChange","folder_id":"p","parent_folder_id":"inbox","unread_count":7,"change":"Create","folder_name":"Projects \u0026 Co","folder_class":"IPF.Note","total_count":12,"child_folder_count":0}`,
			`{"type":"FolderChange","folder_id":"gone","change":"Delete"}`,
		}},
		{"get folder", getFolderResponse, []string{
			`{"type":"Response","operation":"GetFolder","response_code":"NoError","folders":1}`,
			`{"type":"Folder","folder_id":"inbox-id","parent_folder_id":"root-id","unread_count":5,"folder_name":"Inbox","folder_class":"IPF.Note","total_count":42,"child_folder_count":2}`,
		}},
		{"get item", getItemResponse, []string{
			`{"type":"Response","operation":"GetItem","response_code":"NoError","items":1}`,
			`{"type":"Item","item_id":"i1","parent_folder_id":"inbox","subject":"Quarterly report","item_class":"IPM.Note"}`,
			`{"type":"Error","operation":"GetItem","error_code":"ErrorItemNotFound","message":"The specified object was not found in the store."}`,
			`{"type":"Response","operation":"GetItem","response_code":"NoError","items":1}`,
			`{"type":"Item","item_id":"i3","subject":"Sync","item_class":"IPM.Schedule.Meeting.Request"}`,
		}},
		{"move folder, id only", soap + `<m:MoveFolderResponse` + ns + `><m:ResponseMessages><m:MoveFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="f1" ChangeKey="k"/></t:Folder></m:Folders></m:MoveFolderResponseMessage></m:ResponseMessages></m:MoveFolderResponse>` + end, []string{
			`{"type":"Response","operation":"MoveFolder","response_code":"NoError","folders":1}`,
			`{"type":"Folder","folder_id":"f1"}`,
		}},
		{"unsubscribe", soap + `<m:UnsubscribeResponse` + ns + `><m:ResponseMessages><m:UnsubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UnsubscribeResponseMessage></m:ResponseMessages></m:UnsubscribeResponse>` + end, []string{
			`{"type":"Response","operation":"Unsubscribe","response_code":"NoError"}`,
		}},
		{"get events, nothing", soap + `<m:GetEventsResponse` + ns + `><m:ResponseMessages><m:GetEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notification><t:SubscriptionId>s1</t:SubscriptionId></m:Notification></m:GetEventsResponseMessage></m:ResponseMessages></m:GetEventsResponse>` + end, []string{
			`{"type":"Response","operation":"GetEvents","response_code":"NoError","subscription_id":"s1"}`,
		}},
		{"streaming, nothing", soap + `<m:GetStreamingEventsResponse` + ns + `><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse>` + end, []string{
			`{"type":"Response","operation":"GetStreamingEvents","response_code":"NoError"}`,
		}},
		{"push listener's answer", soap + `<m:SendNotificationResult` + ns + `><m:SubscriptionStatus>Unsubscribe</m:SubscriptionStatus></m:SendNotificationResult>` + end, []string{
			`{"type":"Response","operation":"SendNotification","status":"Unsubscribe"}`,
		}},
	}
	for _, tc := range cases {
		got, err := decodeLines(t, []byte(tc.xml))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
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
