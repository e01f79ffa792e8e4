package cli

import (
	"io"
	"strings"
	"testing"
)

// A key name the dashboard can never receive ("spce") is refused with the
// names it could have meant, not accepted as a binding that never fires.
func TestConfigKeyNamesAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name, config, want string
	}{
		{"typo", "[keys]\npause = [\"spce\"]\n", `"spce"`},
		{"typo in a profile", "default_profile = \"w\"\n[profiles.w]\nurl = \"https://x/EWS/Exchange.asmx\"\nuser = \"a@b\"\n[profiles.w.keys]\nquit = [\"q\", \"ctrl-q\"]\n", `"ctrl-q"`},
		{"modifier alone", "[keys]\npause = [\"ctrl+\"]\n", `"ctrl+"`},
		{"two characters", "[keys]\npause = [\"pp\"]\n", `"pp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := writeConfig(t, tc.config)
			_, err := parseDashboardArgs(nil, envOf(map[string]string{"XDG_CONFIG_HOME": home}), io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, want := range []string{tc.want, "config ", "space", "enter", "ctrl+"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %s", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
	home := writeConfig(t, "[keys]\npause = [\"space\", \"P\", \"ctrl+alt+p\", \"shift+tab\", \"f5\", \"?\", \"pgdown\", \"é\"]\n")
	if _, err := parseDashboardArgs(nil, envOf(map[string]string{"XDG_CONFIG_HOME": home}), io.Discard); err != nil {
		t.Fatalf("valid key names refused: %v", err)
	}
}

// `pause = "p"` (a string where a list is expected) is one key.
func TestConfigListAcceptsOneString(t *testing.T) {
	home := writeConfig(t, "default_profile = \"w\"\n[keys]\npause = \"p\"\n[profiles.w]\nurl = \"https://x/EWS/Exchange.asmx\"\nuser = \"a@b\"\nfolders = \"inbox\"\nevents = \"NewMail\"\n[profiles.w.keys]\nquit = \"ctrl+q\"\n")
	s, err := parseDashboardArgs(nil, envOf(map[string]string{"XDG_CONFIG_HOME": home}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Keys["pause"], ","); got != "p" {
		t.Errorf("pause = %q", got)
	}
	if got := strings.Join(s.Keys["quit"], ","); got != "ctrl+q" {
		t.Errorf("quit = %q", got)
	}
	if strings.Join(s.Folders, ",") != "inbox" || strings.Join(s.Events, ",") != "NewMail" {
		t.Errorf("folders %q, events %q", s.Folders, s.Events)
	}
	// Anything else where a list belongs is one sentence that says so.
	home = writeConfig(t, "[keys]\npause = 3\n")
	_, err = parseDashboardArgs(nil, envOf(map[string]string{"XDG_CONFIG_HOME": home}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "pause") || !strings.Contains(err.Error(), `["p"]`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("pause = 3: %v", err)
	}
}
