package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// TestMatrixThroughTheClient: for every profile × scope × action, the events
// that reach the real client over loopback HTTP — through pull (GetEvents)
// and streaming (GetStreamingEvents) — are exactly the matrix's, in order.
// Folder-scoped subscriptions name the visible folders the cell's events
// name.
func TestMatrixThroughTheClient(t *testing.T) {
	t.Parallel()
	for _, p := range Profiles {
		for _, r := range Matrix {
			t.Run(p.Name+"/"+r.Action, func(t *testing.T) { matrixThroughClient(t, p, r) })
		}
	}
}

func matrixThroughClient(t *testing.T, p *Profile, r MatrixRow) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := Start(ctx, Config{Server: p.Name, Seed: 1, Mailboxes: []string{"alice@example.com", "bob@example.com"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: ews.AuthNone, HTTPTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range r.Prepare {
		if _, err := srv.Act(ctx, pr); err != nil {
			t.Fatalf("prepare %s: %v", pr.Action, err)
		}
	}
	name := (&env{t: t, s: srv}).folderNamer()
	type sub struct {
		scope, mode string
		id, wm      string
		want        []string
		got         []string
	}
	var subs []*sub
	for _, scope := range []string{ScopeFolders, ScopeAll} {
		cell := r.Cell(p.Store(), scope)
		var folders []ews.FolderRef
		if scope == ScopeFolders {
			folders = cellFolders(t, srv, cell)
		}
		for _, mode := range []ews.Mode{ews.ModePull, ews.ModeStreaming} {
			res, err := c.Subscribe(ctx, ews.SubscribeRequest{Mode: mode, Folders: folders, Timeout: 10})
			if err != nil {
				t.Fatalf("%s %s subscribe: %v", scope, mode, err)
			}
			subs = append(subs, &sub{scope: scope, mode: string(mode), id: res.SubscriptionId, wm: res.Watermark, want: cell.Events})
		}
	}
	var streamIDs []string
	for _, s := range subs {
		if s.mode == string(ews.ModeStreaming) {
			streamIDs = append(streamIDs, s.id)
		}
	}
	st, err := c.GetStreamingEvents(ctx, ews.GetStreamingEventsRequest{SubscriptionIds: streamIDs, ConnectionTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if m, err := st.Next(); err != nil || m.ConnectionStatus != "OK" {
		t.Fatalf("stream did not open: %v %+v", err, m)
	}
	if _, err := srv.Act(ctx, ActionRequest{Action: r.Action, Folder: r.Folder, To: r.To}); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*sub{}
	for _, s := range subs {
		byID[s.id] = s
	}
	// Streaming: read until every streaming subscription has its events.
	for done := false; !done; {
		done = true
		for _, s := range subs {
			if s.mode == string(ews.ModeStreaming) && len(s.got) < len(s.want) {
				done = false
			}
		}
		if done {
			break
		}
		m, err := st.Next()
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		for _, n := range m.Notifications {
			s := byID[n.SubscriptionId]
			for _, ev := range n.Events {
				if ev.Type != ews.StatusEvent {
					s.got = append(s.got, describe(ev, name))
				}
			}
		}
	}
	// Pull: one GetEvents from the subscription's watermark (the matrix's
	// cells are far below the 50 events of one answer).
	for _, s := range subs {
		if s.mode != string(ews.ModePull) {
			continue
		}
		n, err := c.GetEvents(ctx, s.id, s.wm)
		if err != nil {
			t.Fatalf("GetEvents: %v", err)
		}
		for _, ev := range n.Events {
			if ev.Type != ews.StatusEvent {
				s.got = append(s.got, describe(ev, name))
			}
		}
	}
	for _, s := range subs {
		if !matchSpec(s.got, s.want) {
			t.Errorf("%s to %s over %s got\n  %s\nwant\n  %s", r.Action, s.scope, s.mode, strings.Join(s.got, "\n  "), strings.Join(s.want, "\n  "))
		}
	}
}

// cellFolders are the visible folders a cell's events name, as folder
// references for a folder-scoped Subscribe.
func cellFolders(t *testing.T, s *Server, cell *MatrixCell) []ews.FolderRef {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxes[0]
	seen := map[string]bool{}
	var out []ews.FolderRef
	for _, e := range cell.Events {
		where := strings.SplitN(e, " ", 3)[2]
		for _, n := range strings.Split(where, "<-") {
			if strings.HasPrefix(n, "$") || seen[n] {
				continue
			}
			seen[n] = true
			f := s.findFolderByName(mb, n)
			if f == nil {
				t.Fatalf("no folder %q", n)
			}
			if !f.hidden {
				out = append(out, ews.FolderRefOf(f.ref()))
			}
		}
	}
	return out
}
