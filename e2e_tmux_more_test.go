package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The dashboard under tmux, as a user: filter editing (live, home, ctrl+a/
// ctrl+k, history), y copying the ids through OSC 52 (into tmux's paste
// buffer), n/p stepping in the detail view.
func TestDashboardEndToEndFilterCopyStep(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary")
	}
	bin := e2eBuild(t)
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "NO_COLOR=1", "TERM=xterm-256color"}
	s := newTmuxSession(t, 140, 40, env, bin+" --sim-rate 0")
	// tmux keeps what an application sets through OSC 52 as a paste buffer.
	s.tmux("set-option", "-s", "set-clipboard", "on")
	s.WaitForText(60*time.Second, "open", "alice@example.com")
	s.Keys("1")
	s.WaitForText(30*time.Second, "New mail in Inbox")
	s.Keys("2") // mark read: a cascade the type filter hides
	s.WaitForText(30*time.Second, "marked read")

	// The filter applies as it is typed.
	s.Keys("/")
	s.Keys("-l", "type:NewMail")
	s.WaitFor("the live filter", 30*time.Second, func(scr string) bool {
		return regexp.MustCompile(`Events \d+ of \d+ · filtered: type:NewMail`).MatchString(scr) && !strings.Contains(scr, "marked read")
	})
	// home, then text in front: nothing matches, and the list says so.
	s.Keys("Home")
	s.Keys("-l", "nosuchthing ")
	s.WaitForText(30*time.Second, "No event matches the filter")
	// ctrl+a, ctrl+k: the line is empty, the list whole again.
	s.Keys("C-a", "C-k")
	s.WaitForText(30*time.Second, "marked read")
	s.Keys("-l", "type:Created")
	s.Keys("Enter")
	s.WaitForText(30*time.Second, "filtered: type:Created")
	// ↑ brings the last filter back.
	s.Keys("/", "C-u", "Up")
	s.WaitForText(30*time.Second, "/ type:Created")
	// Two esc keys in one write would read as alt+esc: one at a time.
	s.Keys("Escape") // close the prompt (the filter in effect stays)
	s.WaitFor("the prompt closed", 30*time.Second, func(scr string) bool { return !strings.Contains(scr, "/ type:Created") })
	s.Keys("Escape") // clear the filter
	s.WaitFor("the filter cleared", 30*time.Second, func(scr string) bool {
		return !strings.Contains(scr, "filtered:") && strings.Contains(scr, "marked read")
	})

	// y: the newest cascade's ids on the clipboard.
	s.Keys("y")
	s.WaitForText(30*time.Second, "to the clipboard")
	s.WaitFor("the ids in tmux's paste buffer", 30*time.Second, func(string) bool {
		buf := s.tmux("show-buffer")
		return strings.Contains(buf, "ItemId ") && strings.Contains(buf, "SubscriptionId ")
	})

	// n/p in the detail view.
	s.Keys("Enter", "G", "Enter") // expand the newest cascade, its last event, open it
	seq := func() int {
		scr := s.WaitForText(30*time.Second, "Event detail")
		m := regexp.MustCompile(`Event  #(\d+)`).FindStringSubmatch(scr)
		if m == nil {
			t.Fatalf("no event number in the detail:\n%s", scr)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	last := seq()
	s.Keys("p")
	s.WaitForText(30*time.Second, "#"+strconv.Itoa(last-1))
	s.Keys("n")
	s.WaitForText(30*time.Second, "#"+strconv.Itoa(last))
	if got := seq(); got != last {
		t.Fatalf("n after p shows #%d, want #%d", got, last)
	}
	s.Keys("q")
	s.WaitFor("the program to exit", 30*time.Second, func(string) bool { return s.PaneDead() })
}

// m switches the running dashboard to pull and then to push, as a user
// would: the status pane names the mode, the push listener and its
// callback, and an action's events arrive through push.
func TestDashboardEndToEndSwitchToPush(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary")
	}
	bin := e2eBuild(t)
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "NO_COLOR=1", "TERM=xterm-256color"}
	s := newTmuxSession(t, 140, 40, env, bin+" --sim-rate 0")
	s.WaitForText(60*time.Second, "open", "alice@example.com", "Mode     streaming")
	s.Keys("m")
	s.WaitForText(30*time.Second, "Mode     pull")
	s.Keys("m")
	open := regexp.MustCompile(`State\s+● open`)
	s.WaitFor("push open", 30*time.Second, func(scr string) bool {
		return strings.Contains(scr, "Mode     push") && strings.Contains(scr, "Listener 127.0.0.1:") &&
			strings.Contains(scr, "Callback") && strings.Contains(scr, "lost if silent in") && open.MatchString(scr)
	})
	s.Keys("1")
	s.WaitForText(30*time.Second, "New mail in Inbox")
}
