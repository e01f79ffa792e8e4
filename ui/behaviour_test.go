package ui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/keymap"
)

// await runs cmd (and the commands of any batch it returns) concurrently
// and returns the first message that satisfies want. Commands that block
// (the tick on the fake clock, a watch with nothing to say) just stay
// blocked; the deadline only bites when the expected message never comes.
func await(t *testing.T, cmd tea.Cmd, want func(tea.Msg) bool) tea.Msg {
	t.Helper()
	out := make(chan tea.Msg, 64)
	var launch func(c tea.Cmd)
	launch = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, cc := range b {
					launch(cc)
				}
				return
			}
			out <- msg
		}()
	}
	launch(cmd)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case msg := <-out:
			if msg != nil && want(msg) {
				return msg
			}
		case <-deadline:
			t.Fatal("the expected message never came")
			return nil
		}
	}
}

func isType[T any](msg tea.Msg) bool { _, ok := msg.(T); return ok }

func TestBurstIsOneMessage(t *testing.T) {
	ch := make(chan ews.Update, 500)
	for i := 0; i < 300; i++ {
		ch <- ews.Update{State: ews.StateOpen, Events: []ews.Event{{Type: ews.NewMailEvent}}}
	}
	msg := waitUpdates(7, ch)().(updatesMsg)
	if msg.gen != 7 || len(msg.updates) != 300 || msg.closed {
		t.Fatalf("got gen %d, %d updates, closed %v; want one message of 300", msg.gen, len(msg.updates), msg.closed)
	}
	ch <- ews.Update{State: ews.StateUnsubscribed}
	close(ch)
	msg = waitUpdates(7, ch)().(updatesMsg)
	if len(msg.updates) != 1 || !msg.closed {
		t.Fatalf("final batch: %d updates, closed %v", len(msg.updates), msg.closed)
	}
}

// A burst applied as one message renders once and shows all its events.
func TestBurstAppliesEverything(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.synced()
	var us []ews.Update
	for i := 0; i < 50; i++ {
		at := t0.Add(time.Duration(i*10) * time.Second)
		us = append(us, h.events(at, newMail(at, itemID(i+1), i)...))
	}
	h.updates(us...)
	if got := h.m.st.Len(); got != 150 {
		t.Fatalf("retained %d events, want 150", got)
	}
	if !strings.Contains(h.screen(), "Events 150") {
		t.Fatalf("screen does not count 150 events:\n%s", h.screen())
	}
}

func TestUnsubscribeThenSubscribe(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.synced()
	h.updates(h.open(t0.Add(time.Second)))
	if !strings.Contains(h.screen(), "● open") {
		t.Fatalf("not open:\n%s", h.screen())
	}
	h.key("u")
	// The fake runner answers the cancel with StateUnsubscribed and closes.
	w := h.be.watch(0)
	<-w.done
	msg := await(t, waitUpdates(h.m.gen, h.m.ch), isType[updatesMsg])
	h.send(msg)
	if !msg.(updatesMsg).closed {
		// The final update and the close may come in two reads.
		h.send(await(t, waitUpdates(h.m.gen, h.m.ch), isType[updatesMsg]))
	}
	if !strings.Contains(h.screen(), "○ unsubscribed") {
		t.Fatalf("u did not show unsubscribed:\n%s", h.screen())
	}
	h.key("s")
	if n := h.be.numWatches(); n != 2 {
		t.Fatalf("s made %d watches in all, want 2", n)
	}
	if !strings.Contains(h.screen(), "subscribing") {
		t.Fatalf("s did not show subscribing:\n%s", h.screen())
	}
}

func TestModeSwitchResubscribesAndIgnoresTheOldSubscription(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.synced()
	oldGen, oldCh := h.m.gen, h.m.ch
	h.updates(h.open(t0.Add(time.Second)))
	h.key("m")
	if n := h.be.numWatches(); n != 2 {
		t.Fatalf("%d watches, want 2", n)
	}
	if got := h.be.watch(1).cfg.Mode; got != ews.ModePull {
		t.Fatalf("second watch mode %q, want pull", got)
	}
	<-h.be.watch(0).done // the first was cancelled
	// A late batch from the old subscription must not touch the state.
	at := t0.Add(5 * time.Second)
	cmd := h.send(updatesMsg{gen: oldGen, ch: oldCh, updates: []ews.Update{h.events(at, newMail(at, itemID(1), 1)...)}})
	if h.m.st.Len() != 0 {
		t.Fatal("an old subscription's events were applied")
	}
	if cmd == nil {
		t.Fatal("the old channel is not drained to its end")
	}
	if !strings.Contains(h.screen(), "pull") {
		t.Fatalf("mode not shown as pull:\n%s", h.screen())
	}
	h.key("m")
	if got := h.be.watch(2).cfg.Mode; got != ews.ModeStreaming {
		t.Fatalf("third watch mode %q, want streaming", got)
	}
}

func TestQuitUnsubscribesFirst(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.updates(h.open(t0.Add(time.Second)))
	cmd := h.key("q")
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	<-h.be.watch(0).done // q cancelled the subscription
	// Drain until the channel's close arrives; then the model quits.
	var quit tea.Cmd
	for i := 0; i < 3 && quit == nil; i++ {
		msg := await(t, waitUpdates(h.m.gen, h.m.ch), isType[updatesMsg]).(updatesMsg)
		c := h.send(msg)
		if msg.closed {
			quit = c
		}
	}
	if quit == nil {
		t.Fatal("the channel never closed")
	}
	if _, ok := quit().(tea.QuitMsg); !ok {
		t.Fatal("the model did not quit once unsubscribed")
	}
}

func TestPauseCountsNewAndResumes(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.flowing()
	h.key("space")
	at := t0.Add(60 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(5), 3)...))
	scr := h.screen()
	if !strings.Contains(scr, "⏸ paused") || !strings.Contains(scr, " 3 new ") {
		t.Fatalf("paused screen lacks the badge:\n%s", scr)
	}
	// The selection stayed on the cascade that was newest when paused.
	if !strings.Contains(scr, "›▸ 09:00:50") {
		t.Fatalf("selection moved while paused:\n%s", scr)
	}
	h.key("space")
	scr = h.screen()
	if !strings.Contains(scr, "▶ following") || strings.Contains(scr, " new ") || !strings.Contains(scr, "›▸ 09:01:00") {
		t.Fatalf("space did not resume following the newest:\n%s", scr)
	}
}

func TestObjectColumnFillsWithSubjectsEachIdOnce(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.synced()
	at := t0.Add(10 * time.Second)
	cmd := h.send(updatesMsg{gen: h.m.gen, ch: h.m.ch, updates: []ews.Update{h.events(at, newMail(at, itemID(1), 1)...)}})
	h.key("enter") // expand
	msg := await(t, cmd, isType[itemsMsg]).(itemsMsg)
	if len(msg.ids) != 1 || msg.ids[0].Id != itemID(1) {
		t.Fatalf("GetItem asked for %v, want just %s", msg.ids, itemID(1))
	}
	h.send(msg)
	if !strings.Contains(h.screen(), "Quarterly report") {
		t.Fatalf("subject not shown:\n%s", h.screen())
	}
	// Nothing more to ask for: the same rows do not fetch again.
	if c := h.m.fetchItems(); c != nil {
		t.Fatal("fetched a known item again")
	}
}

func TestFilter(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "type:Moved" {
		h.key(string(r))
	}
	h.key("enter")
	scr := h.screen()
	if !strings.Contains(scr, "Mail moved Inbox → Archive") || strings.Contains(scr, "New mail in Inbox") {
		t.Fatalf("type:Moved does not show only the move:\n%s", scr)
	}
	if !strings.Contains(scr, "filtered: type:Moved") {
		t.Fatalf("filter not shown in the title:\n%s", scr)
	}
	h.key("esc")
	if !strings.Contains(h.screen(), "New mail in Inbox") {
		t.Fatal("esc did not clear the filter")
	}
	h.key("/")
	for _, r := range "type:Bogus" {
		h.key(string(r))
	}
	h.key("enter")
	if !strings.Contains(h.screen(), `unknown event type "Bogus"`) {
		t.Fatalf("a bad filter gives no clear error:\n%s", h.screen())
	}
	h.key("/")
	for _, r := range `folder:"archive"` {
		h.key(string(r))
	}
	h.key("enter")
	if f := h.m.st.Filter(); f.FolderId != idArchive {
		t.Fatalf("folder filter = %q, want the Archive", f.FolderId)
	}
}

func TestTreeEnterFiltersToFolder(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("shift+tab") // events -> folders
	h.key("down")      // Inbox
	h.key("down")      // Projects
	h.key("enter")
	if f := h.m.st.Filter(); f.FolderId != idProjects {
		t.Fatalf("filter folder %q, want Projects", f.FolderId)
	}
	scr := h.screen()
	if !strings.Contains(scr, "Folder 'Projects' created") || strings.Contains(scr, "Mail moved") {
		t.Fatalf("the list is not filtered to Projects:\n%s", scr)
	}
	h.key("g") // All folders
	h.key("enter")
	if f := h.m.st.Filter(); f.FolderId != "" {
		t.Fatal("All folders did not clear the folder filter")
	}
	// f watches the selected folder only.
	h.key("down")
	h.key("f")
	w := h.be.watch(h.be.numWatches() - 1)
	if len(w.cfg.Folders) != 1 || w.cfg.Folders[0].Id.Id != idInbox {
		t.Fatalf("f subscribed to %v, want the Inbox", w.cfg.Folders)
	}
	if !strings.Contains(h.screen(), "Folders  Inbox") {
		t.Fatalf("status does not show the folder scope:\n%s", h.screen())
	}
}

func TestExportWritesShownEventsAsNDJSON(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "type:NewMail" {
		h.key(string(r))
	}
	h.key("enter")
	msg := await(t, h.key("x"), isType[exportMsg]).(exportMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	h.send(msg)
	if !strings.Contains(h.screen(), "exported 3 events to "+msg.path) {
		t.Fatalf("export path not shown:\n%s", h.screen())
	}
	f, err := os.Open(msg.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []ews.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r ews.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	var want []ews.Record
	for _, e := range h.m.st.VisibleEntries() {
		r := ews.EventRecord(e.Event)
		c := h.m.st.Cascade(e.CascadeID)
		r.Cascade, r.CascadeLabel = c.ID, h.m.st.Label(c)
		r.ParentFolderName = "Inbox"
		r.Subject = map[string]string{itemID(1): "Quarterly report", itemID(2): "Lunch on Friday?", itemID(4): "Re: Offsite agenda"}[e.Event.ItemId.Id]
		want = append(want, r)
	}
	if len(got) != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("exported %+v, want %+v", got, want)
	}
	// The cascade and its label as the list shows them: each new mail is a
	// cascade of its own.
	if got[0].Type != "NewMailEvent" || got[0].ItemId != itemID(1) || got[0].TimeStamp != "2026-11-23T09:00:10Z" ||
		got[0].CascadeLabel != "New mail in Inbox" || got[0].Cascade == got[1].Cascade || !strings.Contains(h.screen(), got[0].CascadeLabel) {
		t.Fatalf("first record %+v", got[0])
	}
}

// The export of everything: each cascade's events share its id and label,
// with the folders' names; a gap is its Gap line.
func TestExportCarriesCascades(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	at := t0.Add(60 * time.Second)
	h.updates(ews.Update{At: at, Mode: ews.ModeStreaming, State: ews.StateOpen, SubscriptionId: "sub-1",
		Gap: &ews.Gap{ID: 1, From: at.Add(-time.Second), To: at, Reason: "the stream broke"}})
	msg := await(t, h.key("x"), isType[exportMsg]).(exportMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	data, err := os.ReadFile(msg.path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r ews.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, fmt.Sprintf("%d %s %s %s|%s|%s", r.Cascade, r.CascadeLabel, r.Type, r.FolderName, r.ParentFolderName, r.OldParentFolderName))
	}
	want := []string{
		"1 New mail in Inbox CreatedEvent |Inbox|",
		"1 New mail in Inbox NewMailEvent |Inbox|",
		"1 New mail in Inbox ModifiedEvent Inbox|Top of Information Store|",
		"2 New mail in Inbox CreatedEvent |Inbox|",
		"2 New mail in Inbox NewMailEvent |Inbox|",
		"2 New mail in Inbox ModifiedEvent Inbox|Top of Information Store|",
		"3 Mail moved Inbox → Archive MovedEvent |Archive|Inbox",
		"3 Mail moved Inbox → Archive ModifiedEvent Inbox|Top of Information Store|",
		"3 Mail moved Inbox → Archive ModifiedEvent Archive|Top of Information Store|",
		"4 Folder 'Projects' created under Inbox CreatedEvent Projects|Inbox|",
		"4 Folder 'Projects' created under Inbox ModifiedEvent Inbox|Top of Information Store|",
		"5 New mail in Inbox CreatedEvent |Inbox|",
		"5 New mail in Inbox NewMailEvent |Inbox|",
		"5 New mail in Inbox ModifiedEvent Inbox|Top of Information Store|",
		"0  Gap ||",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("export:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	h.send(msg)
	if !strings.Contains(h.screen(), "exported 14 events") {
		t.Errorf("the flash does not count the 14 events (the gap is no event):\n%s", h.screen())
	}
}

func TestSimulatorKeys(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	for k, action := range map[string]string{"1": "new-mail", "3": "move-item", "0": "meeting-request", "9": "delete-folder", "-": "send-mail"} {
		msg := await(t, h.key(k), isType[simMsg]).(simMsg)
		if msg.action != action || msg.err != nil {
			t.Fatalf("key %s fired %q (%v), want %q", k, msg.action, msg.err, action)
		}
	}
	h.key("a")
	if h.sim.Activity() <= 0 || !strings.Contains(h.screen(), "activity generator on") {
		t.Fatalf("a did not start the generator:\n%s", h.screen())
	}
	h.key("a")
	if h.sim.Activity() != 0 {
		t.Fatal("a did not stop the generator")
	}

	// Without a simulator the keys do nothing and help does not list them.
	h2 := newHarness(t, 80, 24, false)
	if cmd := h2.key("1"); cmd != nil {
		if msg := cmd(); isType[simMsg](msg) {
			t.Fatal("a sim key fired without a simulator")
		}
	}
	h2.key("?")
	if strings.Contains(h2.screen(), "Simulator") {
		t.Fatalf("help lists simulator keys without a simulator:\n%s", h2.screen())
	}
}

func TestEventTypesDialogResubscribes(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.key("e")
	if !strings.Contains(h.screen(), "Subscribe to event types") {
		t.Fatalf("e shows no checklist:\n%s", h.screen())
	}
	h.key("a") // none
	h.key("space")
	h.key("enter")
	w := h.be.watch(h.be.numWatches() - 1)
	if h.be.numWatches() != 2 || !reflect.DeepEqual(w.cfg.EventTypes, []ews.EventType{ews.CopiedEvent}) {
		t.Fatalf("resubscribed %d times with %v, want once with CopiedEvent", h.be.numWatches()-1, w.cfg.EventTypes)
	}
	if !strings.Contains(h.screen(), "Copied") {
		t.Fatalf("subscribed types not shown:\n%s", h.screen())
	}
}

func TestDebouncedFolderSync(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.synced()
	at := t0.Add(10 * time.Second)
	created := ews.Event{Type: ews.CreatedEvent, TimeStamp: at, FolderId: ews.FolderId{Id: idProjects}, ParentFolderId: ews.FolderId{Id: idInbox}}
	h.updates(h.events(at, created, folderMod(at, idInbox, idRoot, 1)))
	// One second later the burst may not be over: no sync yet.
	h.clock.Advance(11 * time.Second)
	if cmd := h.send(tickMsg{at: t0.Add(11 * time.Second)}); h.m.sync.running {
		_ = cmd
		t.Fatal("synced before the folder events had stopped for 2s")
	}
	cmd := h.send(tickMsg{at: t0.Add(13 * time.Second)})
	msg := await(t, cmd, isType[syncMsg]).(syncMsg)
	if msg.full || len(h.be.syncs) == 0 || h.be.syncs[len(h.be.syncs)-1] != "H4sI-1" {
		t.Fatalf("incremental sync from %v, want from the saved state H4sI-1", h.be.syncs)
	}
	// r resyncs on demand.
	h.send(syncMsg{res: &ews.SyncFolderHierarchyResult{SyncState: "H4sI-2", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{folder(idProjects, idInbox, "Projects", 0, 0)}}})
	if !strings.Contains(h.screen(), "Projects") {
		t.Fatalf("the new folder is not in the tree:\n%s", h.screen())
	}
	// r resyncs on demand, always in full (from no SyncState), and the
	// answer replaces the tree: Projects is not in it.
	msg = await(t, h.key("r"), isType[syncMsg]).(syncMsg)
	if !msg.full || h.be.syncs[len(h.be.syncs)-1] != "" {
		t.Fatalf("r synced from %q, want a full sync (no SyncState)", h.be.syncs)
	}
	h.send(msg)
	if tree := ansi.Strip(h.m.folders.View()); strings.Contains(tree, "Projects") || !strings.Contains(tree, "Inbox") {
		t.Fatalf("after r the tree is not the server's:\n%s", tree)
	}
	if !strings.Contains(h.screen(), "folders synced") {
		t.Fatalf("r's sync is not confirmed:\n%s", h.screen())
	}
}

func TestCountdownsTick(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.updates(h.open(t0))
	if !strings.Contains(h.screen(), "connection renews in 30:00") {
		t.Fatalf("no countdown:\n%s", h.screen())
	}
	h.clock.Advance(time.Second)
	h.send(tickMsg{at: h.clock.Now()})
	if !strings.Contains(h.screen(), "connection renews in 29:59") || !strings.Contains(h.screen(), "last heartbeat 1s ago") {
		t.Fatalf("countdown did not tick:\n%s", h.screen())
	}
}

func TestMouseFocusAndSelect(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	// The events pane starts at x=26 on a 160-wide screen; its first row
	// is two lines below the top border.
	r := h.m.rects[paneEvents]
	h.send(tea.MouseClickMsg{X: r.x + 5, Y: r.y + 2, Button: tea.MouseLeft})
	if !strings.Contains(h.screen(), "›▸ 09:00:10") {
		t.Fatalf("click did not select the first row:\n%s", h.screen())
	}
	f := h.m.rects[paneFolders]
	h.send(tea.MouseClickMsg{X: f.x + 3, Y: f.y + 2, Button: tea.MouseLeft}) // Inbox
	if h.m.focus != paneFolders || h.m.st.Filter().FolderId != idInbox {
		t.Fatalf("click on Inbox: focus %v, filter %q", h.m.focus, h.m.st.Filter().FolderId)
	}
}

func TestKeyOverridesApply(t *testing.T) {
	km := keymap.DefaultKeyMap()
	if err := km.Override(map[string][]string{"pause": {"p"}}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, 80, 24, false)
	h.m.keys = km
	h.m.keys.SetSimEnabled(false)
	h.flowing()
	h.key("p")
	if h.m.events.Following() {
		t.Fatal("the overridden pause key did nothing")
	}
	h.key("space")
	if h.m.events.Following() {
		t.Fatal("the old pause key still works")
	}
}

func TestDetailViewEscBack(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.synced()
	at := t0.Add(50 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(4), 1)...)) // the item is not fetched yet
	h.key("enter")                                        // expand the new mail
	h.key("down")                                         // its CreatedEvent
	h.key("down")                                         // its NewMailEvent
	cmd := h.key("enter")
	msg := await(t, cmd, isType[detailItemMsg]).(detailItemMsg)
	h.send(msg)
	scr := h.screen()
	if !strings.Contains(scr, "Re: Offsite agenda") || !strings.Contains(scr, "IPM.Note") || !strings.Contains(scr, "Bob Builder <bob@example.com>") {
		t.Fatalf("detail lacks the item:\n%s", scr)
	}
	// Scroll down to the envelope: it is indented.
	for i := 0; i < 12; i++ {
		h.key("down")
	}
	if !strings.Contains(h.screen(), "    <m:GetStreamingEventsResponse") {
		t.Fatalf("envelope not indented:\n%s", h.screen())
	}
	h.key("esc")
	if strings.Contains(h.screen(), "Event detail") {
		t.Fatal("esc did not close the detail")
	}
	// An item answer for an event no longer shown is dropped.
	h.m.detail.SetItem(detailItemMsg{seq: 9999, item: ews.Item{Subject: "stale"}})
	if h.m.detail.item != nil && h.m.detail.item.Subject == "stale" {
		t.Fatal("a stale item answer was applied")
	}
}

// A batch with a deleted item still fills in the others, and the missing
// one is not asked for again and again.
func TestMissingItemsDoNotStopTheOthers(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.synced()
	at := t0.Add(10 * time.Second)
	gone := "AAMkGone0001"
	evs := append(newMail(at, itemID(1), 1), itemEv(ews.CreatedEvent, at.Add(5*time.Second), gone, idInbox))
	cmd := h.send(updatesMsg{gen: h.m.gen, ch: h.m.ch, updates: []ews.Update{h.events(at, evs...)}})
	msg := await(t, cmd, isType[itemsMsg]).(itemsMsg)
	if len(msg.ids) != 2 || msg.err == nil || len(msg.items) != 1 {
		t.Fatalf("GetItem: ids %v items %d err %v", msg.ids, len(msg.items), msg.err)
	}
	if again := h.send(msg); again != nil {
		t.Fatal("a partial answer asked again")
	}
	h.key("g")     // the first cascade
	h.key("enter") // expand it
	if !strings.Contains(h.screen(), "Quarterly report") {
		t.Fatalf("the found subject is not shown:\n%s", h.screen())
	}
	if c := h.m.fetchItems(); c != nil {
		t.Fatal("the missing item is asked for again")
	}
}

// With a small log, old cascades are evicted under a paused list: the
// screen stays whole and the selection lands on a row that exists.
func TestEvictionUnderPausedList(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	// A model with a small log in place of the harness's.
	m := newModel(t.Context(), Options{Backend: h.be, ThemeName: "none", Clock: h.clock, Location: time.UTC, MaxEvents: 30})
	m.Init()
	h.m = m
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.synced()
	at := t0
	h.updates(h.events(at, newMail(at, itemID(1), 1)...))
	h.key("space")
	for i := 2; i <= 60; i++ {
		at = t0.Add(time.Duration(i*10) * time.Second)
		h.updates(h.events(at, newMail(at, itemID(i), i)...))
	}
	scr := h.screen()
	if h.m.st.Len() != 30 || !strings.Contains(scr, "Events 30") {
		t.Fatalf("retained %d events:\n%s", h.m.st.Len(), scr)
	}
	if !strings.Contains(scr, "›▸") || !strings.Contains(scr, " 177 new ") {
		t.Fatalf("paused list lost its selection or badge:\n%s", scr)
	}
	if _, ok := h.m.events.Selected(); !ok {
		t.Fatal("no selected row after eviction")
	}
}

func TestTextFilterMatchesSubjects(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "quarterly" {
		h.key(string(r))
	}
	h.key("enter")
	scr := h.screen()
	if !strings.Contains(scr, "Quarterly report") || strings.Contains(scr, "Lunch on Friday?") {
		t.Fatalf("text filter does not match the subject:\n%s", scr)
	}
}

func TestNavigationKeysAndWheel(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.synced()
	for i := 1; i <= 40; i++ {
		at := t0.Add(time.Duration(i*10) * time.Second)
		h.updates(h.events(at, newMail(at, itemID(i%5+1), i)...))
	}
	sel := func() string {
		r, _ := h.m.events.Selected()
		return r.Cascade.First.Format("15:04:05")
	}
	if sel() != "09:06:40" {
		t.Fatalf("following selects %s, want the newest", sel())
	}
	h.key("pgup")
	if h.m.events.Following() || sel() != "09:03:50" {
		t.Fatalf("pgup: following %v, selected %s", h.m.events.Following(), sel())
	}
	h.key("g")
	if sel() != "09:00:10" || !strings.Contains(h.screen(), "›▸ 09:00:10") {
		t.Fatalf("g: selected %s\n%s", sel(), h.screen())
	}
	h.key("pgdown")
	if sel() != "09:03:00" {
		t.Fatalf("pgdown: selected %s", sel())
	}
	r := h.m.rects[paneEvents]
	h.send(tea.MouseWheelMsg{X: r.x + 3, Y: r.y + 3, Button: tea.MouseWheelUp})
	if sel() != "09:02:30" {
		t.Fatalf("wheel up: selected %s", sel())
	}
	h.key("G")
	if !h.m.events.Following() || sel() != "09:06:40" {
		t.Fatal("G did not follow the newest again")
	}

	// The tree: collapse and expand with ←/→, the wheel moves the cursor.
	h.send(syncMsg{res: &ews.SyncFolderHierarchyResult{SyncState: "H4sI-2", IncludesLastFolderInRange: true,
		Changes: []ews.FolderChange{folder(idProjects, idInbox, "Projects", 0, 0)}}})
	h.key("shift+tab")
	h.key("down") // Inbox
	h.key("left")
	if strings.Contains(h.screen(), "Projects") || !strings.Contains(h.screen(), "▸ Inbox") {
		t.Fatalf("← did not collapse the Inbox:\n%s", h.screen())
	}
	h.key("right")
	if !strings.Contains(h.screen(), "Projects") {
		t.Fatalf("→ did not expand the Inbox:\n%s", h.screen())
	}
	f := h.m.rects[paneFolders]
	h.send(tea.MouseWheelMsg{X: f.x + 2, Y: f.y + 2, Button: tea.MouseWheelDown})
	if h.m.folders.Selected() != idSent {
		t.Fatalf("wheel down in the tree: cursor on %q", h.m.folders.Selected())
	}
}

func TestFilterInputEditing(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.flowing()
	h.key("/")
	if !strings.Contains(h.screen(), "type:NewMail  folder:Inbox · enter apply · esc cancel") {
		t.Fatalf("empty filter shows no hint:\n%s", h.screen())
	}
	for _, r := range "lunch wrong" {
		h.key(string(r))
	}
	h.send(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl}) // delete a word
	h.key("backspace")                                   // the space
	if got := h.m.filterIn.Value(); got != "lunch" {
		t.Fatalf("after ctrl+w and backspace: %q", got)
	}
	h.key("esc")
	if !h.m.st.Filter().IsZero() {
		t.Fatal("esc applied the filter")
	}
	h.key("/")
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	for _, r := range "lunch" {
		h.key(string(r))
	}
	h.key("enter")
	if f := h.m.st.Filter(); f.Text != "lunch" {
		t.Fatalf("filter %+v", f)
	}
	// Reopening shows the filter in effect, written back.
	h.key("/")
	if !strings.Contains(h.screen(), "/ lunch") {
		t.Fatalf("reopened filter does not show the current one:\n%s", h.screen())
	}
}

func TestHelpAndDetailScroll(t *testing.T) {
	h := newHarness(t, 80, 12, true) // too short for all the help
	h.flowing()
	h.key("?")
	first := h.screen()
	h.key("down")
	h.send(tea.MouseWheelMsg{X: 5, Y: 5, Button: tea.MouseWheelDown})
	if h.screen() == first {
		t.Fatal("help does not scroll")
	}
	h.key("?")
	if strings.Contains(h.screen(), "─ Keys ─") {
		t.Fatal("? did not close the help")
	}
	h.key("enter") // expand the newest cascade
	h.key("down")  // its first event
	h.key("enter")
	before := h.screen()
	h.key("pgdown")
	if h.screen() == before {
		t.Fatal("pgdown does not scroll the detail")
	}
	h.key("g")
	if h.screen() != before {
		t.Fatal("g does not go back to the top of the detail")
	}
}

func TestEventTypesDialogEscCancels(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.key("e")
	h.key("space")
	h.key("esc")
	if h.be.numWatches() != 1 || h.m.modes.has(modeTypes) {
		t.Fatal("esc in the checklist resubscribed or left it open")
	}
	h.key("e")
	h.key("a") // none checked
	h.key("enter")
	if h.be.numWatches() != 1 {
		t.Fatal("resubscribed with no event types")
	}
}

// C opens the cascade reference for the simulator's profile and the
// subscription's scope; it scrolls; esc closes it.
func TestCascadeReference(t *testing.T) {
	h := newHarness(t, 100, 30, true)
	h.flowing()
	h.key("C")
	scr := h.screen()
	for _, want := range []string{"Cascade reference", "exchange2019", "all folders", "new-mail", "CreatedEvent item Inbox"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("reference lacks %q:\n%s", want, scr)
		}
	}
	h.key("pgdown")
	h.key("pgdown")
	if h.screen() == scr {
		t.Fatal("the reference does not scroll")
	}
	// The AllItems shape of soft-delete, which an all-folders subscription
	// gets from Exchange 2013 and later, is in it.
	found := false
	for i := 0; i < 40 && !found; i++ {
		found = strings.Contains(h.screen(), "DeletedEvent item AllItems")
		h.key("down")
	}
	if !found {
		t.Fatal("soft-delete's AllItems events not shown")
	}
	h.key("esc")
	if strings.Contains(h.screen(), "Cascade reference") {
		t.Fatal("esc did not close the reference")
	}
}
