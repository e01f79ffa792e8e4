package ews

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

func sampleEnvelope(t *testing.T, name string) *envelope {
	t.Helper()
	raw := readSample(t, name)
	if i := bytes.IndexByte(raw, '<'); bytes.HasPrefix(raw, []byte("HTTP/")) && i > 0 {
		raw = raw[i:]
	}
	env, err := parseOne(raw, 0)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return env
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var exchange2007 = ServerVersionInfo{MajorVersion: 8, MinorVersion: 0, MajorBuildNumber: 628, MinorBuildNumber: 0}

func TestSampleSubscribeResponses(t *testing.T) {
	cases := []struct {
		file    string
		want    SubscribeResult
		version ServerVersionInfo
	}{
		{"subscribe-pull-response.xml", SubscribeResult{SubscriptionId: "39ea5d0f-f062-455e-a1e9-89c0304390f4", Watermark: "AAAAAHgGAAAAAAAAAQ=="}, exchange2007},
		// push: every element unprefixed, in a default namespace
		{"subscribe-push-response.xml", SubscribeResult{SubscriptionId: "83826921-afdf-48be-b469-628cc02b5f49", Watermark: "AQAAAOpvG0LURVdOhQkPOWZLPcI8EgAAAAAAAAE="}, exchange2007},
		// streaming: no watermark; header with h: and default-namespace declarations
		{"subscribe-streaming-response.xml", SubscribeResult{SubscriptionId: "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag="},
			ServerVersionInfo{MajorVersion: 15, MinorVersion: 0, MajorBuildNumber: 785, MinorBuildNumber: 6, Version: "V2_6"}},
		{"subscribe-affinity-anchor-response.http", SubscribeResult{SubscriptionId: "JgBjbzFwcjA2bWIyMjIubmFtcHJkMDYucHJvZC5vdXRsb29rLmNvbRAAAAAUeGk+7JFdSaFM8/NI/gQQpVdgZX6H0Ag="},
			ServerVersionInfo{MajorVersion: 15, MinorVersion: 0, MajorBuildNumber: 775, MinorBuildNumber: 7, Version: "V2_4"}},
	}
	for _, tc := range cases {
		env := sampleEnvelope(t, tc.file)
		got, err := parseSubscribe(env)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.file, *got, tc.want)
		}
		if env.Version != tc.version || !env.HasVersion {
			t.Errorf("%s: version %+v, want %+v", tc.file, env.Version, tc.version)
		}
	}
	if s := (ServerVersionInfo{MajorVersion: 15, MinorVersion: 0, MajorBuildNumber: 785, MinorBuildNumber: 6, Version: "V2_6"}).String(); s != "15.0.785.6 (V2_6)" {
		t.Errorf("version string %q", s)
	}
}

func TestSampleErrorResponses(t *testing.T) {
	cases := []struct {
		file  string
		op    string
		parse func(*envelope) error
		code  ErrorCode
		msg   string
	}{
		{"subscribe-error-delegate-access-not-supported.xml", "Subscribe", func(e *envelope) error { _, err := parseSubscribe(e); return err },
			ErrSubscriptionDelegateAccessNotSupported, "Subscriptions are not supported for delegate user access."},
		{"getevents-error-subscription-access-denied.xml", "GetEvents", func(e *envelope) error { _, err := parseGetEvents(e); return err },
			ErrSubscriptionAccessDenied, "Access is denied. Only the subscription owner may access the subscription."},
	}
	for _, tc := range cases {
		err := tc.parse(sampleEnvelope(t, tc.file))
		var re *ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("%s: got %v, want a *ResponseError", tc.file, err)
		}
		if re.Code != string(tc.code) || re.Message != tc.msg || re.Op != tc.op || re.Fault || re.BackOff != 0 {
			t.Errorf("%s: got %+v", tc.file, re)
		}
		if !errors.Is(err, tc.code) {
			t.Errorf("%s: errors.Is(err, %s) is false", tc.file, tc.code)
		}
		if errors.Is(err, ErrSubscriptionNotFound) {
			t.Errorf("%s: matches an unrelated code", tc.file)
		}
		if SubscriptionGone(err) {
			t.Errorf("%s: access errors do not mean the subscription is gone", tc.file)
		}
		if want := tc.op + ": " + string(tc.code) + ": " + tc.msg; err.Error() != want {
			t.Errorf("%s: message %q, want %q", tc.file, err.Error(), want)
		}
	}
}

func TestSampleGetEventsResponse(t *testing.T) {
	n, err := parseGetEvents(sampleEnvelope(t, "getevents-newmail-x2-response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	parent := FolderId{Id: "AQApAH", ChangeKey: "AQAAAA=="}
	base := Event{Type: NewMailEvent, ParentFolderId: parent, SubscriptionId: "f6bc657d-dde1-4f94-952d-143b95d6483d", PreviousWatermark: "AAAAAMAGAAAAAAAAAQ=="}
	e1, e2 := base, base
	e1.Watermark, e1.TimeStamp, e1.ItemId = "AAAAAM4GAAAAAAAAAQ==", ts("2006-08-22T00:36:29Z"), ItemId{Id: "AQApAHR", ChangeKey: "CQAAAA=="}
	e2.Watermark, e2.TimeStamp, e2.ItemId = "AAAAAOQGAAAAAAAAAQ==", ts("2006-08-22T01:00:50Z"), ItemId{Id: "AQApAHRw", ChangeKey: "CQAAAA=="}
	want := &Notification{SubscriptionId: base.SubscriptionId, PreviousWatermark: base.PreviousWatermark, MoreEvents: false, Events: []Event{e1, e2}}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("got  %+v\nwant %+v", n, want)
	}
	if n.Events[0].IsFolderEvent() {
		t.Error("a NewMailEvent is an item event")
	}
}

func TestSampleStreamingResponse(t *testing.T) {
	sr := NewStreamReader(bytes.NewReader(readSample(t, "getstreamingevents-created-newmail-modified.xml")), 0)
	m, err := sr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sr.Next(); err != io.EOF {
		t.Fatalf("second Next: %v, want io.EOF", err)
	}
	const sub = "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag="
	item := ItemId{Id: "AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+MVIvofglBwDZGACZQpSgSpyNkexYe2b7AAAAAAENAADZGACZQpSgSpyNkexYe2b7AAANGFYwAAA=", ChangeKey: "CQAAAA=="}
	inbox := FolderId{Id: "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA", ChangeKey: "AQAAAA=="}
	root := FolderId{Id: "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA", ChangeKey: "AQAAAA=="}
	at := ts("2013-09-16T04:31:29Z")
	one := 1
	want := []Event{
		{Type: CreatedEvent, TimeStamp: at, ItemId: item, ParentFolderId: inbox, SubscriptionId: sub},
		{Type: NewMailEvent, TimeStamp: at, ItemId: item, ParentFolderId: inbox, SubscriptionId: sub},
		{Type: ModifiedEvent, TimeStamp: at, FolderId: inbox, ParentFolderId: root, UnreadCount: &one, SubscriptionId: sub},
	}
	if len(m.Notifications) != 1 || m.ConnectionStatus != "" || len(m.Errors) != 0 {
		t.Fatalf("message %+v", m)
	}
	if !reflect.DeepEqual(m.Events(), want) {
		t.Errorf("events\n got %+v\nwant %+v", m.Events(), want)
	}
	if m.Version == nil || *m.Version != (ServerVersionInfo{MajorVersion: 15, MajorBuildNumber: 785, MinorBuildNumber: 6, Version: "V2_6"}) {
		t.Errorf("version %+v", m.Version)
	}
	if !m.Events()[2].IsFolderEvent() {
		t.Error("the ModifiedEvent is a folder event")
	}
}

func TestSampleSyncFolderHierarchy(t *testing.T) {
	got, err := parseSyncFolderHierarchy(sampleEnvelope(t, "syncfolderhierarchy-create-with-counts.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := &SyncFolderHierarchyResult{
		SyncState:                 "H4sIAAA==",
		IncludesLastFolderInRange: true,
		Changes: []FolderChange{{Kind: ChangeCreate, Folder: Folder{
			FolderId:       FolderId{Id: "AQApAHR=", ChangeKey: "AQAAABY"},
			ParentFolderId: FolderId{Id: "AQApA=", ChangeKey: "AQAAAA=="},
			FolderClass:    "IPF.Note", DisplayName: "NewFolder",
		}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// Responses the samples do not cover, in the shapes Exchange sends.
const (
	syncWithUpdateDelete = `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<m:SyncFolderHierarchyResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<m:ResponseMessages><m:SyncFolderHierarchyResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>
<m:SyncState>S2</m:SyncState><m:IncludesLastFolderInRange>false</m:IncludesLastFolderInRange>
<m:Changes>
<t:Update><t:CalendarFolder><t:FolderId Id="cal" ChangeKey="ck"/><t:ParentFolderId Id="root"/><t:FolderClass>IPF.Appointment</t:FolderClass><t:DisplayName>Calendar</t:DisplayName><t:TotalCount>3</t:TotalCount><t:ChildFolderCount>1</t:ChildFolderCount><t:UnreadCount>0</t:UnreadCount></t:CalendarFolder></t:Update>
<t:Create><t:Folder><t:FolderId Id="p"/><t:ParentFolderId Id="inbox"/><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>Projects &amp; Co</t:DisplayName><t:TotalCount>12</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount><t:UnreadCount>7</t:UnreadCount></t:Folder></t:Create>
<t:Delete><t:FolderId Id="gone" ChangeKey="x"/></t:Delete>
</m:Changes></m:SyncFolderHierarchyResponseMessage></m:ResponseMessages></m:SyncFolderHierarchyResponse></s:Body></s:Envelope>`

	getItemResponse = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<m:GetItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<m:ResponseMessages>
<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items>
<t:Message><t:ItemId Id="i1" ChangeKey="c1"/><t:ParentFolderId Id="inbox" ChangeKey="p"/><t:ItemClass>IPM.Note</t:ItemClass><t:Subject>Quarterly report</t:Subject>
<t:DateTimeReceived>2026-11-23T00:10:00Z</t:DateTimeReceived><t:IsRead>false</t:IsRead>
<t:From><t:Mailbox><t:Name>Bob Smith</t:Name><t:EmailAddress>bob@example.com</t:EmailAddress></t:Mailbox></t:From></t:Message>
</m:Items></m:GetItemResponseMessage>
<m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>The specified object was not found in the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:GetItemResponseMessage>
<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items>
<t:MeetingRequest><t:ItemId Id="i3"/><t:ItemClass>IPM.Schedule.Meeting.Request</t:ItemClass><t:Subject>Sync</t:Subject><t:IsRead>true</t:IsRead></t:MeetingRequest>
</m:Items></m:GetItemResponseMessage>
</m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>`

	getFolderResponse = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body>
<GetFolderResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><ResponseMessages>
<GetFolderResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode><Folders>
<Folder xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><FolderId Id="inbox-id" ChangeKey="ck"/><ParentFolderId Id="root-id"/><FolderClass>IPF.Note</FolderClass><DisplayName>Inbox</DisplayName><TotalCount>42</TotalCount><ChildFolderCount>2</ChildFolderCount><UnreadCount>5</UnreadCount></Folder>
</Folders></GetFolderResponseMessage>
</ResponseMessages></GetFolderResponse></s:Body></s:Envelope>`

	serverBusyFault = `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml>
</detail></s:Fault></s:Body></s:Envelope>`

	schemaFault = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorSchemaValidation</faultcode>
<faultstring xml:lang="en-US">The request failed schema validation: The 'Id' attribute is invalid.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The request failed schema validation.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:LineNumber>1</t:LineNumber><t:LinePosition>640</t:LinePosition><t:Violation>The 'Id' attribute is invalid.</t:Violation></t:MessageXml>
</detail></s:Fault></s:Body></s:Envelope>`
)

func TestSyncFolderHierarchyUpdateDelete(t *testing.T) {
	env, err := parseOne([]byte(syncWithUpdateDelete), 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseSyncFolderHierarchy(env)
	if err != nil {
		t.Fatal(err)
	}
	want := &SyncFolderHierarchyResult{SyncState: "S2", Changes: []FolderChange{
		{Kind: ChangeUpdate, Folder: Folder{FolderId: FolderId{Id: "cal", ChangeKey: "ck"}, ParentFolderId: FolderId{Id: "root"}, FolderClass: "IPF.Appointment", DisplayName: "Calendar", TotalCount: 3, ChildFolderCount: 1}},
		{Kind: ChangeCreate, Folder: Folder{FolderId: FolderId{Id: "p"}, ParentFolderId: FolderId{Id: "inbox"}, FolderClass: "IPF.Note", DisplayName: "Projects & Co", TotalCount: 12, UnreadCount: 7}},
		{Kind: ChangeDelete, Folder: Folder{FolderId: FolderId{Id: "gone", ChangeKey: "x"}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestGetItemPartialFailure(t *testing.T) {
	env, err := parseOne([]byte(getItemResponse), 0)
	if err != nil {
		t.Fatal(err)
	}
	items, err := parseGetItem(env)
	want := []Item{
		{ItemId: ItemId{Id: "i1", ChangeKey: "c1"}, ParentFolderId: FolderId{Id: "inbox", ChangeKey: "p"}, ItemClass: "IPM.Note", Subject: "Quarterly report",
			From: Mailbox{Name: "Bob Smith", EmailAddress: "bob@example.com"}, DateTimeReceived: ts("2026-11-23T00:10:00Z")},
		{ItemId: ItemId{Id: "i3"}, ItemClass: "IPM.Schedule.Meeting.Request", Subject: "Sync", IsRead: true},
	}
	if !reflect.DeepEqual(items, want) {
		t.Errorf("items\n got %+v\nwant %+v", items, want)
	}
	if !errors.Is(err, ErrItemNotFound) {
		t.Errorf("err = %v, want ErrorItemNotFound", err)
	}
}

func TestGetFolderDefaultNamespace(t *testing.T) {
	env, err := parseOne([]byte(getFolderResponse), 0)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := parseGetFolder(env)
	if err != nil {
		t.Fatal(err)
	}
	want := []Folder{{FolderId: FolderId{Id: "inbox-id", ChangeKey: "ck"}, ParentFolderId: FolderId{Id: "root-id"}, FolderClass: "IPF.Note", DisplayName: "Inbox", TotalCount: 42, ChildFolderCount: 2, UnreadCount: 5}}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("got %+v", fs)
	}
	if env.Version.String() != "15.2.1544.4 (V2017_07_11)" {
		t.Errorf("version %s", env.Version)
	}
}

func TestSoapFaults(t *testing.T) {
	env, err := parseOne([]byte(serverBusyFault), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = parseGetEvents(env)
	if !errors.Is(err, ErrServerBusy) {
		t.Fatalf("got %v, want ErrorServerBusy", err)
	}
	var re *ResponseError
	errors.As(err, &re)
	if re.BackOff != 297749*time.Millisecond || !re.Fault || re.MessageXml["BackOffMilliseconds"] != "297749" ||
		re.Message != "The server cannot service this request right now. Try again later." {
		t.Errorf("fault %+v", re)
	}
	env, err = parseOne([]byte(schemaFault), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = parseSubscribe(env)
	errors.As(err, &re)
	if !errors.Is(err, ErrSchemaValidation) || re.MessageXml["Violation"] != "The 'Id' attribute is invalid." || re.MessageXml["LinePosition"] != "640" {
		t.Errorf("schema fault %+v", re)
	}
}

func TestSubscriptionGoneCodes(t *testing.T) {
	for _, c := range []ErrorCode{ErrSubscriptionNotFound, ErrExpiredSubscription, ErrInvalidSubscription, ErrReadEventsFailed, ErrMissedNotificationEvents, ErrInvalidWatermark, ErrSubscriptionUnsubscribed} {
		if !SubscriptionGone(&ResponseError{Code: string(c)}) {
			t.Errorf("%s should mean the subscription is gone", c)
		}
	}
	for _, c := range []ErrorCode{ErrServerBusy, ErrSubscriptionAccessDenied, ErrExceededConnectionCount, ErrNewEventStreamConnectionOpened} {
		if SubscriptionGone(&ResponseError{Code: string(c)}) {
			t.Errorf("%s does not mean the subscription is gone", c)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":        "",
		"not xml":      "hello world",
		"json":         `{"a":1}`,
		"cut off":      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>`,
		"html":         `<html><body>Login</body></html>`,
		"mismatched":   `<a></b>`,
		"wrong answer": `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"/></s:Body></s:Envelope>`,
	} {
		env, err := parseOne([]byte(doc), 0)
		if err == nil {
			_, err = parseGetEvents(env)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
