package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runDecodeForTest(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"decode"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDecodeCommandStream(t *testing.T) {
	code, out, errs := runDecodeForTest(t, "", "ews/testdata/stream-mixed.xml")
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
	samples := "../shared/ews-samples/"
	code, out, _ := runDecodeForTest(t, "", samples+"getevents-newmail-x2-response.xml", samples+"subscribe-pull-response.xml")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"watermark":"AAAAAM4GAAAAAAAAAQ=="`) || !strings.Contains(out, `{"type":"Response","operation":"Subscribe"`) {
		t.Errorf("events: exit %d, output:\n%s", code, out)
	}
	code, out, _ = runDecodeForTest(t, "", "ews/testdata/fault-serverbusy.xml")
	if code != 1 || !strings.Contains(out, `{"type":"Error","error_code":"ErrorServerBusy","message":"The server cannot service this request right now. Try again later.","back_off_ms":297749}`) {
		t.Errorf("fault: exit %d, output %s", code, out)
	}
	// stdin
	data, err := os.ReadFile("ews/testdata/sendnotification.xml")
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
	data, err := os.ReadFile("ews/testdata/stream-mixed.xml")
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
	code, out, _ = runDecodeForTest(t, "", cut, "../shared/ews-samples/getevents-newmail-x2-response.xml")
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
	code := run(context.Background(), []string{"decode", "../shared/ews-samples/getevents-newmail-x2-response.xml"}, strings.NewReader(""), failWriter{}, &errb)
	if code != 2 || errb.String() != "ewsmon decode: writing output: write /dev/stdout: no space left on device\n" {
		t.Errorf("exit %d, stderr %q: the lost output must be reported", code, errb.String())
	}
	// A directory is one sentence, and the other files still print.
	dir := t.TempDir()
	code, out, errs := runDecodeForTest(t, "", dir, "../shared/ews-samples/getevents-newmail-x2-response.xml")
	if code != 2 || errs != "ewsmon decode: cannot read "+dir+": it is a directory\n" || strings.Count(out, "NewMailEvent") != 2 {
		t.Errorf("directory: exit %d, stderr %q, output %s", code, errs, out)
	}
}
