package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// syncItems sends SyncFolderItems and returns the answer.
func (e *env) syncItems(folder, state string, max int) []byte {
	e.t.Helper()
	st := ""
	if state != "" {
		st = `<m:SyncState>` + state + `</m:SyncState>`
	}
	_, doc := e.post(soap(`<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>` + folder + `</m:SyncFolderId>` + st + `<m:MaxChangesReturned>` + strconv.Itoa(max) + `</m:MaxChangesReturned></m:SyncFolderItems>`))
	return doc
}

// changeKinds lists the t:Create / t:Update / t:Delete / t:ReadFlagChange
// elements of a SyncFolderItems answer with their ItemIds, in order.
func changeKinds(doc []byte) []string {
	var out []string
	for _, m := range changeRe.FindAllSubmatch(doc, -1) {
		out = append(out, string(m[1])+" "+string(m[2]))
	}
	return out
}

var changeRe = regexp.MustCompile(`<t:(Create|Update|Delete|ReadFlagChange)>(?:<t:\w+>)?<t:ItemId Id="([^"]*)"`)

func TestSyncFolderItems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	inbox := `<t:DistinguishedFolderId Id="inbox"/>`
	base := e.syncItems(inbox, "", 512)
	e.mustCode(base, "NoError")
	if n := len(changeKinds(base)); n != 6 || field(base, "IncludesLastItemInRange") != "true" {
		t.Fatalf("initial sync of the demo Inbox: %d changes, want its 6 items as Create\n%s", n, base)
	}
	state := field(base, "SyncState")
	if got := changeKinds(e.syncItems(inbox, state, 512)); len(got) != 0 {
		t.Fatalf("nothing changed, yet %v", got)
	}

	nm := e.act("new-mail", "inbox")
	mr := e.act("mark-read", "inbox")
	mv := e.act("move-item", "inbox")
	doc := e.syncItems(inbox, state, 512)
	e.mustCode(doc, "NoError")
	got := strings.Join(changeKinds(doc), "\n")
	moved := mv.Events[0].OldItemId.Id
	want := []string{"Create " + nm.Events[0].ItemId.Id}
	if mr.Events[0].ItemId.Id != nm.Events[0].ItemId.Id {
		// (marking the new mail itself read is part of its Create)
		want = append(want, "ReadFlagChange "+mr.Events[0].ItemId.Id)
	}
	for _, w := range want {
		if strings.HasSuffix(w, " "+moved) {
			continue // the item moved out was this one: it shows as gone
		}
		if !strings.Contains(got, w) {
			t.Errorf("sync after new mail, mark read, move out lacks %q:\n%s", w, got)
		}
	}
	if moved != nm.Events[0].ItemId.Id && !strings.Contains(got, "Delete "+moved) {
		t.Errorf("the item moved out is not a Delete:\n%s", got)
	}
	// Paging: one change per call, each state resuming where the last
	// ended, IncludesLastItemInRange false until the last.
	seen := map[string]bool{}
	st := state
	for i := 0; ; i++ {
		page := e.syncItems(inbox, st, 1)
		e.mustCode(page, "NoError")
		for _, c := range changeKinds(page) {
			seen[c] = true
		}
		st = field(page, "SyncState")
		if field(page, "IncludesLastItemInRange") == "true" {
			break
		}
		if i > 10 {
			t.Fatal("paging does not end")
		}
	}
	for _, c := range changeKinds(doc) {
		if !seen[c] && !strings.HasPrefix(c, "Create") {
			t.Errorf("paged sync lost %q (got %v)", c, seen)
		}
	}
	// A state from another folder, or garbage, is refused.
	e.mustCode(e.syncItems(`<t:DistinguishedFolderId Id="drafts"/>`, state, 10), "ErrorInvalidSyncStateData")
	e.mustCode(e.syncItems(inbox, "Z2FyYmFnZQ==", 10), "ErrorInvalidSyncStateData")
}

func TestGetFolderChangeMarks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	get := func() []byte {
		_, doc := e.post(soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape><t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x670a" PropertyType="SystemTime"/><t:ExtendedFieldURI PropertyTag="0x670b" PropertyType="Integer"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
		e.mustCode(doc, "NoError")
		return doc
	}
	before := fields(get(), "Value")
	if len(before) != 2 {
		t.Fatalf("GetFolder with the two change properties: values %v", before)
	}
	if again := fields(get(), "Value"); again[0] != before[0] || again[1] != before[1] {
		t.Fatalf("marks moved with no change: %v then %v", before, again)
	}
	e.act("mark-read", "inbox") // same clock tick: the commit time still moves
	mid := fields(get(), "Value")
	if mid[0] == before[0] || mid[1] != before[1] {
		t.Fatalf("after mark-read: %v, before %v: commit time must move, deleted count not", mid, before)
	}
	e.act("hard-delete", "inbox")
	after := fields(get(), "Value")
	if after[1] == mid[1] {
		t.Fatalf("after a delete the deleted count stayed %s", after[1])
	}
	// Without asking, no extended properties.
	_, plain := e.post(soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
	if strings.Contains(string(plain), "ExtendedProperty") {
		t.Fatalf("extended properties sent unasked:\n%s", plain)
	}
}

// An EWS restart drops subscriptions and cuts streams, but keeps the event
// history: a new subscription from an old watermark replays what happened.
func TestRestartKeepsHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	id, wm := e.subscribePull("", 10, "")
	stream := e.subscribeStreaming("")
	rs := e.openStream(30, stream)
	e.next(rs) // OK
	if n := e.s.Faults().Restart(); n != 2 {
		t.Fatalf("Restart ended %d subscriptions, want 2", n)
	}
	// The stream is cut: no Closed, no terminating chunk.
	for {
		c, err := rs.chunk()
		if err != nil {
			if errors.Is(err, errStreamEnd) {
				t.Fatal("the stream ended in order after a restart; a dead process sends no terminating chunk")
			}
			break
		}
		if strings.Contains(string(c), "Closed") {
			t.Fatalf("a restarted server said Closed:\n%s", c)
		}
	}
	e.mustCode(e.getEvents(id, wm), "ErrorSubscriptionNotFound")
	e.act("new-mail", "inbox")
	rid, rwm := e.subscribePull("", 10, wm)
	if rwm != wm {
		t.Fatalf("resubscribe from a watermark answered watermark %s, want %s", rwm, wm)
	}
	if got := eventTypes(e.getEvents(rid, rwm)); len(got) != 3 {
		t.Fatalf("after restart, events since the watermark: %v, want the new mail's 3", got)
	}
}

func TestLoseHistoryInvalidatesWatermarks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	_, wm := e.subscribePull("", 10, "")
	e.s.Faults().LoseHistory()
	_, doc := e.post(soap(`<m:Subscribe><m:PullSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `<t:Watermark>` + wm + `</t:Watermark><t:Timeout>10</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "ErrorInvalidWatermark")
	id, fresh := e.subscribePull("", 10, "")
	e.mustCode(e.getEvents(id, wm), "ErrorInvalidWatermark")
	e.mustCode(e.getEvents(id, fresh), "NoError")
}

// Watermarks belong to one event history: another simulator's (a restarted
// standalone one) is refused instead of replaying unrelated events.
func TestWatermarkOfAnotherRun(t *testing.T) {
	t.Parallel()
	a, b := newEnv(t, Config{Seed: 7}), newEnv(t, Config{Seed: 7})
	_, wm := a.subscribePull("", 10, "")
	a.act("new-mail", "inbox")
	id, _ := b.subscribePull("", 10, "")
	b.mustCode(b.getEvents(id, wm), "ErrorInvalidWatermark")
}

// Streaming marks events delivered only once their envelope is written: a
// connection that fails before the write leaves them for the next one.
func TestStreamingDeliversOnlyWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	id := e.subscribeStreaming("")
	rs := e.openStream(30, id)
	e.next(rs)
	e.s.Faults().CutNextStream() // the next envelope is cut halfway
	e.act("new-mail", "inbox")
	for {
		if _, err := rs.chunk(); err != nil {
			break
		}
	}
	rs2 := e.openStream(30, id)
	e.next(rs2) // OK
	if got := eventTypes(e.next(rs2)); len(got) != 3 {
		t.Fatalf("after a cut envelope the next connection delivered %v, want the new mail's 3 events", got)
	}
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", body, data)
	}
	return resp.StatusCode, m
}

func TestFaultAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Clock: ews.RealClock{}})
	url := strings.TrimSuffix(e.s.URL(), "/EWS/Exchange.asmx") + "/sim/faults"
	for _, body := range []string{
		`{"fault":"expire"}`, `{"fault":"restart"}`, `{"fault":"lose-history"}`,
		`{"fault":"server-busy","count":2,"back_off_ms":50}`, `{"fault":"cut-stream"}`,
		`{"fault":"corrupt-next"}`, `{"fault":"delay","ms":0}`,
	} {
		code, m := postJSON(t, url, body)
		if code != 200 || m["ok"] != true {
			t.Errorf("%s: %d %v, want 200 {\"ok\":true}", body, code, m)
		}
	}
	// server-busy is pending for 2 EWS requests; corrupt-next for 1.
	_, state := getJSON(t, url)
	if state["server_busy_pending"] != 2.0 || state["corrupt_next_pending"] != 1.0 {
		t.Errorf("GET /sim/faults = %v", state)
	}
	getFolder := soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`)
	if _, doc := e.do(false, getFolder); !strings.Contains(string(doc), "garbage") {
		t.Errorf("after corrupt-next the answer is intact: %s", doc)
	}
	_, doc := e.do(false, getFolder)
	if field(doc, "ResponseCode") != "ErrorServerBusy" || !strings.Contains(string(doc), `Name="BackOffMilliseconds">50<`) {
		t.Errorf("after server-busy: %s", doc)
	}
	for _, bad := range []string{`{"fault":"melt"}`, `{}`, `{"fault":"delay"}`, `{"fault":"delay","ms":-1}`, `{"fault":"server-busy","count":0}`, `{"fault":"restart","extra":1}`, `not json`} {
		code, m := postJSON(t, url, bad)
		msg, _ := m["error"].(string)
		if code < 400 || code >= 500 || msg == "" || strings.Contains(msg, "\n") {
			t.Errorf("%s: %d %v, want a 4xx and a one-line error", bad, code, m)
		}
	}
	// delay stays on until ms 0, and does not slow the control API.
	if code, _ := postJSON(t, url, `{"fault":"delay","ms":600000}`); code != 200 {
		t.Fatal("delay refused")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		code, _ := postJSON(t, strings.TrimSuffix(url, "faults")+"actions", `{"action":"new-mail"}`)
		if code != 200 {
			t.Errorf("action during delay: %d", code)
		}
		postJSON(t, url, `{"fault":"delay","ms":0}`)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // bounds a hang only
		t.Fatal("the control API waited behind the EWS delay")
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}
