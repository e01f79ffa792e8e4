package cli

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/keymap"
)

func TestDashboardNeedsATerminal(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var stdout, stderr strings.Builder
	code := run(context.Background(), nil, strings.NewReader(""), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "the dashboard needs a terminal") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestDashboardBadKeyOverride(t *testing.T) {
	dir := writeConfig(t, "[keys]\nlaunch-rockets = [\"r\"]\n")
	t.Setenv("XDG_CONFIG_HOME", dir)
	var stdout, stderr strings.Builder
	code := run(context.Background(), nil, strings.NewReader(""), &stdout, &stderr)
	// The config is checked before the terminal, so a broken config is
	// reported even when run from a script.
	if code != 2 || !strings.Contains(stderr.String(), "launch-rockets") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestDashboardKeyConflict(t *testing.T) {
	dir := writeConfig(t, "[keys]\npause = [\"q\"]\n")
	t.Setenv("XDG_CONFIG_HOME", dir)
	var stdout, stderr strings.Builder
	code := run(context.Background(), nil, strings.NewReader(""), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "bound to two actions") || !strings.Contains(stderr.String(), "q:") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// --folders nosuchfolder is refused by name at the start, on the embedded
// simulator as on a real server; a folder that exists is fine.
func TestDashboardRefusesUnknownFolderByName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		folders, want string
	}{
		{"inbox,nosuchfolder", "--folders nosuchfolder: no such folder"},
		{"inbox,calendar", ""},
	} {
		s, err := parseDashboardArgs([]string{"--sim-rate", "0", "--folders", tc.folders}, envOf(map[string]string{"XDG_CONFIG_HOME": t.TempDir()}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		target, _ := watchTargets(s.Folders, s.Events)
		conn, code, err := connectDashboard(ctx, s, target, nil, io.Discard)
		if tc.want == "" {
			if err != nil {
				t.Fatalf("--folders %s: %v", tc.folders, err)
			}
			conn.close()
			continue
		}
		if err == nil || code != 2 || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("--folders %s: exit %d, %v; want one line with %q", tc.folders, code, err, tc.want)
		}
	}
}

// The dashboard's SetSecret changes the password the client sends: after
// "authentication failed", the password typed again is used.
func TestDashboardSetSecretReachesTheClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{Auth: sim.AuthConfig{Mode: "basic", User: "alice@example.com", Password: "right"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("EWSMON_PASSWORD", "wrong")
	s, err := parseDashboardArgs([]string{"--url", srv.URL(), "--auth", "basic", "--user", "alice@example.com"}, envOf(map[string]string{"XDG_CONFIG_HOME": t.TempDir()}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := connectDashboard(ctx, s, watchTarget{}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.close()
	o := dashboardOptions(s, watchTarget{}, keymap.DefaultKeyMap(), conn)
	if o.SetSecret == nil {
		t.Fatal("no SetSecret for basic authentication")
	}
	inbox := ews.Distinguished("inbox")
	if _, err := conn.client.GetFolder(ctx, inbox); err == nil {
		t.Fatal("the wrong password was accepted")
	}
	o.SetSecret("right")
	if _, err := conn.client.GetFolder(ctx, inbox); err != nil {
		t.Fatalf("after SetSecret: %v", err)
	}
	// The simulator takes no password: nothing to ask for.
	s, _ = parseDashboardArgs([]string{"--sim-rate", "0"}, envOf(map[string]string{"XDG_CONFIG_HOME": t.TempDir()}), io.Discard)
	conn2, _, err := connectDashboard(ctx, s, watchTarget{}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.close()
	if dashboardOptions(s, watchTarget{}, keymap.DefaultKeyMap(), conn2).SetSecret != nil {
		t.Error("SetSecret on the embedded simulator")
	}
}
