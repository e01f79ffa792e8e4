package ews

import "time"

// Record is the JSON form of an event, a connection status, a runner state
// or an error: one line of `ewsmon decode`, `ewsmon watch --json` and the
// dashboard's NDJSON export. Absent fields are omitted.
type Record struct {
	Type              string   `json:"type"` // EWS element name, "ConnectionStatus", "Error" or "State"
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
