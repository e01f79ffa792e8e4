package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
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

// TestInteropExchangelibPush: exchangelib's push subscription
// (Folder.subscribe_to_push) with its own listener, which parses every
// POST with exchangelib's SendNotification service: the new mail's
// CreatedEvent and NewMailEvent and a StatusEvent (the simulator's minute
// is a second here) arrive for exchangelib's subscription id; answering
// Unsubscribe ends the subscription — the simulator POSTs nothing more and
// forgets it.
func TestInteropExchangelibPush(t *testing.T) {
	requireExchangelib(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logw := &interopLog{}
	srv, err := sim.Start(ctx, sim.Config{
		Auth:       sim.AuthConfig{Mode: "basic", User: "alice@example.com", Password: "Secr3t!", Domain: "example.com"},
		Log:        logw,
		PushMinute: time.Second,
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cmd := exec.CommandContext(ctx, debianPython, "testdata/interop/exchangelib_push.py", srv.URL(), "alice@example.com", "Secr3t!")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("exchangelib push flow failed: %v\n%s\nsimulator log:\n%s", err, stderr.String(), logw.String())
	}
	var res struct {
		SubscriptionID string             `json:"subscription_id"`
		Events         []exchangelibEvent `json:"events"`
		Posts          struct {
			Before int `json:"before_unsubscribe"`
			After  int `json:"after_unsubscribe"`
		} `json:"posts"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("exchangelib push flow printed %q: %v", out, err)
	}
	t.Logf("push %s: %d POSTs, events %v", res.SubscriptionID, res.Posts.Before, res.Events)
	if len(res.Errors) > 0 {
		t.Errorf("exchangelib could not parse a notification: %v", res.Errors)
	}
	for _, want := range []string{"CreatedEvent", "NewMailEvent", "StatusEvent"} {
		if !interopHasEvent(res.Events, want) {
			t.Errorf("exchangelib's listener saw %+v, want a %s", res.Events, want)
		}
	}
	if res.Posts.After != 0 {
		t.Errorf("%d POSTs after the listener answered Unsubscribe, want none", res.Posts.After)
	}
	if st := srv.Stats(); st.Push != 0 {
		t.Errorf("the simulator still has %d push subscriptions after Unsubscribe", st.Push)
	}
}

// ewsjsVersion is the ews-javascript-api release .ci/run installs from
// npm into ewsjsModules (or $EWSMON_EWSJS_MODULES).
const (
	ewsjsVersion = "0.15.3"
	ewsjsModules = "/usr/local/lib/ewsmon-interop/node_modules"
)

func requireEwsJs(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EWSMON_EWSJS_MODULES")
	if dir == "" {
		dir = ewsjsModules
	}
	install := fmt.Sprintf("install node and npm (apt-get install nodejs npm), then npm install --prefix %s ews-javascript-api@%s",
		strings.TrimSuffix(dir, "/node_modules"), ewsjsVersion)
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("the ews-javascript-api interop test needs node: %s", install)
	}
	if _, err := os.Stat(dir + "/ews-javascript-api/package.json"); err != nil {
		t.Fatalf("the ews-javascript-api interop test needs ews-javascript-api in %s: %s", dir, install)
	}
	return dir
}

// TestInteropEwsJsPush: ews-javascript-api's SubscribeToPushNotifications
// (Basic, Exchange2016) is accepted and its callback — a listener of the
// kind its users write, since the library has none — receives the new
// mail's events for that subscription; answering Unsubscribe ends it.
func TestInteropEwsJsPush(t *testing.T) {
	modules := requireEwsJs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logw := &interopLog{}
	srv, err := sim.Start(ctx, sim.Config{
		Auth: sim.AuthConfig{Mode: "basic", User: "alice@example.com", Password: "Secr3t!", Domain: "example.com"},
		Log:  logw,
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cmd := exec.CommandContext(ctx, "node", "testdata/interop/ewsjs_push.js", srv.URL(), "alice@example.com", "Secr3t!")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ews-javascript-api push flow failed: %v\n%s\nsimulator log:\n%s", err, stderr.String(), logw.String())
	}
	var res struct {
		SubscriptionID  string   `json:"subscription_id"`
		SubscriptionIDs []string `json:"subscription_ids"`
		Events          []string `json:"events"`
		Action          string   `json:"action"`
		Posts           struct {
			Before int `json:"before_unsubscribe"`
			After  int `json:"after_unsubscribe"`
		} `json:"posts"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ews-javascript-api push flow printed %q: %v", out, err)
	}
	t.Logf("push %s: %d POSTs, events %v", res.SubscriptionID, res.Posts.Before, res.Events)
	if res.SubscriptionID == "" || len(res.SubscriptionIDs) == 0 {
		t.Fatalf("no subscription id: %+v", res)
	}
	for _, id := range res.SubscriptionIDs {
		if id != res.SubscriptionID {
			t.Errorf("a notification for %s, want only %s", id, res.SubscriptionID)
		}
	}
	for _, want := range []string{"CreatedEvent", "NewMailEvent"} {
		if !slices.Contains(res.Events, want) {
			t.Errorf("the listener saw %v, want a %s", res.Events, want)
		}
	}
	if res.Posts.After != 0 {
		t.Errorf("%d POSTs after the listener answered Unsubscribe, want none", res.Posts.After)
	}
	if st := srv.Stats(); st.Push != 0 {
		t.Errorf("the simulator still has %d push subscriptions after Unsubscribe", st.Push)
	}
}
