package sim

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// journal renders a mailbox's journal (types, subjects of items and folder
// names) so two runs can be compared.
func journalOf(s *Server, mb int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, je := range s.mailboxes[mb].journal {
		fmt.Fprintf(&b, "%s %s %s\n", je.ev.Type, je.ev.ItemId.Id, je.ev.FolderId.Id)
	}
	return b.String()
}

// checkInvariants verifies the store after many random actions.
func checkInvariants(t *testing.T, s *Server) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, mb := range s.mailboxes {
		for _, f := range s.allFolders(mb) {
			unread := 0
			for i, it := range f.items {
				if it.folder != f || it.idx != i || s.items[it.id] != it {
					t.Fatalf("item %s in %s is inconsistent", it.id, f.name)
				}
				if !it.read {
					unread++
				}
			}
			if unread != f.unread {
				t.Fatalf("%s: unread %d, counted %d", f.name, f.unread, unread)
			}
			if s.folders[f.id] != f {
				t.Fatalf("folder %s not indexed", f.name)
			}
		}
	}
}

func TestActivitySeedRepeats(t *testing.T) {
	t.Parallel()
	// Exchange 2010's store: the only one that fires CopiedEvent.
	run := func(seed int64) string {
		s, err := New(Config{Server: "exchange2010", Seed: seed, Clock: ews.NewFakeClock(epoch), Mailboxes: []string{"a@example.com", "b@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.mu.Lock()
		for i := 0; i < 3000; i++ {
			s.randomAction()
		}
		s.mu.Unlock()
		checkInvariants(t, s)
		return journalOf(s, 0) + journalOf(s, 1)
	}
	a, b, c := run(42), run(42), run(7)
	if a != b {
		t.Fatal("same seed, different activity")
	}
	if a == c {
		t.Fatal("different seeds, same activity")
	}
	if r1, r2 := run(0), run(0); r1 == r2 {
		t.Fatal("seed 0 (random) repeated the same activity")
	}
	// The mix covers every kind of event.
	for _, et := range ews.AllEventTypes {
		if !strings.Contains(a, string(et)+" ") {
			t.Errorf("3000 random actions fired no %s", et)
		}
	}
}

func TestActivityRateFollowsTheClock(t *testing.T) {
	t.Parallel()
	clk := ews.NewFakeClock(epoch)
	s, err := New(Config{Clock: clk, Rate: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Activity() != 2 {
		t.Fatalf("Activity() = %v", s.Activity())
	}
	count := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return int(s.mailboxes[0].head())
	}
	// 100 simulated seconds at 2 actions/s: about 200 actions.
	actions := 0
	for i := 0; i < 1000 && clk.Now().Sub(epoch) < 100*time.Second; i++ {
		if !clk.WaitForWaiters(1, 5*time.Second) {
			t.Fatal("generator does not wait on the clock")
		}
		before := count()
		clk.Advance(100 * time.Millisecond)
		deadline := time.Now().Add(5 * time.Second)
		for clk.Waiters() == 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Microsecond)
		}
		if count() > before {
			actions++
		}
	}
	if actions < 120 || actions > 280 {
		t.Errorf("%d actions in 100 s at rate 2", actions)
	}
	s.SetActivity(0)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		on := s.genOn
		s.mu.Unlock()
		if !on {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("generator still running after SetActivity(0)")
		}
		time.Sleep(time.Millisecond)
	}
	before := count()
	clk.Advance(time.Hour)
	if count() != before || s.Activity() != 0 {
		t.Fatal("activity after SetActivity(0)")
	}
}

func TestActErrors(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Clock: ews.NewFakeClock(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, req := range []ActionRequest{{Action: "dance"}, {Action: "new-mail", Mailbox: "zed@example.com"}, {Action: "new-mail", Folder: "No Such"}, {Action: "delete-folder", Folder: "inbox"}, {Action: "soft-delete", Folder: "deleteditems"}} {
		if _, err := s.Act(ctx, req); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want one clear line", req, err)
		}
	}
	// Paths and display names work as folder names.
	for _, f := range []string{"Inbox/Projects/Alpha", "alpha", "Sent Items", "sentitems"} {
		if _, err := s.Act(ctx, ActionRequest{Action: "new-mail", Folder: f}); err != nil {
			t.Errorf("folder %q: %v", f, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Act(cancelled, ActionRequest{Action: "new-mail"}); err == nil {
		t.Error("Act with a cancelled context succeeded")
	}
	for _, bad := range []Config{{Mailboxes: []string{"not-an-address"}}, {Mailboxes: []string{"a@x.y", "A@x.y"}}, {Rate: -1}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// Rates the generator cannot keep (a typo, +Inf) are slowed to MaxRate, so
// it still sleeps between actions instead of spinning.
func TestActivityRateBounded(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Clock: ews.NewFakeClock(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct{ set, want float64 }{{math.Inf(1), MaxRate}, {1e9, MaxRate}, {math.NaN(), 0}, {-1, 0}, {3, 3}} {
		s.SetActivity(tc.set)
		if got := s.Activity(); got != tc.want {
			t.Errorf("SetActivity(%v): Activity() = %v, want %v", tc.set, got, tc.want)
		}
	}
}

// TestActivityOnEveryProfile: the generator's whole mix, new actions
// included, keeps the store consistent on every profile and performs every
// action.
func TestActivityOnEveryProfile(t *testing.T) {
	t.Parallel()
	for _, p := range Profiles {
		s, err := New(Config{Server: p.Name, Seed: 3, Clock: ews.NewFakeClock(epoch), Mailboxes: []string{"a@example.com", "b@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		s.mu.Lock()
		for i := 0; i < 3000; i++ {
			mb := s.mailboxes[i%2]
			name := Actions[s.rng.IntN(len(Actions))]
			if _, err := s.act(ActionRequest{Action: name, Mailbox: mb.smtp}); err == nil {
				seen[name] = true
			}
			s.randomAction()
		}
		s.mu.Unlock()
		checkInvariants(t, s)
		for _, a := range Actions {
			if !seen[a] {
				t.Errorf("%s: %s never succeeded in 3000 tries", p.Name, a)
			}
		}
		s.Close()
	}
}
