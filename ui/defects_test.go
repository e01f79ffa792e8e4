package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// ↓ (or j) on the newest row keeps following; ↑ pauses, and ↓ back onto the
// newest row (and once more) follows again.
func TestDownOnNewestRowKeepsFollowing(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	for _, k := range []string{"down", "j"} {
		h.key(k)
		if !h.m.events.Following() {
			t.Fatalf("%s on the newest row paused the list", k)
		}
	}
	h.key("up")
	if h.m.events.Following() {
		t.Fatal("↑ did not pause")
	}
	h.key("down")
	h.key("down")
	if !h.m.events.Following() {
		t.Fatal("↓ past the newest row did not follow again")
	}
	at := t0.Add(60 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(5), 3)...))
	if !strings.Contains(h.screen(), "▶ following") {
		t.Fatalf("not following after ↓ on the newest row:\n%s", h.screen())
	}
}

// A filter that matches nothing says so (not "No events yet"), and the
// title counts the matches of the total.
func TestFilterMatchingNothingSaysSo(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "type:NewMail" {
		h.key(string(r))
	}
	h.key("enter")
	if scr := h.screen(); !strings.Contains(scr, "Events 3 of 14 · filtered: type:NewMail") {
		t.Fatalf("the title does not count matches of the total:\n%s", scr)
	}
	h.key("/")
	for _, r := range " nosuchsubject" {
		h.key(string(r))
	}
	h.key("enter")
	scr := h.screen()
	if strings.Contains(scr, "No events yet") || !strings.Contains(scr, "No event matches the filter") {
		t.Fatalf("a filter matching nothing does not say so:\n%s", scr)
	}
	if !strings.Contains(scr, "Events 0 of 14") {
		t.Fatalf("title:\n%s", scr)
	}
}

// Choosing no event types in `e` says why the subscription did not change.
func TestNoEventTypesSaysWhy(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.key("e")
	h.key("a") // all off
	h.key("enter")
	if h.be.numWatches() != 1 {
		t.Fatal("resubscribed with no event types")
	}
	if scr := h.screen(); !strings.Contains(scr, "no event type chosen: the subscription is unchanged") {
		t.Fatalf("nothing says why nothing changed:\n%s", scr)
	}
}

// x on an empty list says so and writes nothing; one event is "1 event";
// a missing export directory is one sentence that names it.
func TestExportMessages(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	if cmd := h.key("x"); cmd != nil {
		t.Fatal("x on an empty list starts an export")
	}
	if scr := h.screen(); !strings.Contains(scr, "nothing to export: the list is empty") {
		t.Fatalf("x on an empty list:\n%s", scr)
	}
	h.flowing()
	h.key("/")
	for _, r := range "type:Moved" {
		h.key(string(r))
	}
	h.key("enter")
	msg := await(t, h.key("x"), isType[exportMsg]).(exportMsg)
	h.send(msg)
	if scr := h.screen(); !strings.Contains(scr, "exported 1 event to ") {
		t.Fatalf("one event exported:\n%s", scr)
	}
	h.m.opts.ExportDir = "/nonexistent/ewsmon-exports"
	msg = await(t, h.key("x"), isType[exportMsg]).(exportMsg)
	h.send(msg)
	want := "export: the directory /nonexistent/ewsmon-exports does not exist (--export-dir, export_dir in the config file)"
	if msg.err == nil || msg.err.Error() != want {
		t.Fatalf("export to a missing directory: %v\nwant: %s", msg.err, want)
	}
}

// A simulator key against a real server says it is for the simulator only.
func TestSimKeysOnARealServerSaySimulatorOnly(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.flowing()
	for _, k := range []string{"1", "a"} {
		h.key(k)
		if scr := h.screen(); !strings.Contains(scr, "simulator only") {
			t.Fatalf("%s against a real server:\n%s", k, scr)
		}
	}
}

// At the event bound, a paused list stays still: the selected row keeps
// its place on screen with the same text, and the title says how many old
// events were dropped since the pause. When the selected row itself is
// dropped, the selection goes to the oldest row kept, not to a new one.
func TestPausedListAtTheBoundStaysStill(t *testing.T) {
	h := newHarness(t, 120, 20, false, func(o *Options) { o.MaxEvents = 60 })
	h.flowing()
	newMails := func(from, n int) {
		for i := from; i < from+n; i++ {
			at := t0.Add(time.Duration(60+i*10) * time.Second)
			h.updates(h.events(at, newMail(at, itemID(5+i%900), 3)...))
		}
	}
	newMails(0, 15) // 59 events, 20 rows
	for range 6 {
		h.key("up")
	}
	selLine := func() (int, string) {
		for i, l := range strings.Split(h.screen(), "\n") {
			if strings.Contains(l, "┃›") {
				return i, l
			}
		}
		return -1, ""
	}
	y0, l0 := selLine()
	newMails(15, 3) // 9 more events: 8 old ones go
	y1, l1 := selLine()
	if y1 != y0 || l1 != l0 {
		t.Fatalf("the paused list moved at the bound: selection on line %d %q, was line %d %q\n%s", y1, l1, y0, l0, h.screen())
	}
	if scr := h.screen(); !strings.Contains(scr, "8 old dropped") {
		t.Fatalf("the title does not say how many old events were dropped:\n%s", scr)
	}
	newMails(18, 25) // everything on screen goes, the selection too
	_, l2 := selLine()
	r, _ := h.m.events.Selected()
	if first := h.m.st.Rows(0, 1)[0]; r.Cascade != first.Cascade {
		t.Fatalf("selection on %q after its row was dropped, want the oldest row kept\n%s", l2, h.screen())
	}
}

// One time zone everywhere: the list, the detail and the status write
// moments in the configured zone, named once in the status pane; t cycles
// UTC and ages. The detail has no two rows with the same label.
func TestOneTimeZoneEverywhere(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	h := newHarness(t, 160, 48, false, func(o *Options) { o.Location = cet })
	h.flowing()
	first := t0.Add(10 * time.Second)
	scr := h.screen()
	if !strings.Contains(scr, first.In(cet).Format("15:04:05")+" New mail in Inbox") {
		t.Fatalf("the list is not in the configured zone:\n%s", scr)
	}
	if n := strings.Count(scr, "CET"); n != 1 || !strings.Contains(scr, "Times    local (CET, UTC+01:00)") {
		t.Fatalf("the zone is named %d times, want once in the status pane:\n%s", n, scr)
	}
	h.openNewestEvent()
	h.send(detailItemMsg{seq: h.m.detail.Seq(), item: h.be.items[itemID(4)]})
	h.key("p") // the NewMailEvent: it has an item
	h.send(detailItemMsg{seq: h.m.detail.Seq(), item: h.be.items[itemID(4)]})
	scr = h.screen()
	ts := t0.Add(50 * time.Second).In(cet).Format("2006-01-02 15:04:05.000")
	if !strings.Contains(scr, "TimeStamp           "+ts) || strings.Contains(scr, "Z\n") || strings.Contains(scr, ":00Z") {
		t.Fatalf("the detail's TimeStamp is not in the list's zone (%s):\n%s", ts, scr)
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(scr, "\n") {
		i := strings.Index(l, "┃")
		if i < 0 || strings.Contains(l, "<") {
			continue
		}
		row := strings.TrimPrefix(l[i:], "┃")
		rs := []rune(row)
		label := strings.TrimSpace(string(rs[:min(20, len(rs))]))
		if label == "" || strings.ContainsAny(label, " ─━") {
			continue
		}
		if seen[label] {
			t.Errorf("the detail has two rows labelled %q:\n%s", label, scr)
		}
		seen[label] = true
	}
	h.key("esc")
	h.key("t")
	if scr := h.screen(); !strings.Contains(scr, first.UTC().Format("15:04:05")+" New mail in Inbox") || !strings.Contains(scr, "Times    UTC") {
		t.Fatalf("t does not switch to UTC:\n%s", scr)
	}
	h.key("t")
	if scr := h.screen(); !strings.Contains(scr, "45s ago New mail in Inbox") {
		t.Fatalf("t again does not show ages:\n%s", scr)
	}
}

// "Mail sent" carries its subject: the draft is gone once sent, so the
// subject comes from the item in Sent Items (the move's new id).
func TestMailSentCarriesItsSubject(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	at := t0.Add(60 * time.Second)
	draft, sent := "AAMkDraft0001", itemID(6)
	h.be.items[sent] = ews.Item{ItemId: ews.ItemId{Id: sent}, Subject: "Build is red again", ItemClass: "IPM.Note"}
	mv := itemEv(ews.MovedEvent, at, sent, idSent)
	mv.OldItemId, mv.OldParentFolderId = ews.ItemId{Id: draft}, ews.FolderId{Id: idDrafts}
	h.updates(h.events(at, itemEv(ews.CreatedEvent, at, draft, idDrafts), folderMod(at, idDrafts, idRoot, 0),
		mv, folderMod(at, idDrafts, idRoot, 0), folderMod(at, idSent, idRoot, 0)))
	h.items()
	if l := lineWith(h.screen(), "Mail sent"); !strings.Contains(l, "Mail sent · Build is red again") {
		t.Fatalf("the Mail sent header reads %q, want its subject", strings.TrimSpace(l))
	}
}

// At 120 columns the status pane takes what it needs and the event list
// the rest; the status's long values wrap under themselves.
func TestEventListGetsTheWidthAt120(t *testing.T) {
	h := newHarness(t, 120, 40, false)
	h.flowing()
	if w := h.m.rects[paneEvents].w; w < 66 {
		t.Fatalf("the event list is %d wide at 120 columns, want the status pane's spare width too", w)
	}
	scr := h.screen()
	for _, want := range []string{"15.2.1544.4", "V2017_07_11", "Times"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the narrower status pane lost %q:\n%s", want, scr)
		}
	}
}

// Folder names are not confused with counts: the unread count follows the
// name in parentheses (as mail clients write it), the events seen are
// "·N" at the right.
func TestFolderCountsAreNotNames(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	l := lineWith(h.screen(), "Inbox")
	if !strings.Contains(l, "Inbox (2)") || !strings.Contains(l, "·13") {
		t.Fatalf("the Inbox row reads %q, want 'Inbox (2)' and its events '·13'", l)
	}
}

// The help bar shows the focused pane's keys, as that pane uses them.
func TestHelpBarShowsThePanesKeys(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	bar := func() string { l := strings.Split(h.screen(), "\n"); return l[len(l)-1] }
	if b := bar(); !strings.Contains(b, "enter open") || !strings.Contains(b, "/ filter") || !strings.HasSuffix(strings.TrimSpace(b), "? help") {
		t.Fatalf("the list's help bar: %q", b)
	}
	h.key("shift+tab") // the tree
	if b := bar(); !strings.Contains(b, "enter filter to folder") || !strings.Contains(b, "r resync folders") || strings.Contains(b, "open detail") {
		t.Fatalf("the tree's help bar: %q", b)
	}
	h.key("shift+tab") // the status
	if b := bar(); !strings.Contains(b, "s subscribe") || !strings.Contains(b, "m streaming ↔ pull") || strings.Contains(b, "filter to folder") {
		t.Fatalf("the status pane's help bar: %q", b)
	}
	h80 := newHarness(t, 80, 24, false)
	h80.flowing()
	l := strings.Split(h80.screen(), "\n")
	if b := strings.TrimSpace(l[len(l)-1]); !strings.HasSuffix(b, "? help") {
		t.Fatalf("at 80 columns ? help is not kept: %q", b)
	}
}

// The spinner turns while something waits (here: subscribing, the first
// sync) and its ticks stop once nothing does.
func TestSpinnerOnlyWhileWaiting(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	if !h.m.spinning {
		t.Fatal("no spinner while subscribing and syncing")
	}
	before := h.m.spinner.View()
	h.send(h.m.spinner.Tick())
	if h.m.spinner.View() == before {
		t.Fatal("a tick does not turn the spinner")
	}
	h.flowing()
	if cmd := h.send(h.m.spinner.Tick()); cmd != nil || h.m.spinning {
		t.Fatal("the spinner keeps ticking with nothing to wait for")
	}
}
