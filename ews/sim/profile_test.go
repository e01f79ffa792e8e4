package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// soapAt is soap() at another RequestServerVersion.
func soapAt(version, op string) string {
	return strings.Replace(soap(op), `Version="Exchange2013"`, `Version="`+version+`"`, 1)
}

// Each profile answers with its own ServerVersionInfo; a profile refuses a
// RequestServerVersion newer than it knows with ErrorInvalidServerVersion.
func TestProfileVersionInfoAndRefusal(t *testing.T) {
	t.Parallel()
	for _, p := range Profiles {
		e := newEnv(t, Config{Server: p.Name})
		_, doc := e.post(soapAt(p.Accepts[len(p.Accepts)-1], `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
		e.mustCode(doc, "NoError")
		if !strings.Contains(string(doc), `Version="`+p.Version+`"`) || !strings.Contains(string(doc), `MajorVersion="`) {
			t.Errorf("%s: ServerVersionInfo not the profile's:\n%s", p.Name, doc)
		}
		if p.Name == "exchange2010" {
			resp, doc := e.do(false, soap(`<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`))
			if resp.StatusCode != 500 || !strings.Contains(string(doc), "ErrorInvalidServerVersion") {
				t.Errorf("exchange2010 accepted Exchange2013: %d\n%s", resp.StatusCode, doc)
			}
		}
	}
	if _, err := New(Config{Server: "exchange2003"}); err == nil || !strings.Contains(err.Error(), "exchange2019") {
		t.Errorf("unknown profile: %v", err)
	}
}

// The client falls back once, visibly, to the newest version the server
// accepts, and everything then works.
func TestClientFallsBackToTheServersVersion(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := Start(ctx, Config{Server: "exchange2010"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: ews.AuthNone, HTTPTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The dashboard's first requests go out together: every one of them
	// succeeds, though only one finds out the version.
	errs := make(chan error, 6)
	for i := 0; i < cap(errs); i++ {
		go func() {
			_, err := c.GetFolder(ctx, ews.Distinguished("inbox"))
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Fatalf("GetFolder after fallback: %v", err)
		}
	}
	if v := c.RequestServerVersion(); v != "Exchange2010_SP2" {
		t.Errorf("fell back to %q, want Exchange2010_SP2", v)
	}
	if n := c.VersionNotice(); !strings.Contains(n, "refused RequestServerVersion Exchange2013") || !strings.Contains(n, "Exchange2010_SP2") {
		t.Errorf("notice %q", n)
	}
	res, err := c.Subscribe(ctx, ews.SubscribeRequest{Mode: ews.ModePull, Timeout: 5})
	if err != nil {
		t.Fatalf("Subscribe after fallback: %v", err)
	}
	if _, err := c.GetEvents(ctx, res.SubscriptionId, res.Watermark); err != nil {
		t.Fatal(err)
	}
	// One refused request, then the rest at the new version.
	if got := c.ServerVersion(); got.MajorVersion != 14 {
		t.Errorf("server version %+v", got)
	}
}

// Folder ModifiedEvents carry UnreadCount for subscriptions made at
// Exchange2010_SP1 and later, not for ones made at Exchange2010, over pull
// and streaming.
func TestUnreadCountFollowsTheSubscriptionVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	sub := func(version string, streaming bool) string {
		req := `<m:PullSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `<t:Timeout>5</t:Timeout></m:PullSubscriptionRequest>`
		if streaming {
			req = `<m:StreamingSubscriptionRequest SubscribeToAllFolders="true">` + allTypes + `</m:StreamingSubscriptionRequest>`
		}
		_, doc := e.post(soapAt(version, `<m:Subscribe>`+req+`</m:Subscribe>`))
		e.mustCode(doc, "NoError")
		if streaming {
			return field(doc, "SubscriptionId")
		}
		return field(doc, "SubscriptionId") + " " + field(doc, "Watermark")
	}
	old, sp1 := strings.Fields(sub("Exchange2010", false)), strings.Fields(sub("Exchange2010_SP1", false))
	oldS, sp1S := sub("Exchange2010", true), sub("Exchange2010_SP1", true)
	rs := e.openStream(1, oldS, sp1S)
	e.next(rs) // OK
	e.act("new-mail", "inbox")
	for _, c := range []struct {
		ids  []string
		want bool
	}{{old, false}, {sp1, true}} {
		doc := e.getEvents(c.ids[0], c.ids[1])
		if got := strings.Contains(string(doc), "UnreadCount"); got != c.want {
			t.Errorf("pull at %v: UnreadCount %v, want %v:\n%s", c.ids, got, c.want, doc)
		}
	}
	seen := map[string]string{}
	for len(seen) < 2 {
		doc := string(e.next(rs))
		for _, n := range strings.Split(doc, "Notification>")[1:] {
			for _, id := range []string{oldS, sp1S} {
				if strings.Contains(n, id) {
					seen[id] += n
				}
			}
		}
	}
	if strings.Contains(seen[oldS], "UnreadCount") || !strings.Contains(seen[sp1S], "UnreadCount") {
		t.Errorf("streaming: Exchange2010 %q\nExchange2010_SP1 %q", seen[oldS], seen[sp1S])
	}
}

// Push notifications repeat the subscription's RequestServerVersion.
func TestPushRepeatsTheSubscriptionVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	pl := newPushListener(t, "OK")
	_, doc := e.post(soapAt("Exchange2010_SP1", `<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"/></t:FolderIds>`+allTypes+`<t:StatusFrequency>1</t:StatusFrequency><t:URL>`+pl.url+`</t:URL></m:PushSubscriptionRequest></m:Subscribe>`))
	e.mustCode(doc, "NoError")
	e.act("new-mail", "inbox")
	n := pl.wait(t)
	if !strings.Contains(string(n), `RequestServerVersion xmlns:t="`+ews.NSTypes+`" Version="Exchange2010_SP1"`) {
		t.Errorf("push notification does not repeat the version:\n%s", n)
	}
}
