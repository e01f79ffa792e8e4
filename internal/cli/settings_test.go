package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/keymap"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ewsmon"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ewsmon", "config.toml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

const sampleConfig = `
default_profile = "work"
theme = "light"
[keys]
quit = ["q", "ctrl+q"]
[profiles.work]
url = "https://mail.example.com/EWS/Exchange.asmx"
user = 'CORP\alice'
auth = "ntlm"
anchor_mailbox = "alice@example.com"
mode = "pull"
folders = ["inbox", "calendar"]
[profiles.lab]
url = "https://lab.example.com/EWS/Exchange.asmx"
user = "bob@lab.example.com"
auth = "basic"
insecure = true
[profiles.lab.keys]
pause = ["p"]
`

func TestParseDashboardArgs(t *testing.T) {
	cfgHome := writeConfig(t, sampleConfig)
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, s Settings)
	}{
		{"no config: simulator defaults", nil, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, func(t *testing.T, s Settings) {
			if !s.UseSimulator() || s.Mode != "streaming" || s.Auth != "ntlm" || s.Theme != "auto" || s.MaxEvents != 100000 {
				t.Errorf("defaults: %+v", s)
			}
		}},
		{"default profile from file", nil, map[string]string{"XDG_CONFIG_HOME": cfgHome}, func(t *testing.T, s Settings) {
			if s.ProfileName != "work" || s.URL != "https://mail.example.com/EWS/Exchange.asmx" || s.User != `CORP\alice` || s.Mode != "pull" || s.Theme != "light" {
				t.Errorf("profile work: %+v", s)
			}
			if strings.Join(s.Folders, ",") != "inbox,calendar" {
				t.Errorf("folders = %v", s.Folders)
			}
			if strings.Join(s.Keys["quit"], ",") != "q,ctrl+q" {
				t.Errorf("keys = %v", s.Keys)
			}
		}},
		{"--profile chooses another, with its keys", []string{"--profile", "lab"}, map[string]string{"XDG_CONFIG_HOME": cfgHome}, func(t *testing.T, s Settings) {
			if s.URL != "https://lab.example.com/EWS/Exchange.asmx" || s.Auth != "basic" || !s.Insecure || s.Mode != "streaming" {
				t.Errorf("profile lab: %+v", s)
			}
			if strings.Join(s.Keys["pause"], ",") != "p" || len(s.Keys["quit"]) != 2 {
				t.Errorf("keys = %v", s.Keys)
			}
		}},
		{"flags beat environment beats file", []string{"--mode", "streaming"}, map[string]string{"XDG_CONFIG_HOME": cfgHome, "EWSMON_USER": "env@example.com"}, func(t *testing.T, s Settings) {
			if s.Mode != "streaming" || s.User != "env@example.com" || s.URL != "https://mail.example.com/EWS/Exchange.asmx" {
				t.Errorf("precedence: %+v", s)
			}
		}},
		{"NO_COLOR wins over the theme", nil, map[string]string{"XDG_CONFIG_HOME": cfgHome, "NO_COLOR": "1"}, func(t *testing.T, s Settings) {
			if s.Theme != "none" {
				t.Errorf("theme = %q", s.Theme)
			}
		}},
		{"--compare with --poll and --sim-push-minute", []string{"--compare", "--poll", "1s", "--sim-push-minute", "2s"}, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, func(t *testing.T, s Settings) {
			if !s.Compare || s.Poll != time.Second || s.SimPushMinute != 2*time.Second {
				t.Errorf("compare settings: %+v", s)
			}
			o := dashboardOptions(s, watchTarget{}, keymap.DefaultKeyMap(), &dashboardConn{})
			if o.Watch.PollInterval != time.Second {
				t.Errorf("the dashboard's pull interval is %v, want --poll's 1s", o.Watch.PollInterval)
			}
		}},
		{"--folders all means no folder list", []string{"--folders", "all", "--events", "NewMail,moved"}, map[string]string{"XDG_CONFIG_HOME": cfgHome}, func(t *testing.T, s Settings) {
			wc, err := watchTargets(s.Folders, s.Events)
			if err != nil || len(wc.Folders) != 0 || len(wc.EventTypes) != 2 || wc.EventTypes[1] != ews.MovedEvent {
				t.Errorf("targets %+v, %v", wc, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseDashboardArgs(tt.args, envOf(tt.env), io.Discard)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseDashboardArgsErrors(t *testing.T) {
	cfgHome := writeConfig(t, sampleConfig)
	badHome := writeConfig(t, "default_profile = \"x\"\n[profiles.x]\nurl = \n")
	unknownHome := writeConfig(t, "colour = \"red\"\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"password flag refused", []string{"--password", "secret"}, nil, "--password is not accepted"},
		{"unknown profile", []string{"--profile", "nope"}, map[string]string{"XDG_CONFIG_HOME": cfgHome}, `profile "nope" not found in`},
		{"bad mode", []string{"--mode", "push-pull"}, nil, `--mode "push-pull"`},
		{"bad auth", []string{"--auth", "kerberos"}, nil, `--auth "kerberos"`},
		{"bad event type", []string{"--events", "NewMail,Exploded"}, nil, `unknown event type "Exploded"`},
		{"url without user", []string{"--url", "https://x/EWS/Exchange.asmx"}, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, "--user is needed"},
		{"url without scheme", []string{"--url", "mail.example.com", "--user", "a@b"}, nil, "must start with https://"},
		{"broken toml", nil, map[string]string{"XDG_CONFIG_HOME": badHome}, "config " + filepath.Join(badHome, "ewsmon", "config.toml")},
		{"unknown setting", nil, map[string]string{"XDG_CONFIG_HOME": unknownHome}, `unknown setting "colour"`},
		{"missing explicit config", []string{"--config", "/nonexistent/ewsmon.toml"}, nil, "does not exist"},
		{"stray argument", []string{"dashboard"}, nil, `unexpected argument "dashboard"`},
		{"bad flag", []string{"--frobnicate"}, nil, "flag provided but not defined: -frobnicate"},
		{"sim rate NaN", []string{"--sim-rate", "NaN"}, nil, "--sim-rate NaN: use 0 (off) to 1000"},
		{"sim rate too high", []string{"--sim-rate", "1e9"}, nil, "--sim-rate 1e+09: use 0 (off) to 1000"},
		{"sim rate negative", []string{"--sim-rate", "-1"}, nil, "--sim-rate -1: use 0 (off) to 1000"},
		{"compare with a mode", []string{"--compare", "--mode", "pull"}, nil, "--compare runs streaming, pull and push at once: leave out --mode pull"},
		{"poll too short", []string{"--poll", "10ms"}, nil, "--poll 10ms: must be at least 100ms"},
		{"poll negative", []string{"--poll", "-1s"}, nil, "--poll -1s: must be positive"},
		{"sim push minute too long", []string{"--sim-push-minute", "2m"}, nil, "--sim-push-minute 2m0s: use 1s to 1m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == nil {
				tt.env = map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
			}
			_, err := parseDashboardArgs(tt.args, envOf(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	var out strings.Builder
	_, err := parseDashboardArgs([]string{"--help"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"--url", "--password-cmd", "--profile", "EWSMON_PASSWORD", "config.toml", "NO_COLOR", "ewsmon sim", "ewsmon watch", "ewsmon decode"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
	if _, err := parseDashboardArgs([]string{"--version"}, envOf(nil), io.Discard); !errors.Is(err, errVersion) {
		t.Fatalf("--version: %v", err)
	}
}

func TestResolveSecret(t *testing.T) {
	ctx := context.Background()
	s := Settings{Profile: Profile{URL: "https://x", User: "alice", Auth: "ntlm"}}
	if got, err := resolveSecret(ctx, s, envOf(map[string]string{"EWSMON_PASSWORD": "pw1"}), nil, io.Discard); err != nil || got != "pw1" {
		t.Errorf("env: %q %v", got, err)
	}
	s.PasswordCmd = "printf 'pw2\\nignored'"
	if got, err := resolveSecret(ctx, s, envOf(nil), nil, io.Discard); err != nil || got != "pw2" {
		t.Errorf("command: %q %v", got, err)
	}
	s.PasswordCmd = "echo nope >&2; exit 3"
	if _, err := resolveSecret(ctx, s, envOf(nil), nil, io.Discard); err == nil || strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "--password-cmd failed: exit status 3") {
		t.Errorf("failing command (its stderr must not show): %v", err)
	}
	s.PasswordCmd = ""
	if _, err := resolveSecret(ctx, s, envOf(nil), nil, io.Discard); err == nil || !strings.Contains(err.Error(), "EWSMON_PASSWORD") {
		t.Errorf("no terminal: %v", err)
	}
	b := Settings{Profile: Profile{URL: "https://x", Auth: "bearer"}}
	if got, err := resolveSecret(ctx, b, envOf(map[string]string{"EWSMON_TOKEN": "tok"}), nil, io.Discard); err != nil || got != "tok" {
		t.Errorf("token: %q %v", got, err)
	}
}

// A failing --password-cmd is one line that names the setting and the exit
// status, and shows neither what the command printed nor the command: both
// may hold the secret.
func TestSecretCommandFailureHidesTheSecret(t *testing.T) {
	const secret = "hunter2-s3cret"
	tests := []struct {
		name, cmd, flag, want string
	}{
		{"secret on stderr", "echo " + secret + " >&2; exit 1", "--password-cmd", "--password-cmd failed: exit status 1 (its output is not shown: it may hold the secret)"},
		{"secret on stdout", "echo " + secret + "; echo 'vault: locked' >&2; exit 2", "--token-cmd", "--token-cmd failed: exit status 2 (its output is not shown: it may hold the secret)"},
		{"nothing printed", "true", "--password-cmd", "--password-cmd printed nothing on its first line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runSecretCmd(context.Background(), tc.cmd, tc.flag)
			if err == nil {
				t.Fatalf("no error, secret %q", got)
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q shows the secret or is not one line", err)
			}
		})
	}
	// A working command still gives its first line.
	if got, err := runSecretCmd(context.Background(), "printf '"+secret+"\\nsecond\\n'", "--password-cmd"); err != nil || got != secret {
		t.Fatalf("got %q, %v; want the first line", got, err)
	}
}

func TestCleartextWarning(t *testing.T) {
	for _, tc := range []struct {
		url  string
		auth ews.AuthKind
		want string
	}{
		{"http://mail.example.com/EWS/Exchange.asmx", ews.AuthBasic, "basic authentication over plain http:// to mail.example.com sends the password in clear text"},
		{"HTTP://mail.example.com:8080/EWS/Exchange.asmx", ews.AuthBasic, "basic authentication over plain http:// to mail.example.com:8080 sends the password in clear text"},
		{"http://10.0.0.5/EWS/Exchange.asmx", ews.AuthBearer, "bearer authentication over plain http:// to 10.0.0.5 sends the token in clear text"},
		{"https://mail.example.com/EWS/Exchange.asmx", ews.AuthBasic, ""},
		{"http://mail.example.com/EWS/Exchange.asmx", ews.AuthNTLM, ""},
		{"http://mail.example.com/EWS/Exchange.asmx", ews.AuthNone, ""},
		{"http://127.0.0.1:8080/EWS/Exchange.asmx", ews.AuthBasic, ""},
		{"http://127.1.2.3/EWS/Exchange.asmx", ews.AuthBasic, ""},
		{"http://[::1]:8080/EWS/Exchange.asmx", ews.AuthBasic, ""},
		{"http://localhost:8080/EWS/Exchange.asmx", ews.AuthBasic, ""},
		{"http://LocalHost./EWS/Exchange.asmx", ews.AuthBasic, ""},
		{"http://[::ffff:10.0.0.1]/EWS/Exchange.asmx", ews.AuthBasic, "basic authentication over plain http:// to [::ffff:10.0.0.1] sends the password in clear text"},
	} {
		if got := cleartextWarning(tc.url, tc.auth); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.auth, tc.url, got, tc.want)
		}
	}
}
