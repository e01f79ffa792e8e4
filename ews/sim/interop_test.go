package sim_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews/sim"
)

// Interop: exchangelib, a widely used third-party EWS client (Debian's
// python3-exchangelib, run with Debian's /usr/bin/python3, not whatever
// python3 is first on PATH), works against the simulator unchanged: pull
// and streaming subscriptions receive the NewMailEvent of a new-mail
// action fired through POST /sim/actions, and SyncFolderHierarchy returns
// the folder tree. See docs/interop.md.

const debianPython = "/usr/bin/python3"

func requireExchangelib(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(debianPython); err != nil {
		t.Fatalf("interop tests need Debian's %s with exchangelib: install python3-exchangelib (apt-get install python3-exchangelib): %v", debianPython, err)
	}
	out, err := exec.Command(debianPython, "-c", "import exchangelib; print(exchangelib.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("interop tests need exchangelib for %s: install python3-exchangelib (apt-get install python3-exchangelib): %v: %s", debianPython, err, out)
	}
	t.Logf("exchangelib %s", strings.TrimSpace(string(out)))
}

type exchangelibResult struct {
	ServerBuild string `json:"server_build"`
	APIVersion  string `json:"api_version"`
	Inbox       struct{ Name, ID string }
	Pull        []exchangelibEvent `json:"pull"`
	Streaming   []exchangelibEvent `json:"streaming"`
	Sync        []struct {
		Change, Name, ID, Parent, Class string
	} `json:"sync"`
	SyncState string `json:"sync_state"`
}

type exchangelibEvent struct {
	Type   string `json:"type"`
	ItemID string `json:"item_id"`
}

func TestInteropExchangelib(t *testing.T) {
	requireExchangelib(t)
	for _, tc := range []struct {
		name, auth, clientAuth, user, version string
	}{
		// Basic, with the version given: no probing.
		{"basic", "basic", "basic", "alice@example.com", "2016"},
		// NTLM (requests-ntlm: a full handshake per request), and the
		// version guessed by exchangelib's ConvertId probe.
		{"ntlm", "ntlm", "ntlm", `EXAMPLE\alice`, "guess"},
		// The auth type detected from the 401 of an unauthenticated probe.
		{"ntlm-detected", "ntlm", "auto", "alice@example.com", "2016"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			logw := &interopLog{}
			srv, err := sim.Start(ctx, sim.Config{
				Auth: sim.AuthConfig{Mode: tc.auth, User: "alice@example.com", Password: "Secr3t!", Domain: "example.com"},
				Log:  logw,
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()

			cmd := exec.CommandContext(ctx, debianPython, "testdata/interop/exchangelib_flow.py",
				srv.URL(), tc.clientAuth, tc.user, "Secr3t!", tc.version)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("exchangelib flow failed: %v\n%s\nsimulator log:\n%s", err, stderr.String(), logw.String())
			}
			var res exchangelibResult
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("exchangelib flow printed %q: %v", out, err)
			}
			t.Logf("server %s, API %s; pull %v; streaming %v; %d folders", res.ServerBuild, res.APIVersion, res.Pull, res.Streaming, len(res.Sync))

			if !strings.EqualFold(res.Inbox.Name, "Inbox") || res.Inbox.ID == "" {
				t.Errorf("inbox = %+v", res.Inbox)
			}
			for name, evs := range map[string][]exchangelibEvent{"pull": res.Pull, "streaming": res.Streaming} {
				if !interopHasEvent(evs, "NewMailEvent") || !interopHasEvent(evs, "CreatedEvent") {
					t.Errorf("%s: events %+v, want the new mail's CreatedEvent and NewMailEvent", name, evs)
				}
			}

			// The tree: the standard folders, each under a folder of the tree
			// (or the root, which a sync from the root does not list).
			names := map[string]bool{}
			ids := map[string]bool{}
			for _, f := range res.Sync {
				names[f.Name] = true
				ids[f.ID] = true
				if f.Change != "create" {
					t.Errorf("first sync reported %q for %s, want create", f.Change, f.Name)
				}
			}
			for _, want := range []string{"Inbox", "Drafts", "Sent Items", "Deleted Items", "Outbox", "Junk Email", "Calendar", "Contacts", "Tasks", "Notes"} {
				if !names[want] {
					t.Errorf("SyncFolderHierarchy lacks %q; got %v", want, names)
				}
			}
			orphans := map[string]bool{}
			for _, f := range res.Sync {
				if !ids[f.Parent] {
					orphans[f.Parent] = true
				}
			}
			if len(orphans) > 1 {
				t.Errorf("folders hang under %d parents outside the tree, want only the root: %v", len(orphans), orphans)
			}
			if res.SyncState == "" {
				t.Error("no SyncState after the sync")
			}
		})
	}
}

// TestInteropExchangelibWrongPassword: exchangelib with a wrong NTLM or
// Basic password is refused (401) and says so.
func TestInteropExchangelibWrongPassword(t *testing.T) {
	requireExchangelib(t)
	for _, auth := range []string{"basic", "ntlm"} {
		t.Run(auth, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			srv, err := sim.Start(ctx, sim.Config{
				Auth: sim.AuthConfig{Mode: auth, User: "alice@example.com", Password: "Secr3t!"},
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			out, err := exec.CommandContext(ctx, debianPython, "testdata/interop/exchangelib_flow.py",
				srv.URL(), auth, "alice@example.com", "secret", "2016").CombinedOutput()
			if err == nil {
				t.Fatalf("exchangelib with a wrong password succeeded:\n%s", out)
			}
			if !strings.Contains(string(out), "UnauthorizedError") {
				t.Fatalf("want exchangelib's UnauthorizedError, got:\n%s", out)
			}
		})
	}
}

func interopHasEvent(evs []exchangelibEvent, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// interopLog collects the simulator's request log for failure messages.
type interopLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *interopLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *interopLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
