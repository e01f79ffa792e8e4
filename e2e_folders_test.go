package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A folder the server does not know is refused by name before the
// dashboard opens, instead of a subscription that fails without saying
// which folder is wrong.
func TestDashboardRefusesUnknownFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	bin := e2eBuild(t)
	cmd := fmt.Sprintf("env XDG_CONFIG_HOME=%s NO_COLOR=1 %s --sim-rate 0 --folders inbox,nosuchfolder; echo exit=$?; sleep 30", t.TempDir(), bin)
	s := newTmuxSession(t, 200, 20, nil, cmd)
	scr := s.WaitForText(60*time.Second, "exit=")
	if !strings.Contains(scr, "ewsmon: --folders nosuchfolder: ") || !strings.Contains(scr, "exit=2") {
		t.Fatalf("want one line refusing --folders nosuchfolder and exit status 2; the screen is:\n%s", scr)
	}
}
