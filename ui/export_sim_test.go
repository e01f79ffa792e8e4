package ui

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// The export against the real client and the simulator: the new mail's
// events carry one cascade, the label the list shows, the folder names and
// the subject GetItem told the dashboard.
func TestExportAgainstSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, m, d := openOnSimulator(ctx, t)
	res, err := srv.Act(ctx, sim.ActionRequest{Action: "new-mail", Folder: "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	item := res.Events[0].ItemId.Id
	d.until("the new mail and its subject", func() bool {
		it, ok := m.st.Item(item)
		return ok && it.Subject != "" && m.st.Len() == len(res.Events)
	})
	d.send(keyMsg("x"))
	var path string
	d.until("the export", func() bool { path = m.status.lastExport; return path != "" })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != len(res.Events) {
		t.Fatalf("%d lines for %d events:\n%s", len(lines), len(res.Events), data)
	}
	it, _ := m.st.Item(item)
	for i, l := range lines {
		var r ews.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Type != string(res.Events[i].Type) || r.Cascade != 1 || r.CascadeLabel != "New mail in Inbox" {
			t.Errorf("line %d: %s cascade %d %q", i, r.Type, r.Cascade, r.CascadeLabel)
		}
		if r.ItemId != "" && (r.Subject != it.Subject || r.ParentFolderName != "Inbox") {
			t.Errorf("line %d: subject %q in %q, want %q in Inbox", i, r.Subject, r.ParentFolderName, it.Subject)
		}
		if r.FolderId != "" && r.FolderName != "Inbox" {
			t.Errorf("line %d: folder_name %q", i, r.FolderName)
		}
	}
}
