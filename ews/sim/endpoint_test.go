package sim

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Microsoft's published requests, as real clients write them, get proper
// answers.
func TestPublishedRequestSamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Mailboxes: []string{"alice@example.com", "alfred@contoso.com"}})

	_, doc := e.post(readSample(t, "subscribe-pull-request.xml"))
	e.mustCode(doc, "NoError")
	pullID, wm := field(doc, "SubscriptionId"), field(doc, "Watermark")
	if pullID == "" || wm == "" {
		t.Fatalf("pull Subscribe answer without SubscriptionId/Watermark:\n%s", doc)
	}

	_, doc = e.post(readSample(t, "subscribe-streaming-request.xml"))
	e.mustCode(doc, "NoError")
	streamID := field(doc, "SubscriptionId")

	// The push sample has an unqualified Subscribe element; Exchange takes it.
	ln := newPushListener(t, "OK")
	_, doc = e.post(strings.Replace(readSample(t, "subscribe-push-request.xml"), "http://clientWebService/Service.asmx", ln.url, 1))
	e.mustCode(doc, "NoError")

	e.act("new-mail", "inbox")
	ge := strings.NewReplacer("d581ab79-a2ec-4653-9c8e-564d7cfc1d8c", pullID, "AAAAAGUhAAAAAAAAAQ==", wm).Replace(readSample(t, "getevents-request.xml"))
	_, doc = e.post(ge)
	e.mustCode(doc, "NoError")
	if got := strings.Join(eventTypes(doc), ","); got != "CreatedEvent,NewMailEvent,ModifiedEvent" {
		t.Errorf("GetEvents after new mail = %s", got)
	}

	gse := strings.Replace(readSample(t, "getstreamingevents-request.xml"), "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag=", streamID, 1)
	_ = gse // opened raw below to see the chunks
	rs := e.openStream(30, streamID)
	if rs.code != 200 {
		t.Fatalf("GetStreamingEvents status %d", rs.code)
	}
	if first := e.next(rs); field(first, "ConnectionStatus") != "OK" {
		t.Fatalf("first streaming envelope is not ConnectionStatus OK:\n%s", first)
	}

	_, doc = e.post(readSample(t, "syncfolderhierarchy-initial-request.xml"))
	e.mustCode(doc, "NoError")
	names := fields(doc, "DisplayName")
	for _, want := range []string{"Top of Information Store", "Inbox", "Drafts", "Sent Items", "Deleted Items", "Outbox", "Junk Email", "Calendar", "Contacts", "Tasks", "Notes", "Projects"} {
		if !slices.Contains(names, want) {
			t.Errorf("initial SyncFolderHierarchy lacks %q (got %v)", want, names)
		}
	}

	// The affinity sample: X-AnchorMailbox, impersonation, and the
	// X-BackEndOverrideCookie on the Subscribe answer.
	raw := readSample(t, "subscribe-affinity-anchor-request.http")
	body := raw[strings.Index(raw, "<?xml"):]
	resp, doc := e.post(body, "X-AnchorMailbox", "alfred@contoso.com", "X-PreferServerAffinity", "true")
	e.mustCode(doc, "NoError")
	found := false
	for _, c := range resp.Cookies() {
		found = found || (c.Name == "X-BackEndOverrideCookie" && c.Value != "")
	}
	if !found {
		t.Errorf("Subscribe answer sets no X-BackEndOverrideCookie: %v", resp.Header["Set-Cookie"])
	}
}

func TestBadRequestsGetEWSErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"not XML", "this is not xml <", 500, "ErrorSchemaValidation"},
		{"cut off", soap(`<m:GetFolder><m:FolderIds>`)[:150], 500, "ErrorSchemaValidation"},
		{"not SOAP", `<Envelope><Body/></Envelope>`, 500, "ErrorSchemaValidation"},
		{"empty body", soap(``), 500, "ErrorSchemaValidation"},
		{"unknown operation", soap(`<m:FrobnicateMailbox/>`), 500, "ErrorInvalidRequest"},
		{"GetEvents without watermark", soap(`<m:GetEvents><m:SubscriptionId>x</m:SubscriptionId></m:GetEvents>`), 500, "ErrorSchemaValidation"},
		{"pull timeout out of range", soap(`<m:Subscribe><m:PullSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `<t:Timeout>0</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`), 500, "ErrorSchemaValidation"},
		{"unknown event type", soap(`<m:Subscribe><m:StreamingSubscriptionRequest SubscribeToAllFolders="true"><t:EventTypes><t:EventType>StatusEvent</t:EventType></t:EventTypes></m:StreamingSubscriptionRequest></m:Subscribe>`), 500, "ErrorSchemaValidation"},
		{"ConvertId probe", soap(`<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsLegacyId" Id="x" Mailbox="alice@example.com"/></m:SourceIds></m:ConvertId>`), 200, "ErrorInvalidOperation"},
		{"ResolveNames probe", soap(`<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>alice</m:UnresolvedEntry></m:ResolveNames>`), 200, "ErrorNameResolutionNoResults"},
		{"GetServerTimeZones probe", soap(`<m:GetServerTimeZones ReturnFullTimeZoneData="false"/>`), 200, "ErrorInvalidOperation"},
		{"unknown folder", soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="archiveroot"/></m:FolderIds></m:GetFolder>`), 200, "ErrorFolderNotFound"},
		{"malformed folder id", soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id="%%%"/></m:FolderIds></m:GetFolder>`), 200, "ErrorInvalidIdMalformed"},
		{"other mailbox", soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>nobody@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>`), 200, "ErrorNonExistentMailbox"},
		{"bad sync state", soap(`<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:SyncState>bm9wZQ==</m:SyncState></m:SyncFolderHierarchy>`), 200, "ErrorInvalidSyncStateData"},
		{"push URL", soap(`<m:Subscribe><m:PushSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `<t:StatusFrequency>1</t:StatusFrequency><t:URL>not a url</t:URL></m:PushSubscriptionRequest></m:Subscribe>`), 200, "ErrorInvalidPushSubscriptionUrl"},
	}
	for _, c := range cases {
		resp, doc := e.post(c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: HTTP %d, want %d", c.name, resp.StatusCode, c.status)
		}
		if got := field(doc, "ResponseCode"); got != c.code {
			t.Errorf("%s: ResponseCode %q, want %q\n%s", c.name, got, c.code, doc)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.s.URL(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d, want 405", resp.StatusCode)
	}
}

func TestFoldersItemsAndChangeKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Mailboxes: []string{"alice@example.com", "bob@example.com"}})
	// DistinguishedFolderId with a Mailbox child, as clients send for
	// another mailbox.
	getInbox := func(mailbox string) []byte {
		_, doc := e.post(soap(`<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>` + mailbox + `</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>`))
		e.mustCode(doc, "NoError")
		return doc
	}
	a, b := getInbox("alice@example.com"), getInbox("bob@example.com")
	if field(a, "DisplayName") != "Inbox" || attrOf(a, "FolderId", "Id") == attrOf(b, "FolderId", "Id") {
		t.Fatalf("two mailboxes' inboxes are not distinct:\n%s\n%s", a, b)
	}
	unread := field(a, "UnreadCount")
	ck := attrOf(a, "FolderId", "ChangeKey")
	res := e.act("new-mail", "inbox")
	a2 := getInbox("alice@example.com")
	if field(a2, "UnreadCount") == unread {
		t.Errorf("UnreadCount did not change after new mail: %s", unread)
	}
	if attrOf(a2, "FolderId", "ChangeKey") == ck {
		t.Errorf("folder ChangeKey did not change after new mail")
	}
	itemID := res.Events[0].ItemId
	_, doc := e.post(soap(`<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="` + itemID.Id + `"/></m:ItemIds></m:GetItem>`))
	e.mustCode(doc, "NoError")
	if field(doc, "IsRead") != "false" || field(doc, "Subject") == "" || field(doc, "ItemClass") != "IPM.Note" {
		t.Errorf("GetItem of new mail:\n%s", doc)
	}
	if attrOf(doc, "ItemId", "ChangeKey") != itemID.ChangeKey {
		t.Errorf("GetItem change key %s, event said %s", attrOf(doc, "ItemId", "ChangeKey"), itemID.ChangeKey)
	}
	// Mark it read: the item's change key changes.
	e.s.mu.Lock()
	it := e.s.items[itemID.Id]
	e.s.mu.Unlock()
	for it.read == false {
		e.act("mark-read", "inbox")
	}
	_, doc = e.post(soap(`<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="` + itemID.Id + `"/></m:ItemIds></m:GetItem>`))
	if field(doc, "IsRead") != "true" || attrOf(doc, "ItemId", "ChangeKey") == itemID.ChangeKey {
		t.Errorf("after mark-read: IsRead %s, change key %s (was %s)", field(doc, "IsRead"), attrOf(doc, "ItemId", "ChangeKey"), itemID.ChangeKey)
	}

	_, doc = e.post(soap(`<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`))
	e.mustCode(doc, "NoError")
	if names := fields(doc, "DisplayName"); !slices.Contains(names, "Alpha") || !slices.Contains(names, "Calendar") || slices.Contains(names, "Top of Information Store") {
		t.Errorf("deep FindFolder under msgfolderroot = %v", names)
	}
	_, doc = e.post(soap(`<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:IndexedPageFolderView MaxEntriesReturned="2" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindFolder>`))
	if names := fields(doc, "DisplayName"); strings.Join(names, ",") != "Projects,Receipts" {
		t.Errorf("shallow FindFolder under inbox = %v", names)
	}
}

func attrOf(doc []byte, el, attr string) string {
	s := string(doc)
	i := strings.Index(s, ":"+el+" ")
	if i < 0 {
		return ""
	}
	tag := s[i:]
	tag = tag[:strings.IndexByte(tag, '>')]
	j := strings.Index(tag, attr+`="`)
	if j < 0 {
		return ""
	}
	v := tag[j+len(attr)+2:]
	return v[:strings.IndexByte(v, '"')]
}

func TestSyncFolderHierarchyReportsChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	sync := func(state string) []byte {
		st := ""
		if state != "" {
			st = `<m:SyncState>` + state + `</m:SyncState>`
		}
		_, doc := e.post(soap(`<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>` + st + `</m:SyncFolderHierarchy>`))
		e.mustCode(doc, "NoError")
		return doc
	}
	first := sync("")
	state := field(first, "SyncState")
	if again := sync(state); strings.Contains(string(again), "<t:Create>") || strings.Contains(string(again), "<t:Update>") {
		t.Fatalf("sync with no changes reports changes:\n%s", again)
	}
	e.act("new-mail", "inbox") // count-only change: not reported
	created := e.act("create-folder", "inbox").Events[0].FolderId.Id
	doc := sync(state)
	if n := strings.Count(string(doc), "<t:Create>"); n != 1 || !strings.Contains(string(doc), created) || strings.Contains(string(doc), "<t:Update>") {
		t.Fatalf("after create-folder want exactly one Create of %s:\n%s", created, doc)
	}
	state = field(doc, "SyncState")
	e.act("rename-folder", created)
	doc = sync(state)
	if !strings.Contains(string(doc), "<t:Update>") || strings.Contains(string(doc), "<t:Create>") {
		t.Fatalf("after rename want one Update:\n%s", doc)
	}
	state = field(doc, "SyncState")
	e.act("delete-folder", "Projects") // with subfolders Alpha and Beta
	doc = sync(state)
	if n := strings.Count(string(doc), "<t:Delete>"); n != 3 {
		t.Fatalf("deleting Projects with two subfolders: %d Deletes, want 3:\n%s", n, doc)
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	base := strings.TrimSuffix(e.s.URL(), "/EWS/Exchange.asmx")
	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(base+"/sim/actions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	// A soft delete on the default profile (Exchange 2019) differs by scope:
	// the answer has both views.
	code, out := post(`{"action":"soft-delete","folder":"inbox"}`)
	if fe, ok := out["folder_events"].([]any); code != 200 || !ok || len(fe) != 3 || fe[0].(map[string]any)["type"] != "MovedEvent" ||
		len(out["events"].([]any)) != 4 {
		t.Fatalf("soft-delete: %d %v", code, out)
	}
	code, out = post(`{"action":"new-mail","mailbox":"alice@example.com","folder":"inbox"}`)
	if code != 200 || out["folder_events"] != nil {
		t.Fatalf("new-mail: %d %v", code, out)
	}
	evs := out["events"].([]any)
	var types []string
	for _, ev := range evs {
		m := ev.(map[string]any)
		types = append(types, m["type"].(string))
		if m["watermark"] == "" || m["parent_folder_id"] == "" {
			t.Errorf("event record lacks watermark or parent folder: %v", m)
		}
	}
	if strings.Join(types, ",") != "CreatedEvent,NewMailEvent,ModifiedEvent" {
		t.Errorf("new-mail events = %v", types)
	}
	// Bodies that are not one action: each a sentence, and nothing done.
	before := e.s.Stats().Events
	for _, tc := range []struct{ body, want string }{
		{`{"action":"new-mail"} {"action":"move-item"}`, "bad JSON body: more than one JSON value (send one action per request)"},
		{`{"action":"new-mail"} trailing`, "bad JSON body: more than one JSON value (send one action per request)"},
		{``, `empty body: send JSON like {"action":"new-mail"}`},
		{`{"action":"` + strings.Repeat("a", 100<<10) + `"}`, `the body is larger than 65536 bytes; send {"action":"new-mail"}`},
	} {
		if _, out := post(tc.body); out["error"] != tc.want {
			t.Errorf("%.40q: %v, want error %q", tc.body, out, tc.want)
		}
	}
	if after := e.s.Stats().Events; after != before {
		t.Errorf("refused requests journaled %d events", after-before)
	}
	for _, bad := range []string{`{"action":"explode"}`, `{"action":"new-mail","mailbox":"x@y.z"}`, `{"action":"new-mail","folder":"Nowhere"}`, `not json`, `{"action":"rename-folder","folder":"inbox"}`} {
		if code, out := post(bad); code != 400 || out["error"] == "" {
			t.Errorf("%s: %d %v, want 400 with an error", bad, code, out)
		}
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Auth: AuthConfig{Mode: "basic", User: "alice", Password: "s3cret", Domain: "EXAMPLE"}})
	body := soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`)
	do := func(user, pass string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, e.s.URL(), strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct {
		user, pass string
		status     int
	}{{"", "", 401}, {"alice", "wrong", 401}, {"mallory", "s3cret", 401}, {"alice", "s3cret", 200}, {`EXAMPLE\alice`, "s3cret", 200}, {"alice@example.com", "s3cret", 200}} {
		resp := do(c.user, c.pass)
		if resp.StatusCode != c.status {
			t.Errorf("%q/%q: HTTP %d, want %d", c.user, c.pass, resp.StatusCode, c.status)
		}
		if c.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="`) {
			t.Errorf("401 without a Basic challenge: %v", resp.Header["Www-Authenticate"])
		}
	}

	n := newEnv(t, Config{Auth: AuthConfig{Mode: "ntlm", User: "alice", Password: "s3cret", Domain: "EXAMPLE"}})
	resp, err := http.Post(n.s.URL(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ch := strings.Join(resp.Header.Values("WWW-Authenticate"), ",")
	if resp.StatusCode != 401 || !strings.Contains(ch, "NTLM") || !strings.Contains(ch, "Negotiate") {
		t.Errorf("ntlm mode without credentials: HTTP %d, WWW-Authenticate %q", resp.StatusCode, ch)
	}

	if _, err := New(Config{Auth: AuthConfig{Mode: "kerberos"}}); err == nil {
		t.Error("unknown auth mode accepted")
	}
}

func TestLogOneLinePerRequest(t *testing.T) {
	t.Parallel()
	var mu lockedBuffer
	e := newEnv(t, Config{Log: &mu})
	e.post(soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
	e.post("garbage")
	lines := strings.Split(strings.TrimSpace(mu.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "GetFolder") || !strings.Contains(lines[1], " 500 ") {
		t.Errorf("log lines:\n%s", mu.String())
	}
	sc := bufio.NewScanner(strings.NewReader(mu.String()))
	for sc.Scan() {
		if !strings.Contains(sc.Text(), "/EWS/Exchange.asmx") {
			t.Errorf("log line lacks the path: %s", sc.Text())
		}
	}
	_ = time.Second
}

// Every folder and item shape the simulator renders validates (the
// validator runs xmllint on each answer).
func TestEveryFolderAndItemShapeValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	var ids strings.Builder
	for _, d := range []string{"root", "msgfolderroot", "inbox", "drafts", "sentitems", "deleteditems", "outbox", "junkemail", "calendar", "contacts", "tasks", "notes"} {
		ids.WriteString(`<t:DistinguishedFolderId Id="` + d + `"/>`)
	}
	_, doc := e.post(soap(`<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds>` + ids.String() + `</m:FolderIds></m:GetFolder>`))
	if n := strings.Count(string(doc), `ResponseClass="Success"`); n != 12 {
		t.Fatalf("GetFolder of 12 distinguished folders: %d successes\n%s", n, doc)
	}
	for _, el := range []string{"<t:CalendarFolder>", "<t:ContactsFolder>", "<t:TasksFolder>", "<t:Folder>"} {
		if !strings.Contains(string(doc), el) {
			t.Errorf("GetFolder answer has no %s", el)
		}
	}
	var items strings.Builder
	for _, a := range []string{"meeting-request", "new-mail", "send-mail"} {
		for _, ev := range e.act(a, "").Events {
			if !ev.ItemId.IsZero() {
				items.WriteString(`<t:ItemId Id="` + ev.ItemId.Id + `"/>`)
			}
		}
	}
	_, doc = e.post(soap(`<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds>` + items.String() + `</m:ItemIds></m:GetItem>`))
	for _, el := range []string{"<t:MeetingRequest>", "<t:CalendarItem>", "<t:Message>", "ErrorItemNotFound"} {
		if !strings.Contains(string(doc), el) {
			t.Errorf("GetItem answer has no %s", el) // the sent draft's old id is gone: ErrorItemNotFound
		}
	}
	_, doc = e.post(soap(`<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="root"/><t:DistinguishedFolderId Id="nosuchfolder"/></m:ParentFolderIds></m:FindFolder>`))
	if !strings.Contains(string(doc), "ErrorFolderNotFound") || !strings.Contains(string(doc), "Top of Information Store") {
		t.Errorf("FindFolder from root and an unknown folder:\n%s", doc)
	}
}

// Requests written with default namespaces instead of prefixes, and with
// odd prefixes, are the same request.
func TestUnprefixedAndOddlyPrefixedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	for _, body := range []string{
		`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><GetFolder xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><FolderShape><BaseShape xmlns="http://schemas.microsoft.com/exchange/services/2006/types">Default</BaseShape></FolderShape><FolderIds><DistinguishedFolderId xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Id="inbox"><Mailbox><EmailAddress>alice@example.com</EmailAddress></Mailbox></DistinguishedFolderId></FolderIds></GetFolder></Body></Envelope>`,
		`<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:ns2="http://schemas.microsoft.com/exchange/services/2006/types"><S:Header><ns2:RequestServerVersion Version="Exchange2016"/></S:Header><S:Body><ns1:GetFolder><ns1:FolderShape><ns2:BaseShape>IdOnly</ns2:BaseShape></ns1:FolderShape><ns1:FolderIds><ns2:DistinguishedFolderId Id="inbox"/></ns1:FolderIds></ns1:GetFolder></S:Body></S:Envelope>`,
	} {
		_, doc := e.post(body)
		e.mustCode(doc, "NoError")
		if field(doc, "DisplayName") != "Inbox" {
			t.Errorf("answer:\n%s", doc)
		}
	}
}
