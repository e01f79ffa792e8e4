package sim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// FuzzEndpoint feeds arbitrary bodies to the EWS endpoint: it must never
// panic, and must always answer with XML (a response or a SOAP fault).
func FuzzEndpoint(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(soap(`<m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>alice@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>`))
	f.Add(soap(`<m:FindFolder Traversal="Deep"><m:IndexedPageFolderView MaxEntriesReturned="3" Offset="2" BasePoint="End"/><m:ParentFolderIds><t:DistinguishedFolderId Id="root"/></m:ParentFolderIds></m:FindFolder>`))
	f.Add(soap(`<m:GetItem><m:ItemIds><t:ItemId Id="AAMk"/></m:ItemIds></m:GetItem>`))
	f.Add(soap(`<m:SyncFolderHierarchy><m:SyncFolderId><t:DistinguishedFolderId Id="msgfolderroot"/></m:SyncFolderId><m:SyncState>ZXdzbW9uLXNpbTowOjk5</m:SyncState></m:SyncFolderHierarchy>`))
	f.Add(soap(`<m:Unsubscribe><m:SubscriptionId>EAEAAAAAAAAAAAAAAQAAAAAAAAA=</m:SubscriptionId></m:Unsubscribe>`))
	f.Add("")
	f.Add("<")
	s, err := New(Config{Clock: ews.NewFakeClock(epoch), Mailboxes: []string{"alice@example.com", "alfred@contoso.com"}})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, body string) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/EWS/Exchange.asmx", strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 500 {
			t.Fatalf("HTTP %d for %q", rec.Code, body)
		}
		out := rec.Body.Bytes()
		if len(out) == 0 {
			t.Fatalf("empty answer for %q", body)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/xml") {
			t.Fatalf("answer is not XML: %s", rec.Header().Get("Content-Type"))
		}
	})
}
