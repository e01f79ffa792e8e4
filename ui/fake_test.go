package ui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
)

// fakeBackend hands out one channel per Watch; on ctx cancel it sends a
// final StateUnsubscribed update and closes the channel, like the runner.
type fakeBackend struct {
	mu       sync.Mutex
	watches  []*fakeWatch
	items    map[string]ews.Item
	itemErr  error
	getItems [][]ews.ItemId
	syncs    []string
	version  ews.ServerVersionInfo
}

type fakeWatch struct {
	cfg  ews.WatchConfig
	ch   chan ews.Update
	done chan struct{} // closed once ch is closed
}

func (f *fakeBackend) Watch(ctx context.Context, cfg ews.WatchConfig) <-chan ews.Update {
	w := &fakeWatch{cfg: cfg, ch: make(chan ews.Update, 256), done: make(chan struct{})}
	f.mu.Lock()
	f.watches = append(f.watches, w)
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		w.ch <- ews.Update{Mode: cfg.Mode, State: ews.StateUnsubscribed}
		close(w.ch)
		close(w.done)
	}()
	return w.ch
}

func (f *fakeBackend) SyncFolderHierarchy(ctx context.Context, syncState string) (*ews.SyncFolderHierarchyResult, error) {
	f.mu.Lock()
	f.syncs = append(f.syncs, syncState)
	f.mu.Unlock()
	if syncState == "" {
		return fixtureTree(), nil
	}
	return &ews.SyncFolderHierarchyResult{SyncState: syncState + "+", IncludesLastFolderInRange: true}, nil
}

func (f *fakeBackend) GetFolder(ctx context.Context, refs ...ews.FolderRef) ([]ews.Folder, error) {
	return nil, nil
}

func (f *fakeBackend) GetItem(ctx context.Context, ids ...ews.ItemId) ([]ews.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getItems = append(f.getItems, ids)
	if f.itemErr != nil {
		return nil, f.itemErr
	}
	// Like the real client: the items found, and an error for the rest.
	var out []ews.Item
	var errs []error
	for _, id := range ids {
		it, ok := f.items[id.Id]
		if !ok {
			errs = append(errs, &ews.ResponseError{Code: "ErrorItemNotFound", Message: "The specified object was not found in the store."})
			continue
		}
		out = append(out, it)
	}
	return out, errors.Join(errs...)
}

func (f *fakeBackend) GetFolderEach(ctx context.Context, refs ...ews.FolderRef) ([]ews.Folder, []error, error) {
	errs := make([]error, len(refs))
	for i := range refs {
		errs[i] = &ews.ResponseError{Code: "ErrorFolderNotFound", Message: "The specified folder could not be found in the store."}
	}
	return make([]ews.Folder, len(refs)), errs, nil
}

func (f *fakeBackend) FindFolder(ctx context.Context, parent ews.FolderRef) ([]ews.Folder, error) {
	return nil, nil
}

func (f *fakeBackend) VersionNotice() string { return "" }

func (f *fakeBackend) ServerVersion() ews.ServerVersionInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version
}

func (f *fakeBackend) watch(i int) *fakeWatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.watches[i]
}

func (f *fakeBackend) numWatches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.watches)
}

// fakeSim records demo actions.
type fakeSim struct {
	mu      sync.Mutex
	actions []string
	rate    float64
}

func (s *fakeSim) Act(ctx context.Context, action string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions = append(s.actions, action)
	return nil
}
func (s *fakeSim) SetActivity(r float64) { s.mu.Lock(); s.rate = r; s.mu.Unlock() }
func (s *fakeSim) Activity() float64     { s.mu.Lock(); defer s.mu.Unlock(); return s.rate }
func (s *fakeSim) Profile() string       { return "exchange2019" }

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const (
	idRoot     = "AAMkRoot0000"
	idInbox    = "AAMkInbox0001"
	idDrafts   = "AAMkDrafts002"
	idSent     = "AAMkSent00003"
	idDeleted  = "AAMkDeleted04"
	idArchive  = "AAMkArchive05"
	idProjects = "AAMkProjects6"
	idCalendar = "AAMkCalendar7"
)

func folder(id, parent, name string, unread, total int) ews.FolderChange {
	return ews.FolderChange{Kind: ews.ChangeCreate, Folder: ews.Folder{
		FolderId: ews.FolderId{Id: id}, ParentFolderId: ews.FolderId{Id: parent}, DisplayName: name,
		FolderClass: "IPF.Note", UnreadCount: unread, TotalCount: total,
	}}
}

func fixtureTree() *ews.SyncFolderHierarchyResult {
	return &ews.SyncFolderHierarchyResult{
		SyncState:                 "H4sI-1",
		IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{
			folder(idInbox, idRoot, "Inbox", 2, 40),
			folder(idDrafts, idRoot, "Drafts", 0, 1),
			folder(idSent, idRoot, "Sent Items", 0, 12),
			folder(idDeleted, idRoot, "Deleted Items", 0, 3),
			folder(idArchive, idRoot, "Archive", 0, 120),
			folder(idCalendar, idRoot, "Calendar", 0, 8),
		},
	}
}

const fixtureXML = `<?xml version="1.0" encoding="utf-8"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><m:GetStreamingEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification><t:SubscriptionId>SUBabc123def456</t:SubscriptionId><t:NewMailEvent><t:TimeStamp>2026-11-23T09:00:10Z</t:TimeStamp><t:ItemId Id="AAMkItem0001" ChangeKey="CQAAAA=="/><t:ParentFolderId Id="AAMkInbox0001"/></t:NewMailEvent></m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse></Body></Envelope>`

func intp(i int) *int { return &i }

func itemEv(t ews.EventType, at time.Time, item, parent string) ews.Event {
	return ews.Event{Type: t, TimeStamp: at, ItemId: ews.ItemId{Id: item}, ParentFolderId: ews.FolderId{Id: parent},
		SubscriptionId: "SUBabc123def456", RawXML: []byte(fixtureXML)}
}

func folderMod(at time.Time, id, parent string, unread int) ews.Event {
	return ews.Event{Type: ews.ModifiedEvent, TimeStamp: at, FolderId: ews.FolderId{Id: id},
		ParentFolderId: ews.FolderId{Id: parent}, UnreadCount: intp(unread), SubscriptionId: "SUBabc123def456"}
}

// newMail is the cascade of one arriving message.
func newMail(at time.Time, item string, unread int) []ews.Event {
	return []ews.Event{
		itemEv(ews.CreatedEvent, at, item, idInbox),
		itemEv(ews.NewMailEvent, at, item, idInbox),
		folderMod(at, idInbox, idRoot, unread),
	}
}

// moveMail is a message moved from the Inbox to the Archive.
func moveMail(at time.Time, oldItem, item string) []ews.Event {
	mv := itemEv(ews.MovedEvent, at, item, idArchive)
	mv.OldItemId = ews.ItemId{Id: oldItem}
	mv.OldParentFolderId = ews.FolderId{Id: idInbox}
	return []ews.Event{mv, folderMod(at, idInbox, idRoot, 1), folderMod(at, idArchive, idRoot, 0)}
}

func fixtureItems() map[string]ews.Item {
	items := map[string]ews.Item{}
	subjects := []string{"Quarterly report", "Lunch on Friday?", "Build 4711 failed", "Re: Offsite agenda", "Invoice 2026-118"}
	for i, s := range subjects {
		id := itemID(i + 1)
		items[id] = ews.Item{ItemId: ews.ItemId{Id: id}, ItemClass: "IPM.Note", Subject: s,
			From:             ews.Mailbox{Name: "Bob Builder", EmailAddress: "bob@example.com"},
			DateTimeReceived: t0.Add(time.Duration(i*10) * time.Second)}
	}
	return items
}

func itemID(i int) string {
	return "AAMkItem" + string(rune('0'+i/1000%10)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

// harness drives the root model by hand: it delivers the answers the
// model's commands would produce, in a fixed order, so screens are exact.
type harness struct {
	t     *testing.T
	m     *Model
	be    *fakeBackend
	sim   *fakeSim
	clock *ews.FakeClock
}

func newHarness(t *testing.T, w, h int, withSim bool, with ...func(*Options)) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	be := &fakeBackend{items: fixtureItems(), version: ews.ServerVersionInfo{MajorVersion: 15, MinorVersion: 2, MajorBuildNumber: 1544, MinorBuildNumber: 4, Version: "V2017_07_11"}}
	clock := ews.NewFakeClock(t0)
	opts := Options{
		Backend: be, URL: "https://mail.example.com/EWS/Exchange.asmx", User: "alice@example.com",
		ThemeName: "none", Clock: clock, Location: time.UTC, ExportDir: t.TempDir(),
	}
	var sim *fakeSim
	if withSim {
		sim = &fakeSim{}
		opts.Sim = sim
	}
	for _, f := range with {
		f(&opts)
	}
	m := newModel(ctx, opts)
	h2 := &harness{t: t, m: m, be: be, sim: sim, clock: clock}
	m.Init() // subscribes and starts the sync; their results are delivered by hand
	h2.send(tea.WindowSizeMsg{Width: w, Height: h})
	return h2
}

func (h *harness) send(msg tea.Msg) tea.Cmd {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	return cmd
}

func (h *harness) key(s string) tea.Cmd {
	h.t.Helper()
	return h.send(keyMsg(s))
}

func keyMsg(s string) tea.KeyPressMsg {
	switch s {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// synced delivers the folder tree.
func (h *harness) synced() {
	h.t.Helper()
	h.send(syncMsg{full: true, res: fixtureTree()})
}

// updates delivers runner updates on the current subscription.
func (h *harness) updates(us ...ews.Update) {
	h.t.Helper()
	h.send(updatesMsg{gen: h.m.gen, ch: h.m.ch, updates: us})
}

func (h *harness) open(at time.Time) ews.Update {
	return ews.Update{At: at, Mode: ews.ModeStreaming, State: ews.StateOpen, SubscriptionId: "SUBabc123def456",
		Deadlines: ews.Deadlines{ConnectionEnds: t0.Add(30 * time.Minute), LastHeartbeat: at}}
}

func (h *harness) events(at time.Time, evs ...ews.Event) ews.Update {
	u := h.open(at)
	u.Events = evs
	return u
}

// items answers the GetItem calls for the subjects on screen.
func (h *harness) items() {
	h.t.Helper()
	var ids []ews.ItemId
	for _, r := range h.m.events.VisibleRows() {
		if r.Entry != nil && !r.Entry.Event.ItemId.IsZero() {
			ids = append(ids, r.Entry.Event.ItemId)
		}
		for _, e := range r.Cascade.Entries {
			if !e.Event.ItemId.IsZero() {
				ids = append(ids, e.Event.ItemId)
			}
		}
	}
	var items []ews.Item
	for _, id := range ids {
		if it, ok := h.be.items[id.Id]; ok {
			items = append(items, it)
		}
	}
	h.send(itemsMsg{ids: ids, items: items})
}

// flowing is a session with several cascades delivered.
func (h *harness) flowing() {
	h.t.Helper()
	h.synced()
	h.updates(h.open(t0.Add(time.Second)))
	at := t0.Add(10 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(1), 3)...))
	at = t0.Add(20 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(2), 4)...))
	at = t0.Add(30 * time.Second)
	h.updates(h.events(at, moveMail(at, itemID(1), itemID(3))...))
	at = t0.Add(40 * time.Second)
	created := ews.Event{Type: ews.CreatedEvent, TimeStamp: at, FolderId: ews.FolderId{Id: idProjects}, ParentFolderId: ews.FolderId{Id: idInbox}}
	h.updates(h.events(at, created, folderMod(at, idInbox, idRoot, 1)))
	at = t0.Add(50 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(4), 2)...))
	h.clock.Advance(55 * time.Second)
	h.send(tickMsg{at: h.clock.Now()}) // the folder events have stopped: the debounced sync starts
	h.send(syncMsg{res: &ews.SyncFolderHierarchyResult{SyncState: "H4sI-2", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{folder(idProjects, idInbox, "Projects", 0, 0)}}})
	h.items()
}
