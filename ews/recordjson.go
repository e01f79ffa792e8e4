package ews

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as one JSON line (with its newline), byte for byte
// what encoding/json's Encoder writes for it with SetEscapeHTML(false):
// fields in declaration order, empty ones left out as their omitempty
// says. It is the watch and decode output's hot path — no reflection, no
// allocation but b's growth (docs/performance.md); TestRecordAppendJSON
// holds it to encoding/json over every field.
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, r.Type)
	b = jsonStr(b, `,"operation":`, r.Operation)
	b = jsonStr(b, `,"response_code":`, r.ResponseCode)
	b = jsonStr(b, `,"timestamp":`, r.TimeStamp)
	b = jsonStr(b, `,"watermark":`, r.Watermark)
	b = jsonStr(b, `,"subscription_id":`, r.SubscriptionId)
	b = jsonStr(b, `,"item_id":`, r.ItemId)
	b = jsonStr(b, `,"folder_id":`, r.FolderId)
	b = jsonStr(b, `,"parent_folder_id":`, r.ParentFolderId)
	b = jsonStr(b, `,"old_item_id":`, r.OldItemId)
	b = jsonStr(b, `,"old_folder_id":`, r.OldFolderId)
	b = jsonStr(b, `,"old_parent_folder_id":`, r.OldParentFolderId)
	b = jsonIntp(b, `,"unread_count":`, r.UnreadCount)
	b = jsonStr(b, `,"status":`, r.Status)
	b = jsonStr(b, `,"state":`, r.State)
	b = jsonStr(b, `,"mode":`, r.Mode)
	b = jsonStr(b, `,"error_code":`, r.ErrorCode)
	b = jsonStr(b, `,"message":`, r.Message)
	b = jsonInt64p(b, `,"back_off_ms":`, r.BackOffMs)
	b = jsonStrs(b, `,"subscription_ids":`, r.SubscriptionIds)
	b = jsonStr(b, `,"from":`, r.From)
	b = jsonStr(b, `,"to":`, r.To)
	b = jsonStr(b, `,"reason":`, r.Reason)
	b = jsonUint(b, `,"gap":`, r.Gap)
	b = jsonStr(b, `,"change":`, r.Change)
	b = jsonStr(b, `,"subject":`, r.Subject)
	b = jsonBoolp(b, `,"is_read":`, r.IsRead)
	b = jsonIntp(b, `,"folders":`, r.Folders)
	b = jsonIntp(b, `,"changed":`, r.Changed)
	b = jsonIntp(b, `,"changes":`, r.Changes)
	b = jsonBool(b, `,"truncated":`, r.Truncated)
	b = jsonUint(b, `,"cascade":`, r.Cascade)
	b = jsonStr(b, `,"cascade_label":`, r.CascadeLabel)
	b = jsonStr(b, `,"folder_name":`, r.FolderName)
	b = jsonStr(b, `,"parent_folder_name":`, r.ParentFolderName)
	b = jsonStr(b, `,"old_parent_folder_name":`, r.OldParentFolderName)
	b = jsonStr(b, `,"sync_state":`, r.SyncState)
	b = jsonBoolp(b, `,"includes_last_folder_in_range":`, r.IncludesLastFolderInRange)
	b = jsonIntp(b, `,"creates":`, r.Creates)
	b = jsonIntp(b, `,"updates":`, r.Updates)
	b = jsonIntp(b, `,"deletes":`, r.Deletes)
	b = jsonStr(b, `,"folder_class":`, r.FolderClass)
	b = jsonIntp(b, `,"total_count":`, r.TotalCount)
	b = jsonIntp(b, `,"child_folder_count":`, r.ChildFolderCount)
	b = jsonStr(b, `,"item_class":`, r.ItemClass)
	b = jsonIntp(b, `,"items":`, r.Items)
	b = jsonStr(b, `,"transport":`, r.Transport)
	b = jsonInt64p(b, `,"delay_ms":`, r.DelayMs)
	return append(b, '}', '\n')
}

func jsonStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, key...), v)
}

func jsonStrs(b []byte, key string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(append(b, key...), '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func jsonIntp(b []byte, key string, v *int) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendInt(append(b, key...), int64(*v), 10)
}

func jsonInt64p(b []byte, key string, v *int64) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendInt(append(b, key...), *v, 10)
}

func jsonUint(b []byte, key string, v uint64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendUint(append(b, key...), v, 10)
}

func jsonBoolp(b []byte, key string, v *bool) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendBool(append(b, key...), *v)
}

func jsonBool(b []byte, key string, v bool) []byte {
	if !v {
		return b
	}
	return append(append(b, key...), "true"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding without HTML
// escaping: quotes, backslashes and control characters escaped (\b \f \n
// \r \t by name), invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}
