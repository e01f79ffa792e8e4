package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs a command in a detached tmux session of its own (its own
// server socket, so it never touches a user's tmux) and reads its screen.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func newTmuxSession(t *testing.T, width, height int, env []string, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for the end-to-end test: apt-get install -y tmux")
	}
	s := &tmuxSession{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "ewsmon"}
	args := []string{"new-session", "-d", "-s", s.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command)
	s.tmux(args...)
	// Keep the pane after the program exits, so its last screen can be read.
	s.tmux("set-option", "-t", s.name, "remain-on-exit", "on")
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", s.socket, "kill-server").Run()
	})
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Screen is the visible pane as plain text.
func (s *tmuxSession) Screen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", s.name)
}

// Keys sends tmux key names ("q", "Tab", "Enter", "Space", "C-c").
func (s *tmuxSession) Keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// WaitFor polls the screen until ok says yes or the deadline passes.
func (s *tmuxSession) WaitFor(what string, within time.Duration, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	var screen string
	for time.Now().Before(deadline) {
		screen = s.Screen()
		if ok(screen) {
			return screen
		}
		time.Sleep(100 * time.Millisecond) // polling a screen: there is no event to wait on
	}
	s.t.Fatalf("waited %v for %s; the screen is:\n%s", within, what, screen)
	return screen
}

// WaitForText waits until the screen contains all of texts.
func (s *tmuxSession) WaitForText(within time.Duration, texts ...string) string {
	s.t.Helper()
	return s.WaitFor(strings.Join(texts, " + "), within, func(screen string) bool {
		for _, x := range texts {
			if !strings.Contains(screen, x) {
				return false
			}
		}
		return true
	})
}

// PaneDead reports whether the program in the pane has exited.
func (s *tmuxSession) PaneDead() bool {
	s.t.Helper()
	return strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_dead}")) == "1"
}

// e2eBuild builds the ewsmon binary for an end-to-end test.
func e2eBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ewsmon")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDashboardEndToEnd runs the built binary under tmux on its embedded
// simulator, as a user would: it waits for the subscription, fires demo
// actions by key and reads their cascades off the screen, unsubscribes and
// subscribes again, and quits.
func TestDashboardEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary")
	}
	bin := e2eBuild(t)
	for _, size := range []struct{ w, h int }{{140, 40}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "NO_COLOR=1", "TERM=xterm-256color"}
			s := newTmuxSession(t, size.w, size.h, env, bin+" --sim-rate 0")
			s.WaitForText(60*time.Second, "open", "alice@example.com")

			s.Keys("1") // new mail
			s.WaitForText(30*time.Second, "New mail in Inbox")
			s.Keys("0") // meeting request
			s.WaitForText(30*time.Second, "Meeting request")
			s.Keys("7") // create folder
			s.WaitFor("a folder-created cascade", 30*time.Second, func(screen string) bool {
				return strings.Contains(screen, "created under")
			})

			s.Keys("u")
			s.WaitForText(30*time.Second, "unsubscribed")
			s.Keys("1") // an action while unsubscribed is not seen...
			s.Keys("s")
			s.WaitFor("open again", 30*time.Second, func(screen string) bool {
				return strings.Contains(screen, "open") && !strings.Contains(screen, "unsubscribed")
			})
			s.Keys("q")
			s.WaitFor("the program to exit", 30*time.Second, func(string) bool { return s.PaneDead() })
		})
	}
}

// The dashboard with Basic credentials over plain http:// warns on stderr
// (one line) for a host that is not this machine, and not for loopback.
func TestDashboardWarnsOfBasicOverPlainHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary")
	}
	bin := e2eBuild(t)
	for _, tc := range []struct{ name, url, want string }{
		// The other warning is one "warning:" too.
		{"insecure", "https://127.0.0.1:1/EWS/Exchange.asmx --insecure",
			"ewsmon: warning: TLS certificate verification is off (--insecure); anyone on the path can read the password and mail\n"},
		// .invalid never resolves (RFC 6761): the dashboard shows the error.
		{"other host", "http://ews.invalid/EWS/Exchange.asmx",
			"ewsmon: warning: basic authentication over plain http:// to ews.invalid sends the password in clear text\n"},
		// Nothing listens on port 1 of loopback.
		{"loopback", "http://127.0.0.1:1/EWS/Exchange.asmx", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errFile := filepath.Join(t.TempDir(), "stderr")
			env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "NO_COLOR=1", "TERM=xterm-256color", "EWSMON_PASSWORD=pw"}
			s := newTmuxSession(t, 100, 30, env, bin+" --url "+tc.url+" --auth basic --user alice 2>"+errFile)
			s.WaitForText(60*time.Second, "q to quit")
			s.Keys("q")
			s.WaitFor("the program to exit", 30*time.Second, func(string) bool { return s.PaneDead() })
			got, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("stderr %q, want %q", got, tc.want)
			}
		})
	}
}
