package ews

import "time"

// Record is the JSON form of an event, a connection status, a runner state
// or an error: one line of `ewsmon decode`, `ewsmon watch --json` and the
// dashboard's NDJSON export. Absent fields are omitted.
type Record struct {
	// Type: the EWS element name of an event, or "ConnectionStatus",
	// "Error", "State", "Gap", "Reconciled", "ReconcileSummary"; in
	// decode also "Response" and "Request" (a message that carries no
	// events), "FolderChange", "Folder" and "Item".
	Type string `json:"type"`
	// Decoded responses and requests that carry no events: the operation
	// ("Subscribe", "SyncFolderHierarchy", ...) and, for responses, the
	// ResponseCode. An Error from a response message names its operation
	// too.
	Operation         string   `json:"operation,omitempty"`
	ResponseCode      string   `json:"response_code,omitempty"`
	TimeStamp         string   `json:"timestamp,omitempty"`
	Watermark         string   `json:"watermark,omitempty"`
	SubscriptionId    string   `json:"subscription_id,omitempty"`
	ItemId            string   `json:"item_id,omitempty"`
	FolderId          string   `json:"folder_id,omitempty"`
	ParentFolderId    string   `json:"parent_folder_id,omitempty"`
	OldItemId         string   `json:"old_item_id,omitempty"`
	OldFolderId       string   `json:"old_folder_id,omitempty"`
	OldParentFolderId string   `json:"old_parent_folder_id,omitempty"`
	UnreadCount       *int     `json:"unread_count,omitempty"`
	Status            string   `json:"status,omitempty"` // ConnectionStatus: OK / Closed
	State             string   `json:"state,omitempty"`  // State: a ConnState
	Mode              string   `json:"mode,omitempty"`   // State: streaming / pull
	ErrorCode         string   `json:"error_code,omitempty"`
	Message           string   `json:"message,omitempty"`
	BackOffMs         *int64   `json:"back_off_ms,omitempty"`
	SubscriptionIds   []string `json:"subscription_ids,omitempty"`
	// Gap: the interval (RFC 3339) and why. Reconciled / ReconcileSummary
	// name the gap they belong to by its number.
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Reason string `json:"reason,omitempty"`
	Gap    uint64 `json:"gap,omitempty"`
	// Reconciled: Create, Update, Delete or ReadFlagChange.
	Change  string `json:"change,omitempty"`
	Subject string `json:"subject,omitempty"`
	IsRead  *bool  `json:"is_read,omitempty"`
	// ReconcileSummary: folders compared, folders changed, changes listed.
	// A decoded GetFolder (or other folder operation) Response: the
	// folders it holds.
	Folders   *int `json:"folders,omitempty"`
	Changed   *int `json:"changed,omitempty"`
	Changes   *int `json:"changes,omitempty"`
	Truncated bool `json:"truncated,omitempty"`

	// Events of watch, decode and the export: the cascade (the user action)
	// the event belongs to, numbered from 1 in the order cascades began,
	// and its label as the dashboard shows it ("New mail in Inbox"); the
	// display names of FolderId, ParentFolderId and OldParentFolderId where
	// known. Subject (above) is the item's subject where known.
	Cascade             uint64 `json:"cascade,omitempty"`
	CascadeLabel        string `json:"cascade_label,omitempty"`
	FolderName          string `json:"folder_name,omitempty"`
	ParentFolderName    string `json:"parent_folder_name,omitempty"`
	OldParentFolderName string `json:"old_parent_folder_name,omitempty"`

	// SyncFolderHierarchy: the SyncState to resume from, whether the
	// answer is complete, and how many Create / Update / Delete changes it
	// holds (each also a "FolderChange" line, Change saying which).
	SyncState                 string `json:"sync_state,omitempty"`
	IncludesLastFolderInRange *bool  `json:"includes_last_folder_in_range,omitempty"`
	Creates                   *int   `json:"creates,omitempty"`
	Updates                   *int   `json:"updates,omitempty"`
	Deletes                   *int   `json:"deletes,omitempty"`
	// "Folder" and "FolderChange" lines: the folder's class and counts
	// (UnreadCount above). "Item" lines: the item's class. A GetItem
	// Response: the items it holds.
	FolderClass      string `json:"folder_class,omitempty"`
	TotalCount       *int   `json:"total_count,omitempty"`
	ChildFolderCount *int   `json:"child_folder_count,omitempty"`
	ItemClass        string `json:"item_class,omitempty"`
	Items            *int   `json:"items,omitempty"`

	// watch --mode all: the transport that wrote the line (streaming,
	// pull, push) and, on an event line, how long after the first
	// transport to deliver the same event this one did.
	Transport string `json:"transport,omitempty"`
	DelayMs   *int64 `json:"delay_ms,omitempty"`
}

// GapRecord is the JSON form of a gap: {"type":"Gap","from":…,"to":…,
// "reason":…,"gap":N}.
func GapRecord(g Gap) Record {
	return Record{
		Type:   "Gap",
		From:   g.From.UTC().Format(time.RFC3339Nano),
		To:     g.To.UTC().Format(time.RFC3339Nano),
		Reason: g.Reason,
		Gap:    g.ID,
	}
}

// ReconciledRecords are the JSON form of a reconciliation: one "Reconciled"
// line per change, then a "ReconcileSummary" that says how much was
// compared and whether anything stopped it (Message).
func ReconciledRecords(rc *Reconciliation) []Record {
	out := make([]Record, 0, len(rc.Changes)+1)
	for _, ch := range rc.Changes {
		out = append(out, Record{
			Type:     "Reconciled",
			Gap:      rc.GapID,
			Change:   string(ch.Change),
			ItemId:   ch.ItemId.Id,
			FolderId: ch.FolderId.Id,
			Subject:  ch.Subject,
			IsRead:   ch.IsRead,
		})
	}
	folders, changed, changes := rc.Folders, rc.Changed, len(rc.Changes)
	sum := Record{Type: "ReconcileSummary", Gap: rc.GapID, Folders: &folders, Changed: &changed, Changes: &changes, Truncated: rc.Truncated}
	if rc.Err != nil {
		sum.Message = rc.Err.Error()
	}
	return append(out, sum)
}

// EventRecord is the JSON form of an event.
func EventRecord(e Event) Record {
	r := Record{
		Type:              string(e.Type),
		Watermark:         e.Watermark,
		SubscriptionId:    e.SubscriptionId,
		ItemId:            e.ItemId.Id,
		FolderId:          e.FolderId.Id,
		ParentFolderId:    e.ParentFolderId.Id,
		OldItemId:         e.OldItemId.Id,
		OldFolderId:       e.OldFolderId.Id,
		OldParentFolderId: e.OldParentFolderId.Id,
		UnreadCount:       e.UnreadCount,
	}
	if !e.TimeStamp.IsZero() {
		r.TimeStamp = e.TimeStamp.UTC().Format(time.RFC3339)
	}
	return r
}

// ItemRecord is the JSON form of an item that a decoded GetItem response
// holds.
func ItemRecord(it Item) Record {
	return Record{
		Type:           "Item",
		ItemId:         it.ItemId.Id,
		ParentFolderId: it.ParentFolderId.Id,
		Subject:        it.Subject,
		ItemClass:      it.ItemClass,
	}
}
