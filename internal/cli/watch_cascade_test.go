package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/model"
)

// eventsOf are the event lines of watch output.
func eventsOf(t *testing.T, out string) []ews.Record {
	t.Helper()
	events, _ := watchLines(t, out)
	return events
}

// act fires a simulator action and returns its events.
func act(t *testing.T, ctx context.Context, srv *sim.Server, action, folder string) []ews.Event {
	t.Helper()
	res, err := srv.Act(ctx, sim.ActionRequest{Action: action, Folder: folder})
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return res.Events
}

// checkCascade checks that lines are exactly the events fired (by id and
// type), all in one cascade with the label, and returns the cascade.
func checkCascade(t *testing.T, lines []ews.Record, fired []ews.Event, label string) uint64 {
	t.Helper()
	if len(lines) != len(fired) {
		t.Fatalf("%d lines for %d events fired", len(lines), len(fired))
	}
	id := lines[0].Cascade
	for i, r := range lines {
		f := fired[i]
		if r.Type != string(f.Type) || r.ItemId != f.ItemId.Id || r.FolderId != f.FolderId.Id {
			t.Errorf("line %d %s %s%s, fired %s %s%s", i, r.Type, r.ItemId, r.FolderId, f.Type, f.ItemId.Id, f.FolderId.Id)
		}
		if id == 0 || r.Cascade != id || r.CascadeLabel != label {
			t.Errorf("line %d %s: cascade %d %q, want %d %q", i, r.Type, r.Cascade, r.CascadeLabel, id, label)
		}
		if r.ParentFolderId != "" && r.ParentFolderName == "" {
			t.Errorf("line %d %s: no parent_folder_name", i, r.Type)
		}
		if r.FolderId != "" && r.FolderName == "" {
			t.Errorf("line %d %s: no folder_name", i, r.Type)
		}
	}
	return id
}

// TestWatchCascades: the real client against the simulator. Every event
// line of one action shares one cascade id and the dashboard's label, with
// folder names and the message's subject (one GetItem per cascade); a
// meeting request, which reads as new mail until its calendar item arrives,
// is written with its final label only.
func TestWatchCascades(t *testing.T) {
	for _, mode := range []string{"streaming", "pull"} {
		t.Run(mode, func(t *testing.T) {
			ctx, srv := startTestSim(t, sim.Config{})
			var stdout, stderr cmdBuffer
			watchCtx, stop := context.WithCancel(ctx)
			defer stop()
			done := make(chan int, 1)
			go func() {
				done <- runWatch(watchCtx, []string{"--url", srv.URL(), "--auth", "none", "--mode", mode, "--poll", "100ms"}, &stdout, &stderr)
			}()
			waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
			// The soft delete first: were it after the new mail, it could
			// move that very message before its subject is looked up.
			del := act(t, ctx, srv, "soft-delete", "inbox")
			mail := act(t, ctx, srv, "new-mail", "inbox")
			// Its first three events read as new mail; the whole cascade
			// is a meeting request, and only that label is written.
			meeting := act(t, ctx, srv, "meeting-request", "")
			// A last action: its first event completes the meeting request.
			act(t, ctx, srv, "new-mail", "inbox")
			for deadline := time.Now().Add(30 * time.Second); len(eventsOf(t, stdout.String())) < len(mail)+len(del)+len(meeting); {
				if time.Now().After(deadline) {
					t.Fatalf("not all events written:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				}
				time.Sleep(10 * time.Millisecond) // polling the output, with a deadline
			}
			stop()
			if code := <-done; code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			if stderr.String() != "" {
				t.Errorf("stderr %q", stderr.String())
			}
			lines := eventsOf(t, stdout.String())
			c1 := checkCascade(t, lines[:len(del)], del, "Mail deleted from Inbox (moved to Deleted Items)")
			c2 := checkCascade(t, lines[len(del):len(del)+len(mail)], mail, "New mail in Inbox")
			n := len(del) + len(mail)
			c3 := checkCascade(t, lines[n:n+len(meeting)], meeting, "Meeting request in Inbox")
			n += len(meeting)
			if c2 <= c1 || c3 <= c2 {
				t.Errorf("cascades %d, %d, %d", c1, c2, c3)
			}
			// The last action, held when watch stopped, is written at the
			// end, complete.
			if rest := lines[n:]; len(rest) != len(mail) || rest[0].Cascade <= c3 || rest[0].CascadeLabel != "New mail in Inbox" {
				t.Errorf("the last cascade at shutdown: %+v", rest)
			}
			for _, r := range lines[len(del) : len(del)+len(mail)] {
				if r.ItemId != "" && r.Subject == "" {
					t.Errorf("%s of the new mail has no subject", r.Type)
				}
			}
			// Exchange 2019 (the simulator's default) to a subscription on
			// all folders: the move reported from the AllItems search folder,
			// which watch resolves and names.
			if moved := lines[0]; moved.Type != "DeletedEvent" || moved.ParentFolderName != "AllItems search folder" {
				t.Errorf("soft delete from AllItems: %+v", moved)
			}
		})
	}
}

// An event's line waits until no event joined its cascade for CascadeGap,
// timed by the injected clock: nothing is written before, the whole cascade
// after.
func TestWatchHoldsACascadeForTheGap(t *testing.T) {
	ctx, srv := startTestSim(t, sim.Config{})
	clock := ews.NewFakeClock(time.Now())
	var stdout, stderr cmdBuffer
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan int, 1)
	go func() {
		// Pull: one GetEvents answer holds the action's events together,
		// so the one quiet timer is armed once all of them arrived.
		done <- runWatchEnv(watchCtx, []string{"--url", srv.URL(), "--auth", "none", "--mode", "pull", "--poll", "100ms"}, &stdout, &stderr, watchEnv{clock: clock})
	}()
	waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
	mail := act(t, ctx, srv, "new-mail", "inbox")
	if !clock.WaitForWaiters(1, 20*time.Second) {
		t.Fatal("no quiet timer after the events")
	}
	if n := len(eventsOf(t, stdout.String())); n != 0 {
		t.Fatalf("%d event lines before the cascade is complete", n)
	}
	clock.Advance(model.DefaultCascadeGap)
	for deadline := time.Now().Add(20 * time.Second); len(eventsOf(t, stdout.String())) < len(mail); {
		if time.Now().After(deadline) {
			t.Fatalf("the cascade is not written after the gap:\n%s", stdout.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the output, with a deadline
	}
	checkCascade(t, eventsOf(t, stdout.String()), mail, "New mail in Inbox")
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// --no-cascades writes events as they arrive, with the plain fields.
func TestWatchNoCascades(t *testing.T) {
	ctx, srv := startTestSim(t, sim.Config{})
	var stdout, stderr cmdBuffer
	done := make(chan int, 1)
	go func() {
		done <- runWatch(ctx, []string{"--url", srv.URL(), "--auth", "none", "--no-cascades", "--count", "3"}, &stdout, &stderr)
	}()
	waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
	act(t, ctx, srv, "new-mail", "inbox")
	if code := <-done; code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	for _, r := range eventsOf(t, stdout.String()) {
		if r.Cascade != 0 || r.CascadeLabel != "" || r.FolderName != "" || r.ParentFolderName != "" || r.Subject != "" {
			t.Errorf("--no-cascades line %+v", r)
		}
	}
}

// A GetItem that fails leaves the subjects out and says so once; the
// cascades and folder names are still there.
func TestWatchGetItemFails(t *testing.T) {
	ctx, srv := startTestSim(t, sim.Config{})
	var getItems atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte("GetItem")) {
			getItems.Add(1)
			http.Error(w, "GetItem is broken today", http.StatusInternalServerError)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	var stdout, stderr cmdBuffer
	done := make(chan int, 1)
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		done <- runWatch(watchCtx, []string{"--url", ts.URL + "/EWS/Exchange.asmx", "--auth", "none"}, &stdout, &stderr)
	}()
	waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
	m1 := act(t, ctx, srv, "new-mail", "inbox")
	m2 := act(t, ctx, srv, "new-mail", "inbox")
	act(t, ctx, srv, "new-mail", "inbox")
	for deadline := time.Now().Add(30 * time.Second); len(eventsOf(t, stdout.String())) < len(m1)+len(m2); {
		if time.Now().After(deadline) {
			t.Fatalf("events not written:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the output, with a deadline
	}
	stop()
	<-done
	lines := eventsOf(t, stdout.String())
	checkCascade(t, lines[:len(m1)], m1, "New mail in Inbox")
	checkCascade(t, lines[len(m1):len(m1)+len(m2)], m2, "New mail in Inbox")
	for _, r := range lines {
		if r.Subject != "" {
			t.Errorf("subject %q without GetItem", r.Subject)
		}
	}
	if n := strings.Count(stderr.String(), "subjects are left out"); n != 1 || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("stderr %q: want one line saying subjects are left out", stderr.String())
	}
	// One GetItem per cascade at most (each new mail has two item events).
	cascades := map[uint64]bool{}
	for _, r := range lines {
		cascades[r.Cascade] = true
	}
	if n := int(getItems.Load()); n < 1 || n > len(cascades) {
		t.Errorf("%d GetItem calls for %d cascades", n, len(cascades))
	}
}
