package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

func runDecodeForTest(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"decode"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDecodeCommandStream(t *testing.T) {
	code, out, errs := runDecodeForTest(t, "", "../../ews/testdata/stream-mixed.xml")
	if code != 1 {
		t.Errorf("exit %d, want 1 (the stream holds an ErrorSubscriptionNotFound); stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var types []string
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line is not JSON: %q", l)
		}
		types = append(types, m["type"].(string))
	}
	want := "ConnectionStatus CreatedEvent NewMailEvent ModifiedEvent MovedEvent CopiedEvent Error ConnectionStatus"
	if strings.Join(types, " ") != want {
		t.Errorf("types %v, want %s", types, want)
	}
	if !strings.Contains(out, `"subscription_ids":["sub-gone"]`) || !strings.Contains(out, `"unread_count":1`) {
		t.Errorf("output lacks fields:\n%s", out)
	}
}

func TestDecodeCommandExitStatus(t *testing.T) {
	samples := "../../../shared/ews-samples/"
	code, out, _ := runDecodeForTest(t, "", samples+"getevents-newmail-x2-response.xml", samples+"subscribe-pull-response.xml")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"watermark":"AAAAAM4GAAAAAAAAAQ=="`) || !strings.Contains(out, `{"type":"Response","operation":"Subscribe"`) {
		t.Errorf("events: exit %d, output:\n%s", code, out)
	}
	code, out, _ = runDecodeForTest(t, "", "../../ews/testdata/fault-serverbusy.xml")
	if code != 1 || !strings.Contains(out, `{"type":"Error","error_code":"ErrorServerBusy","message":"The server cannot service this request right now. Try again later.","back_off_ms":297749}`) {
		t.Errorf("fault: exit %d, output %s", code, out)
	}
	// stdin
	data, err := os.ReadFile("../../ews/testdata/sendnotification.xml")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = runDecodeForTest(t, string(data), "-")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"type":"StatusEvent"`) {
		t.Errorf("stdin: exit %d, output %s", code, out)
	}
}

func TestDecodeCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.xml")
	data, err := os.ReadFile("../../ews/testdata/stream-mixed.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, data[:900], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runDecodeForTest(t, "", cut)
	if code != 2 {
		t.Errorf("cut off: exit %d, want 2", code)
	}
	if want := "ewsmon decode: " + cut + ": input is cut off (unexpected end inside an element) at byte 900\n"; errs != want {
		t.Errorf("stderr %q, want %q", errs, want)
	}
	if out != `{"type":"ConnectionStatus","status":"OK"}`+"\n" {
		t.Errorf("the complete envelope before the cut is still printed; got %q", out)
	}

	code, _, errs = runDecodeForTest(t, "this is not xml", "-")
	if code != 2 || errs != "ewsmon decode: standard input: not XML: text outside any element at byte 0\n" {
		t.Errorf("not XML: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runDecodeForTest(t, "", filepath.Join(dir, "missing.xml"))
	if code != 2 || !strings.Contains(errs, "cannot read") || !strings.Contains(errs, "no such file") || strings.Contains(errs, "goroutine") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runDecodeForTest(t, "")
	if code != 2 || !strings.Contains(errs, "no file given") {
		t.Errorf("no args: exit %d, stderr %q", code, errs)
	}
	// One bad file does not hide the others' output; the worst status wins.
	code, out, _ = runDecodeForTest(t, "", cut, "../../../shared/ews-samples/getevents-newmail-x2-response.xml")
	if code != 2 || strings.Count(out, "NewMailEvent") != 2 {
		t.Errorf("mixed: exit %d, output %s", code, out)
	}
}

// failWriter fails every write, like stdout on a full disk.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) {
	return 0, errors.New("write /dev/stdout: no space left on device")
}

func TestDecodeCommandOutputFails(t *testing.T) {
	var errb bytes.Buffer
	code := run(context.Background(), []string{"decode", "../../../shared/ews-samples/getevents-newmail-x2-response.xml"}, strings.NewReader(""), failWriter{}, &errb)
	if code != 2 || errb.String() != "ewsmon decode: writing output: write /dev/stdout: no space left on device\n" {
		t.Errorf("exit %d, stderr %q: the lost output must be reported", code, errb.String())
	}
	// A directory is one sentence, and the other files still print.
	dir := t.TempDir()
	code, out, errs := runDecodeForTest(t, "", dir, "../../../shared/ews-samples/getevents-newmail-x2-response.xml")
	if code != 2 || errs != "ewsmon decode: cannot read "+dir+": it is a directory\n" || strings.Count(out, "NewMailEvent") != 2 {
		t.Errorf("directory: exit %d, stderr %q, output %s", code, errs, out)
	}
}

// decodeRecords runs decode and parses its lines.
func decodeRecords(t *testing.T, stdin string, args ...string) (int, []ews.Record, string) {
	t.Helper()
	code, out, errs := runDecodeForTest(t, stdin, args...)
	var recs []ews.Record
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var r ews.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line is not JSON: %q", l)
		}
		recs = append(recs, r)
	}
	return code, recs, errs
}

// Microsoft's streaming sample is one new mail: Created + NewMail of the
// item and the Inbox's Modified, one cascade labelled as new mail.
func TestDecodeCascadesOfTheStreamingSample(t *testing.T) {
	code, recs, errs := decodeRecords(t, "", "../../../shared/ews-samples/getstreamingevents-created-newmail-modified.xml")
	if code != 0 || len(recs) != 3 {
		t.Fatalf("exit %d, %d lines, stderr %q", code, len(recs), errs)
	}
	for _, r := range recs {
		// No name in the input: the folder shows as the dashboard shows an
		// unknown one, and no folder_name is made up.
		if r.Cascade != 1 || !strings.HasPrefix(r.CascadeLabel, "New mail in #") || r.FolderName != "" || r.ParentFolderName != "" {
			t.Errorf("%+v: want cascade 1, labelled new mail, no names", r)
		}
	}
}

// Names come from the input itself: a GetFolder answer naming the folders
// and a GetItem answer with the subject, before the events.
func TestDecodeNamesFromTheInput(t *testing.T) {
	const (
		inbox = "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA"
		root  = "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA"
		item  = "AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+MVIvofglBwDZGACZQpSgSpyNkexYe2b7AAAAAAENAADZGACZQpSgSpyNkexYe2b7AAANGFYwAAA="
		ns    = ` xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"`
	)
	getFolder := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetFolderResponse` + ns + `><m:ResponseMessages>` +
		`<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="` + inbox + `"/><t:ParentFolderId Id="` + root + `"/><t:DisplayName>Inbox</t:DisplayName><t:UnreadCount>0</t:UnreadCount></t:Folder></m:Folders></m:GetFolderResponseMessage>` +
		`</m:ResponseMessages></m:GetFolderResponse></s:Body></s:Envelope>`
	getItem := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetItemResponse` + ns + `><m:ResponseMessages>` +
		`<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message><t:ItemId Id="` + item + `"/><t:Subject>Lunch?</t:Subject><t:ItemClass>IPM.Note</t:ItemClass></t:Message></m:Items></m:GetItemResponseMessage>` +
		`</m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>`
	stream, err := os.ReadFile("../../../shared/ews-samples/getstreamingevents-created-newmail-modified.xml")
	if err != nil {
		t.Fatal(err)
	}
	// The sample starts with an XML declaration, which may only open a
	// document: drop it.
	body := string(stream[strings.Index(string(stream), "?>")+2:])
	code, recs, errs := decodeRecords(t, getFolder+getItem+body, "-")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var types []string
	for _, r := range recs {
		types = append(types, r.Type)
	}
	if got := strings.Join(types, " "); got != "Response Folder Response Item CreatedEvent NewMailEvent ModifiedEvent" {
		t.Fatalf("lines %s", got)
	}
	for _, r := range recs[4:] {
		if r.Cascade != 1 || r.CascadeLabel != "New mail in Inbox" {
			t.Errorf("%s: cascade %d %q, want 1 \"New mail in Inbox\"", r.Type, r.Cascade, r.CascadeLabel)
		}
	}
	if c := recs[4]; c.ParentFolderName != "Inbox" || c.Subject != "Lunch?" {
		t.Errorf("CreatedEvent %+v: want parent_folder_name Inbox, subject Lunch?", c)
	}
	if m := recs[6]; m.FolderName != "Inbox" || m.ParentFolderName != model.RootName {
		t.Errorf("ModifiedEvent %+v: want folder_name Inbox under %s", m, model.RootName)
	}

	// --no-cascades: the events as they are.
	_, recs, _ = decodeRecords(t, getFolder+getItem+body, "--no-cascades", "-")
	for _, r := range recs {
		if r.Cascade != 0 || r.CascadeLabel != "" || (r.Type != "Folder" && r.FolderName != "") || r.ParentFolderName != "" || (r.Type != "Item" && r.Subject != "") {
			t.Errorf("--no-cascades: %+v", r)
		}
	}
}

// Two pull events 24 minutes apart are two messages: two cascades. A line
// between the events of one cascade keeps its place.
func TestDecodeCascadesOrder(t *testing.T) {
	samples := "../../../shared/ews-samples/"
	code, recs, _ := decodeRecords(t, "", samples+"getevents-newmail-x2-response.xml", samples+"subscribe-pull-response.xml", "../../ews/testdata/stream-mixed.xml")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var got []string
	for _, r := range recs {
		s := r.Type
		if r.Cascade != 0 {
			s += fmt.Sprintf("#%d", r.Cascade)
		}
		got = append(got, s)
	}
	want := "NewMailEvent#1 NewMailEvent#2 Response ConnectionStatus CreatedEvent#3 NewMailEvent#3 ModifiedEvent#3 MovedEvent#4 CopiedEvent#5 Error ConnectionStatus"
	if strings.Join(got, " ") != want {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

// FuzzDecodeCommand: whatever the input, decode with cascades (the model
// grouping and naming whatever events and folders it holds) prints only
// JSON lines, ends with one of its exit statuses and never panics.
func FuzzDecodeCommand(f *testing.F) {
	files, _ := filepath.Glob("../../../shared/ews-samples/*.*")
	files = append(files, "../../ews/testdata/stream-mixed.xml", "../../ews/testdata/sendnotification.xml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"decode", "-"}, bytes.NewReader(data), &out, &errb)
		if code < 0 || code > 2 {
			t.Fatalf("exit %d", code)
		}
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l != "" && !json.Valid([]byte(l)) {
				t.Fatalf("not a JSON line: %q", l)
			}
		}
		if s := errb.String(); strings.Count(s, "\n") > 1 {
			t.Fatalf("stderr is more than one line: %q", s)
		}
	})
}
