package cli

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// A bad value from the config file or the environment is named where it
// came from, not as a flag the user never passed.
func TestBadValueNamesItsOrigin(t *testing.T) {
	home := writeConfig(t, "theme = \"purple\"\nmax_events = -5\ndefault_profile = \"x\"\n[profiles.x]\nmode = \"carrier-pigeon\"\n")
	file := filepath.Join(home, "ewsmon", "config.toml")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"mode from the file", nil, map[string]string{"XDG_CONFIG_HOME": home}, "config " + file + `: mode "carrier-pigeon"`},
		{"theme from the file", []string{"--mode", "pull"}, map[string]string{"XDG_CONFIG_HOME": home}, "config " + file + `: theme "purple"`},
		{"max_events from the file", []string{"--mode", "pull", "--theme", "dark"}, map[string]string{"XDG_CONFIG_HOME": home}, "config " + file + ": max_events -5"},
		{"auth from the environment", nil, map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "EWSMON_AUTH": "kerberos"}, `EWSMON_AUTH "kerberos"`},
		{"theme flag", []string{"--mode", "pull", "--theme", "purple"}, map[string]string{"XDG_CONFIG_HOME": home}, `--theme "purple"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDashboardArgs(tt.args, envOf(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
