package model

import (
	"fmt"
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// The filter's text form, what the user types after `/`:
//
//	words                 free text (Filter.Text)
//	type:NewMail          an event type, short or long name; repeatable
//	folder:Inbox          a folder by display name (case-insensitive) or id
//	folder:"Sent Items"   double quotes keep spaces in one term
//
// ParseFilter reads it and Filter.String writes it back, so that
// ParseFilter(f.String(), tree) gives f again.

// ParseFilter reads a filter in its text form; folder names are looked up
// in tree. The error names the term that is wrong, in one sentence.
func ParseFilter(s string, tree *FolderTree) (Filter, error) {
	var f Filter
	var text []string
	for _, tok := range splitQuoted(s) {
		k, v, ok := strings.Cut(tok, ":")
		switch {
		case ok && strings.EqualFold(k, "type"):
			t, ok := ews.ParseEventType(v)
			if !ok || t == ews.StatusEvent {
				return f, fmt.Errorf("filter: unknown event type %q (use NewMail, Created, Deleted, Modified, Moved, Copied or FreeBusyChanged)", v)
			}
			if f.Types == nil {
				f.Types = map[ews.EventType]bool{}
			}
			f.Types[t] = true
		case ok && strings.EqualFold(k, "folder"):
			id, name := findFolder(tree, v)
			if id == "" {
				return f, fmt.Errorf("filter: no folder named %q", v)
			}
			f.FolderId, f.FolderName = id, name
		default:
			text = append(text, tok)
		}
	}
	f.Text = strings.Join(text, " ")
	return f, nil
}

// String is the filter in its text form ("" for the zero Filter).
func (f Filter) String() string {
	var parts []string
	for _, t := range ews.AllEventTypes {
		if f.Types[t] {
			parts = append(parts, "type:"+t.Short())
		}
	}
	if f.FolderId != "" {
		n := f.FolderName
		if n == "" {
			n = f.FolderId
		}
		if strings.Contains(n, " ") {
			n = `"` + n + `"`
		}
		parts = append(parts, "folder:"+n)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

// WithFolder is the filter f narrowed to one folder of the tree ("":
// every folder).
func (f Filter) WithFolder(id string, tree *FolderTree) Filter {
	f.FolderId, f.FolderName = id, ""
	if id != "" {
		f.FolderName = tree.Name(id)
	}
	return f
}

// findFolder finds a folder by display name (case-insensitive) or id.
func findFolder(tree *FolderTree, name string) (id, display string) {
	for _, n := range tree.Flatten(nil) {
		if strings.EqualFold(n.Folder.DisplayName, name) || n.Folder.FolderId.Id == name {
			return n.Folder.FolderId.Id, n.Folder.DisplayName
		}
	}
	return "", ""
}

// splitQuoted splits on spaces, keeping "double quoted" runs together
// (quotes removed).
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
