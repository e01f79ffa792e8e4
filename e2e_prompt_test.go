package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// ctrl+c at the no-echo password prompt ends ewsmon with a sentence (main
// catches SIGINT, so the blocked read used to ignore it).
func TestPasswordPromptCtrlCQuits(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	bin := e2eBuild(t)
	cmd := fmt.Sprintf("env -u EWSMON_PASSWORD -u EWSMON_TOKEN -u EWSMON_PROFILE XDG_CONFIG_HOME=%s %s --url http://127.0.0.1:1/EWS/Exchange.asmx --user a@b",
		t.TempDir(), bin)
	s := newTmuxSession(t, 100, 20, nil, cmd)
	s.WaitForText(30*time.Second, "Password for a@b")
	s.Keys("C-c")
	scr := s.WaitFor("ewsmon to exit", 30*time.Second, func(string) bool { return s.PaneDead() })
	if !strings.Contains(s.Screen(), "interrupted at the password prompt") {
		t.Fatalf("no sentence after ctrl+c at the prompt:\n%s", scr)
	}
}
