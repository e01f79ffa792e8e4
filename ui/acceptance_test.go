package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
)

// lineWith is the first screen line containing s ("" when none does).
func lineWith(scr, s string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// A cascade header with one event shown names that event's type; with a
// filter on, that is the event the filter kept, not the cascade's last.
func TestSingleShownEventHeaderNamesTheShownType(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "type:NewMail" {
		h.key(string(r))
	}
	h.key("enter")
	l := lineWith(h.screen(), "New mail in Inbox · Quarterly report")
	if l == "" {
		t.Fatalf("the new mail cascade is not shown:\n%s", h.screen())
	}
	if !strings.Contains(l, "NewMail") || strings.Contains(l, "Modified") {
		t.Fatalf("header of the cascade filtered to its NewMailEvent reads %q, want it to name NewMail", strings.TrimSpace(l))
	}
}

// The folder tree shows how many events each folder has seen on the usual
// terminal widths too, not only on very wide ones.
func TestFolderEventCountsOnNarrowTree(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {140, 40}} {
		h := newHarness(t, size[0], size[1], false)
		h.flowing()
		l := lineWith(h.screen(), "▾ Inbox")
		if !strings.Contains(l, "·13") {
			t.Errorf("%dx%d: the Inbox row %q does not show its 13 events", size[0], size[1], l)
		}
	}
}

// enter on the folder the list is already filtered to clears the filter
// again (docs/keys.md), as "All folders" does.
func TestTreeEnterAgainClearsFolderFilter(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("shift+tab") // events -> folders
	h.key("down")      // Inbox
	h.key("enter")
	if f := h.m.st.Filter(); f.FolderId != idInbox {
		t.Fatalf("filter folder %q, want the Inbox", f.FolderId)
	}
	h.key("enter")
	if f := h.m.st.Filter(); f.FolderId != "" {
		t.Fatalf("enter again left the filter on %q", f.FolderId)
	}
	if strings.Contains(h.screen(), "filtered:") {
		t.Fatalf("the title still says filtered:\n%s", h.screen())
	}
}

// After u then s the bottom bar no longer says "unsubscribing…".
func TestSubscribeAfterUnsubscribeDropsTheUnsubscribingNote(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.synced()
	h.updates(h.open(t0.Add(time.Second)))
	h.key("u")
	<-h.be.watch(0).done
	for h.m.watching {
		h.send(await(t, waitUpdates(h.m.gen, h.m.ch), isType[updatesMsg]))
	}
	if strings.Contains(h.screen(), "unsubscribing…") {
		t.Fatalf("unsubscribed, but the bottom bar still says unsubscribing…:\n%s", h.screen())
	}
	h.key("s")
	lines := strings.Split(h.screen(), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "subscribing…") || strings.Contains(last, "unsubscribing") {
		t.Fatalf("after s the bottom bar says %q, want subscribing…", strings.TrimSpace(last))
	}
}

// A click on the tree selects the row drawn under the pointer, also after
// the tree had been scrolled on a small window that then grew.
func TestTreeClickAfterScrollAndResize(t *testing.T) {
	h := newHarness(t, 80, 12, false)
	h.flowing() // 7 folders + "All folders": more rows than the tree shows
	h.key("shift+tab")
	h.key("G") // the last folder: the tree scrolls
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	f := h.m.rects[paneFolders]
	if l := strings.Split(h.screen(), "\n")[f.y+2]; !strings.Contains(l, "Inbox") {
		t.Fatalf("screen line %d is %q, want the Inbox row", f.y+2, l)
	}
	h.send(tea.MouseClickMsg{X: f.x + 3, Y: f.y + 2, Button: tea.MouseLeft})
	if got := h.m.folders.Selected(); got != idInbox {
		t.Fatalf("click on the Inbox row selected %q", got)
	}
	if got := h.m.st.Filter().FolderId; got != idInbox {
		t.Fatalf("click on the Inbox row filtered to %q", got)
	}
}

// enter on the newest cascade while following expands it and keeps the
// selection on its header, so enter again collapses it.
func TestEnterTwiceOnNewestCascadeCollapses(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	r, _ := h.m.events.Selected()
	if !r.IsHeader() {
		t.Fatal("following: the newest row is not a cascade header")
	}
	h.key("enter")
	if !h.m.st.Expanded(r.Cascade.ID) {
		t.Fatal("enter did not expand the newest cascade")
	}
	if s, _ := h.m.events.Selected(); !s.IsHeader() || s.Cascade.ID != r.Cascade.ID {
		t.Fatalf("after expanding, the selection left the header:\n%s", h.screen())
	}
	h.key("enter")
	if h.m.modes.has(modeDetail) || h.m.st.Expanded(r.Cascade.ID) {
		t.Fatalf("enter again: detail open %v, still expanded %v; want it collapsed", h.m.modes.has(modeDetail), h.m.st.Expanded(r.Cascade.ID))
	}
}

// The help bar keeps "? help" (the way to every other key) on narrow
// screens, whichever pane has the focus.
func TestHelpBarKeepsHelpWhenNarrow(t *testing.T) {
	for _, w := range []int{60, 80, 100} {
		h := newHarness(t, w, 24, true)
		h.flowing()
		for _, pane := range []string{"events", "folders"} {
			lines := strings.Split(h.screen(), "\n")
			if last := lines[len(lines)-1]; !strings.Contains(last, "? help") {
				t.Errorf("%d columns, %s focused: the help bar %q has no '? help'", w, pane, strings.TrimSpace(last))
			}
			h.key("shift+tab")
		}
	}
}

// A filter's error goes away once a good filter is applied.
func TestGoodFilterClearsTheLastFilterError(t *testing.T) {
	h := newHarness(t, 100, 30, false)
	h.flowing()
	typeFilter := func(f string) {
		h.key("/")
		for range 40 {
			h.key("backspace")
		}
		for _, r := range f {
			h.key(string(r))
		}
		h.key("enter")
	}
	typeFilter("folder:nowhere")
	if !strings.Contains(h.screen(), `no folder named "nowhere"`) {
		t.Fatalf("no error for an unknown folder:\n%s", h.screen())
	}
	typeFilter("folder:archive")
	if h.m.st.Filter().FolderId != idArchive {
		t.Fatalf("the good filter was not applied")
	}
	if strings.Contains(h.screen(), "nowhere") {
		t.Fatalf("the old filter error is still shown:\n%s", h.screen())
	}
}

// r says "syncing folders…" and, once the sync is back, that it is done.
func TestResyncSaysWhenDone(t *testing.T) {
	h := newHarness(t, 100, 30, false)
	h.flowing()
	h.key("r")
	if !strings.Contains(h.screen(), "syncing folders…") {
		t.Fatalf("r does not say it syncs:\n%s", h.screen())
	}
	h.send(syncMsg{res: &ews.SyncFolderHierarchyResult{SyncState: "H4sI-3", IncludesLastFolderInRange: true}})
	scr := h.screen()
	if strings.Contains(scr, "syncing folders…") || !strings.Contains(scr, "folders synced (0 changes)") {
		t.Fatalf("the sync is done but the screen says:\n%s", scr)
	}
}

// ←/h and →/l (docs/keys.md: collapse, expand) work on the event list's
// cascades too, not only in the tree.
func TestLeftRightCollapseExpandCascades(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	r, _ := h.m.events.Selected()
	h.key("l")
	if !h.m.st.Expanded(r.Cascade.ID) {
		t.Fatal("l did not expand the selected cascade")
	}
	h.key("down") // one of its events
	if s, _ := h.m.events.Selected(); s.IsHeader() {
		t.Fatal("down did not go into the cascade")
	}
	h.key("h")
	if h.m.st.Expanded(r.Cascade.ID) {
		t.Fatal("h on an event did not collapse its cascade")
	}
	if s, _ := h.m.events.Selected(); !s.IsHeader() || s.Cascade.ID != r.Cascade.ID {
		t.Fatalf("after h the selection is not the cascade's header:\n%s", h.screen())
	}
}

// The wheel scrolls the detail view over its whole width, also over the
// part that covers the folder tree.
func TestWheelScrollsDetailOverTheTreeArea(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.flowing()
	h.key("enter") // expand the newest cascade
	h.key("down")  // its first event
	h.key("enter") // open it
	if !h.m.modes.has(modeDetail) {
		t.Fatal("no detail view")
	}
	before := h.screen()
	f := h.m.rects[paneFolders]
	h.send(tea.MouseWheelMsg{X: f.x + 3, Y: f.y + 5, Button: tea.MouseWheelDown})
	if h.screen() == before {
		t.Fatal("the wheel over the left part of the detail does not scroll it")
	}
}

// A subscription the server lost (it restarted) shows why and what happens
// above the panes on every screen size, as a reconnect does.
func TestExpiredSubscriptionShowsWhyOnEverySize(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		h := newHarness(t, size[0], size[1], false)
		h.synced()
		h.updates(h.open(t0.Add(time.Second)))
		h.updates(ews.Update{At: t0.Add(5 * time.Second), Mode: ews.ModePull, State: ews.StateExpired,
			Err: errors.New("GetEvents: ErrorSubscriptionNotFound: The specified subscription was not found.")})
		lines := strings.Split(h.screen(), "\n")
		top := strings.Join(lines[:4], "\n")
		if !strings.Contains(top, "! GetEvents: ErrorSubscriptionNotFound") || !strings.Contains(top, "resubscribing; u to stop, q to quit") {
			t.Errorf("%dx%d: no banner for the lost subscription:\n%s", size[0], size[1], h.screen())
		}
	}
}

// A demo action that cannot run says why within 80 columns.
func TestSimulatorErrorFitsTheBar(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.synced()
	h.send(simMsg{action: "delete-folder", err: errors.New("delete-folder in alice@example.com: no user folder: nothing to act on")})
	lines := strings.Split(h.screen(), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "simulator delete-folder: no user folder: nothing to act on" {
		t.Fatalf("bottom bar %q", last)
	}
}

// On a list too narrow for the Extras column, a folder change still shows
// its unread count.
func TestNarrowListShowsUnreadCounts(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.flowing()
	h.key("enter") // expand the newest cascade: new mail, its folder change last
	if l := lineWith(h.screen(), "Modified  Inbox"); !strings.Contains(l, "unread 1 → 2") {
		t.Fatalf("the Inbox change reads %q, want its unread count", strings.TrimSpace(l))
	}
}

// While paused with a filter on, the "N new" badge counts only the events
// the list will show, not those the filter hides.
func TestPausedBadgeCountsOnlyWhatTheFilterShows(t *testing.T) {
	h := newHarness(t, 160, 48, false)
	h.flowing()
	h.key("/")
	for _, r := range "type:Moved" {
		h.key(string(r))
	}
	h.key("enter")
	h.key("space")
	at := t0.Add(60 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(5), 3)...)) // hidden by the filter
	if strings.Contains(h.screen(), " new ") {
		t.Fatalf("events the filter hides are counted as new:\n%s", lineWith(h.screen(), "paused"))
	}
	at = t0.Add(70 * time.Second)
	h.updates(h.events(at, moveMail(at, itemID(2), itemID(6))...)) // one MovedEvent shown
	if l := lineWith(h.screen(), "paused"); !strings.Contains(l, " 1 new ") {
		t.Fatalf("one shown event arrived; the title reads %q", strings.TrimSpace(l))
	}
	// Without a filter every event counts, as before.
	h.key("esc")
	at = t0.Add(80 * time.Second)
	h.updates(h.events(at, newMail(at, itemID(7), 4)...))
	if l := lineWith(h.screen(), "paused"); !strings.Contains(l, " 3 new ") {
		t.Fatalf("three events arrived after the filter was cleared; the title reads %q", strings.TrimSpace(l))
	}
}
