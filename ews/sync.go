package ews

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Folder change properties. Microsoft's "Handling notification-related
// errors in EWS in Exchange" (learn.microsoft.com/exchange/client-developer/
// exchange-web-services/handling-notification-related-errors-in-ews-in-exchange)
// recommends, for a lost subscription, comparing these two extended folder
// properties before and after to find which folders changed in between:
// PR_LOCAL_COMMIT_TIME_MAX (0x670a0040, SystemTime) and
// PR_DELETED_COUNT_TOTAL (0x670b0003, Integer).
const (
	PropLocalCommitTimeMax = "0x670a"
	PropDeletedCountTotal  = "0x670b"
)

// FolderChangeMark is what the two change properties say of a folder at one
// moment. Two marks that differ mean the folder's contents changed between
// them (an item created, changed, moved in or out, or deleted).
type FolderChangeMark struct {
	LocalCommitTimeMax time.Time
	DeletedCountTotal  int64
	// Known is false when the server sent neither property.
	Known bool
}

// same reports whether two marks say the folder did not change between
// them (unknown marks never do).
func (m FolderChangeMark) same(o FolderChangeMark) bool {
	return m.Known && o.Known && m.LocalCommitTimeMax.Equal(o.LocalCommitTimeMax) && m.DeletedCountTotal == o.DeletedCountTotal
}

// ChangeReadFlag is SyncFolderItems' t:ReadFlagChange (only for items).
const ChangeReadFlag ChangeKind = "ReadFlagChange"

// MaxSyncChanges is the most changes one SyncFolderItems call may return
// (t:MaxSyncChangesReturnedType: 1..512).
const MaxSyncChanges = 512

// SyncFolderItemsRequest asks for the item changes of one folder since
// SyncState ("" = every item, as Create).
type SyncFolderItemsRequest struct {
	SyncFolder         FolderRef
	SyncState          string
	MaxChangesReturned int // 1..512; 0 means 512
}

func (SyncFolderItemsRequest) op() string { return "SyncFolderItems" }

func (r SyncFolderItemsRequest) validate() error {
	if r.SyncFolder == (FolderRef{}) {
		return errors.New("SyncFolderItems needs a folder")
	}
	if r.MaxChangesReturned < 0 || r.MaxChangesReturned > MaxSyncChanges {
		return fmt.Errorf("MaxChangesReturned must be 1..%d, not %d", MaxSyncChanges, r.MaxChangesReturned)
	}
	return validateFolderRefs([]FolderRef{r.SyncFolder})
}

// syncItemProperties are asked for beside IdOnly so that a reconciled
// change can be shown with its subject and kind.
var syncItemProperties = []string{"item:ItemClass", "item:Subject"}

func (r SyncFolderItemsRequest) write(w *xw) {
	w.start("m:SyncFolderItems")
	w.start("m:ItemShape")
	w.elem("t:BaseShape", "IdOnly")
	w.start("t:AdditionalProperties")
	for _, p := range syncItemProperties {
		w.empty("t:FieldURI", "FieldURI", p)
	}
	w.end("t:AdditionalProperties")
	w.end("m:ItemShape")
	w.start("m:SyncFolderId")
	writeFolderRef(w, r.SyncFolder)
	w.end("m:SyncFolderId")
	if r.SyncState != "" {
		w.elem("m:SyncState", r.SyncState)
	}
	n := r.MaxChangesReturned
	if n == 0 {
		n = MaxSyncChanges
	}
	w.elem("m:MaxChangesReturned", strconv.Itoa(n))
	w.end("m:SyncFolderItems")
}

// ItemChange is one t:Create, t:Update, t:Delete or t:ReadFlagChange of
// SyncFolderItems. Delete and ReadFlagChange carry only Item.ItemId (and
// IsRead).
type ItemChange struct {
	Kind   ChangeKind
	Item   Item
	IsRead bool // ReadFlagChange
}

// SyncFolderItemsResult is the answer of SyncFolderItems.
type SyncFolderItemsResult struct {
	SyncState               string
	IncludesLastItemInRange bool
	Changes                 []ItemChange
}

// SyncFolderItems returns one page of a folder's item changes since
// r.SyncState.
func (c *Client) SyncFolderItems(ctx context.Context, r SyncFolderItemsRequest) (*SyncFolderItemsResult, error) {
	env, _, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	return parseSyncFolderItems(env)
}

func parseSyncFolderItems(env *envelope) (*SyncFolderItemsResult, error) {
	m, err := singleMessage("SyncFolderItems", env)
	if err != nil {
		return nil, err
	}
	res := &SyncFolderItemsResult{
		SyncState:               m.ChildText("SyncState"),
		IncludesLastItemInRange: parseBool(m.ChildText("IncludesLastItemInRange")),
	}
	for _, ch := range m.Child("Changes").Elements() {
		if !isEWS(ch.Space) {
			continue
		}
		switch kind := ChangeKind(ch.Local); kind {
		case ChangeCreate, ChangeUpdate:
			for _, it := range ch.Kids {
				if isEWS(it.Space) {
					res.Changes = append(res.Changes, ItemChange{Kind: kind, Item: parseItem(it)})
					break
				}
			}
		case ChangeDelete:
			res.Changes = append(res.Changes, ItemChange{Kind: kind, Item: Item{ItemId: itemIdOf(ch.Child("ItemId"))}})
		case ChangeReadFlag:
			res.Changes = append(res.Changes, ItemChange{Kind: kind, Item: Item{ItemId: itemIdOf(ch.Child("ItemId"))}, IsRead: parseBool(ch.ChildText("IsRead"))})
		}
	}
	return res, nil
}

// GetFolderChangeMarks reads the two change properties of folders, in the
// order asked. Folders that fail (deleted since: ErrorItemNotFound or
// ErrorFolderNotFound) are returned as a nil entry, with the error joined.
func (c *Client) GetFolderChangeMarks(ctx context.Context, refs ...FolderRef) ([]*Folder, error) {
	env, _, err := c.do(ctx, GetFolderRequest{Folders: refs, ChangeMarks: true})
	if err != nil {
		return nil, err
	}
	ms, err := responseMessages("GetFolder", env)
	if err != nil {
		return nil, err
	}
	out := make([]*Folder, len(refs))
	var errs []error
	for i, m := range ms {
		if i >= len(out) {
			break
		}
		if e := messageError("GetFolder", m); e != nil {
			errs = append(errs, e)
			continue
		}
		for _, f := range m.Child("Folders").Elements() {
			if isEWS(f.Space) {
				pf := parseFolder(f)
				out[i] = &pf
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

// parseChangeMark reads the change properties among a folder's
// t:ExtendedProperty children.
func parseChangeMark(n *node) FolderChangeMark {
	var m FolderChangeMark
	for _, k := range n.Children("ExtendedProperty") {
		tag := strings.ToLower(strings.TrimSpace(k.Child("ExtendedFieldURI").Attribute("PropertyTag")))
		v := k.ChildText("Value")
		switch tag {
		case PropLocalCommitTimeMax, "0x670a0040", "26378":
			m.LocalCommitTimeMax = parseTime(v)
			m.Known = true
		case PropDeletedCountTotal, "0x670b0003", "26379":
			m.DeletedCountTotal, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			m.Known = true
		}
	}
	return m
}
