package cli

import (
	"context"
	"strings"
	"testing"
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
