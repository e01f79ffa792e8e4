package model

import (
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

func TestSmoke(t *testing.T) {
	s := New(Config{Location: time.UTC})
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	one := 1
	s.ApplySync(&ews.SyncFolderHierarchyResult{SyncState: "s1", IncludesLastFolderInRange: true, Changes: []ews.FolderChange{
		{Kind: ews.ChangeCreate, Folder: ews.Folder{FolderId: ews.FolderId{Id: "inbox"}, ParentFolderId: ews.FolderId{Id: "root"}, DisplayName: "Inbox"}},
	}})
	s.Apply(ews.Update{At: at, State: ews.StateOpen, Mode: ews.ModeStreaming, Events: []ews.Event{
		{Type: ews.CreatedEvent, TimeStamp: at, ItemId: ews.ItemId{Id: "m1"}, ParentFolderId: ews.FolderId{Id: "inbox"}},
		{Type: ews.NewMailEvent, TimeStamp: at, ItemId: ews.ItemId{Id: "m1"}, ParentFolderId: ews.FolderId{Id: "inbox"}},
		{Type: ews.ModifiedEvent, TimeStamp: at, FolderId: ews.FolderId{Id: "inbox"}, ParentFolderId: ews.FolderId{Id: "root"}, UnreadCount: &one},
	}})
	rows := s.Rows(0, 10)
	if len(rows) != 1 || s.Label(rows[0].Cascade) != "New mail in Inbox" {
		t.Fatalf("rows %v label %q", rows, s.Label(rows[0].Cascade))
	}
	s.ToggleExpanded(rows[0].Cascade.ID)
	rows = s.Rows(0, 10)
	if len(rows) != 4 {
		t.Fatal(len(rows))
	}
	t.Log(s.Columns(rows[3].Entry))
}
