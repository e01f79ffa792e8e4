package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// restartableSim is `ewsmon sim` at a fixed loopback URL that can be
// restarted: a new process is a new *sim.Server (no seed, so new folder ids
// and a new run).
type restartableSim struct{ cur atomic.Pointer[sim.Server] }

func (r *restartableSim) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.cur.Load().ServeHTTP(w, req)
}

func (r *restartableSim) start(t *testing.T) *sim.Server {
	t.Helper()
	s, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if old := r.cur.Swap(s); old != nil {
		old.Close()
	}
	return s
}

// treeOnly is the real client without the subscription, so that the only
// requests are the folder tree's own (and a fault hits them).
type treeOnly struct {
	*ews.Client
	getFolders atomic.Int32 // GetFolder calls answered
}

func (b *treeOnly) Watch(ctx context.Context, cfg ews.WatchConfig) <-chan ews.Update {
	ch := make(chan ews.Update)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

func (b *treeOnly) GetFolder(ctx context.Context, refs ...ews.FolderRef) ([]ews.Folder, error) {
	defer b.getFolders.Add(1)
	return b.Client.GetFolder(ctx, refs...)
}

// After a restart of the standalone simulator its SyncState is refused
// (ErrorInvalidSyncStateData): the dashboard drops it, syncs in full and
// shows the new server's tree, without the old server's folders; an error
// of r's full sync names SyncFolderHierarchy once.
func TestFolderTreeRecoversFromARestartedSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rs := &restartableSim{}
	old := rs.start(t)
	ts := httptest.NewServer(rs) // 127.0.0.1
	defer ts.Close()
	// Hierarchy changes before the dashboard's first sync: its SyncState is
	// then one that a new process (fewer changes) does not have.
	var created []string
	for range 3 {
		res, err := old.Act(ctx, sim.ActionRequest{Action: "create-folder"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Events {
			if e.Type == ews.CreatedEvent {
				created = append(created, e.FolderId.Id)
			}
		}
	}
	url := ts.URL + "/EWS/Exchange.asmx"
	client, err := ews.NewClient(ews.Config{URL: url, Auth: ews.AuthNone, User: "alice@example.com", HTTPTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	be := &treeOnly{Client: client}
	m := newModel(ctx, Options{Backend: be, URL: url, User: "alice@example.com", ThemeName: "none", Location: time.UTC})
	d := newDriver(t, m)
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.until("the first tree with the created folders", func() bool {
		_, ok := m.st.Tree().Folder(created[2])
		return !m.sync.running && ok
	})

	fresh := rs.start(t)
	want, err := client.SyncFolderHierarchy(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// The sync the dashboard runs after folder events (the debounced tick).
	d.run(m.startSync(false))
	d.until("the refusal", func() bool { return strings.Contains(m.flash.text, "refused the folder SyncState") })
	d.until("the full sync", func() bool { return !m.sync.running && strings.HasPrefix(m.flash.text, "folders synced") })
	if m.flash.kind == flashError {
		t.Fatalf("flash %q is an error", m.flash.text)
	}
	if m.st.Tree().Len() != len(want.Changes) {
		t.Errorf("the tree holds %d folders, the restarted server %d", m.st.Tree().Len(), len(want.Changes))
	}
	for _, ch := range want.Changes {
		if _, ok := m.st.Tree().Folder(ch.Folder.FolderId.Id); !ok {
			t.Errorf("folder %q of the restarted server is not in the tree", ch.Folder.DisplayName)
		}
	}
	for _, id := range created {
		if _, ok := m.st.Tree().Folder(id); ok {
			t.Errorf("folder %s of the old server is still in the tree", id)
		}
	}
	tree := ansi.Strip(m.folders.View())
	if !strings.Contains(tree, "Inbox") || m.sync.err != "" {
		t.Fatalf("folder pane after the recovery:\n%s", tree)
	}

	// The counts of the new folders are fetched; then r's sync meets an
	// EWS error, and the flash names the operation once.
	d.until("GetFolder of the new tree", func() bool { return be.getFolders.Load() >= 2 })
	fresh.Faults().ServerBusy(1, 0)
	d.send(keyMsg("r"))
	d.until("the sync error", func() bool { return !m.sync.running && m.flash.kind == flashError })
	if !strings.HasPrefix(m.flash.text, "SyncFolderHierarchy: ErrorServerBusy") || strings.Count(m.flash.text, "SyncFolderHierarchy") != 1 {
		t.Fatalf("flash %q, want one SyncFolderHierarchy prefix", m.flash.text)
	}
	// The tree stays; the next r syncs again.
	if m.st.Tree().Len() != len(want.Changes) {
		t.Fatalf("a failed sync changed the tree to %d folders", m.st.Tree().Len())
	}
	d.send(keyMsg("r"))
	d.until("r's full sync", func() bool { return !m.sync.running && strings.HasPrefix(m.flash.text, "folders synced") })
}
