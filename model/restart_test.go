package model_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/model"
)

// startSim runs a simulator as `ewsmon sim` does (no seed: ids of its own)
// on a loopback port, and a client for it.
func startSim(t *testing.T, ctx context.Context) (*sim.Server, *ews.Client) {
	t.Helper()
	srv, err := sim.Start(ctx, sim.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := ews.NewClient(ews.Config{URL: srv.URL(), Auth: ews.AuthNone, HTTPTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// A new simulator process (a restart of `ewsmon sim`) refuses the SyncState
// of the old one when the old one had seen more hierarchy changes; the tree
// drops it, and the full sync that follows replaces the tree: the old
// process's folders are gone, the new one's are there.
func TestSyncStateOfAnotherServerRunIsRefusedAndAFullSyncReplacesTheTree(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old, oldC := startSim(t, ctx)
	var created []string
	for range 3 {
		res, err := old.Act(ctx, sim.ActionRequest{Action: "create-folder"})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, first(res.Events, ews.CreatedEvent).FolderId.Id)
	}
	s := model.New(model.Config{Location: time.UTC})
	res, err := oldC.SyncFolderHierarchy(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	s.ApplyFullSync(res)
	for _, id := range created {
		if _, ok := s.Tree().Folder(id); !ok {
			t.Fatalf("created folder %s is not in the first tree", id)
		}
	}

	_, newC := startSim(t, ctx)
	_, err = newC.SyncFolderHierarchy(ctx, s.Tree().SyncState())
	if !ews.SyncStateRefused(err) {
		t.Fatalf("the new server answered the old SyncState with %v, want ErrorInvalidSyncStateData", err)
	}
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Code != "ErrorInvalidSyncStateData" {
		t.Fatalf("error %v is not an EWS ErrorInvalidSyncStateData", err)
	}
	s.Tree().DropSyncState()
	if s.Tree().SyncState() != "" {
		t.Fatal("DropSyncState kept the state")
	}
	full, err := newC.SyncFolderHierarchy(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	s.ApplyFullSync(full)

	want := map[string]string{}
	for _, ch := range full.Changes {
		want[ch.Folder.FolderId.Id] = ch.Folder.DisplayName
	}
	nodes := s.Tree().Flatten(nil)
	got := map[string]string{}
	for _, n := range nodes {
		got[n.Folder.FolderId.Id] = n.Folder.DisplayName
	}
	if s.Tree().Len() != len(want) {
		t.Errorf("tree holds %d folders, the new server %d", s.Tree().Len(), len(want))
	}
	for id, name := range want {
		if _, ok := s.Tree().Folder(id); !ok {
			t.Errorf("folder %q (%s) of the new server is missing", name, id)
		}
	}
	for _, id := range created {
		if _, ok := s.Tree().Folder(id); ok {
			t.Errorf("folder %s of the old server is still in the tree", id)
		}
	}
	if len(nodes) == 0 || nodes[0].Folder.DisplayName != "Inbox" {
		t.Errorf("the tree does not start with Inbox: %v", got)
	}
}
