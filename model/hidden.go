package model

import (
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// Hidden folders: folders outside the visible tree (the mailbox's non-IPM
// subtree) that events name. The Exchange 2013 store reports moves and
// deletes from the AllItems search folder to subscriptions on all folders,
// deletes land in Recoverable Items, and calendar work writes free/busy
// data into the Freebusy Data folder (docs/cascades.md). The dashboard
// resolves them with GetFolder (on the distinguished Recoverable Items
// folders, and on any folder id an event names that the tree does not
// know) rather than guessing from ids.

// Roles a hidden folder plays in cascades.
const (
	roleAllItems    = "allitems"
	roleRecoverable = "recoverable"
	roleFreeBusy    = "freebusy"
	roleOther       = "other"
)

type hiddenFolder struct {
	role  string
	label string // the name labels use: "AllItems search folder", "Recoverable Items/Deletions"…
}

// HiddenDistinguished are the distinguished folders outside the visible
// tree whose ids the dashboard asks for at start (types.xsd
// DistinguishedFolderIdNameType; Exchange 2010 and later).
var HiddenDistinguished = []string{"recoverableitemsroot", "recoverableitemsdeletions", "recoverableitemsversions", "recoverableitemspurges"}

// ApplyHiddenFolder records a folder GetFolder described that is not in the
// visible tree; dist is the distinguished id it was asked for by, or "".
// Folders of the tree are ignored.
func (s *State) ApplyHiddenFolder(f ews.Folder, dist string) {
	t := s.tree
	id := f.FolderId.Id
	if id == "" {
		return
	}
	if _, ok := t.nodes[id]; ok || t.isRoot(id) {
		return
	}
	if dist == "root-child" {
		// A folder directly under root: msgfolderroot's siblings are
		// hidden; msgfolderroot itself is the tree's root.
		if strings.EqualFold(f.DisplayName, RootName) || len(t.nodes) > 0 && t.isRoot(id) {
			return
		}
		dist = ""
	} else if p := f.ParentFolderId.Id; p != "" && dist == "" {
		if _, ok := t.nodes[p]; ok || t.isRoot(p) {
			return // a visible folder the sync has not reported yet
		}
	}
	h := hiddenFolder{role: roleOther, label: f.DisplayName}
	switch {
	case strings.HasPrefix(dist, "recoverableitems"):
		h.role = roleRecoverable
		if dist != "recoverableitemsroot" {
			h.label = "Recoverable Items/" + f.DisplayName
		}
	case t.hidden[f.ParentFolderId.Id].role == roleRecoverable:
		h.role, h.label = roleRecoverable, "Recoverable Items/"+f.DisplayName
	case strings.EqualFold(f.DisplayName, "AllItems"):
		h.role, h.label = roleAllItems, "AllItems search folder"
	case strings.EqualFold(f.DisplayName, "Freebusy Data"):
		h.role = roleFreeBusy
	case strings.EqualFold(f.DisplayName, "Recoverable Items"):
		h.role = roleRecoverable
	}
	if h.label == "" {
		h.label = "hidden folder " + shortID(id)
	}
	t.hidden[id] = h
	delete(s.askedFolders, id)
	t.changed()
}

// UnknownFolders returns the folder ids events named that neither the tree
// nor the hidden folders know and that were not returned before, at most
// max; the caller resolves them with GetFolder and ApplyHiddenFolder (or a
// sync). Each id is returned once.
func (s *State) UnknownFolders(max int) []string {
	var out []string
	for id := range s.unknownFolders {
		if len(out) == max {
			break
		}
		delete(s.unknownFolders, id)
		if s.tree.knownName(id) != "" {
			continue
		}
		if len(s.askedFolders) < 4096 {
			s.askedFolders[id] = true
		}
		out = append(out, id)
	}
	return out
}

// noteUnknownFolders remembers the folder ids an event names that nobody
// knows yet.
func (s *State) noteUnknownFolders(ev *ews.Event) {
	for _, id := range [...]string{ev.ParentFolderId.Id, ev.OldParentFolderId.Id, ev.FolderId.Id} {
		if id == "" || s.askedFolders[id] || len(s.unknownFolders) >= 4096 {
			continue
		}
		if s.tree.knownName(id) == "" {
			s.unknownFolders[id] = true
		}
	}
}

// hiddenRole is the role of a hidden folder the tree was told about, or "".
func (t *FolderTree) hiddenRole(id string) string {
	if id == "" {
		return ""
	}
	return t.hidden[id].role
}

// allItemsLike reports whether a folder is the AllItems search folder, or
// could be: a folder neither the tree nor the hidden folders know.
func (t *FolderTree) allItemsLike(id string) bool {
	r := t.hiddenRole(id)
	return r == roleAllItems || (r == "" && t.knownName(id) == "")
}

// Hidden reports whether a folder is a known hidden folder, and its label.
func (t *FolderTree) Hidden(id string) (string, bool) {
	h, ok := t.hidden[id]
	return h.label, ok
}
