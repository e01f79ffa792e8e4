package model

import (
	"context"

	"github.com/ewsmon/ewsmon/ews"
)

// FolderGetter is the GetFolder a resolver needs (ews.Client has it).
type FolderGetter interface {
	GetFolderEach(ctx context.Context, refs ...ews.FolderRef) ([]ews.Folder, []error, error)
	FindFolder(ctx context.Context, parent ews.FolderRef) ([]ews.Folder, error)
}

// ResolveHiddenDistinguished asks for the distinguished folders outside the
// visible tree (HiddenDistinguished), and lists the folders under root (the
// non-IPM subtree, where AllItems and Freebusy Data live, without
// distinguished ids); a server without some (an older version) just lacks
// them. The folders of the visible tree among them are ignored when
// applied.
func ResolveHiddenDistinguished(ctx context.Context, g FolderGetter) ([]HiddenFolderInfo, error) {
	refs := make([]ews.FolderRef, len(HiddenDistinguished))
	for i, d := range HiddenDistinguished {
		refs[i] = ews.Distinguished(d)
	}
	fs, errs, err := g.GetFolderEach(ctx, refs...)
	if err != nil {
		return nil, err
	}
	var out []HiddenFolderInfo
	for i, f := range fs {
		if errs[i] == nil {
			out = append(out, HiddenFolderInfo{Folder: f, Distinguished: HiddenDistinguished[i]})
		}
	}
	under, err := g.FindFolder(ctx, ews.Distinguished("root"))
	if err != nil {
		return out, err
	}
	for _, f := range under {
		out = append(out, HiddenFolderInfo{Folder: f, Distinguished: "root-child"})
	}
	return out, nil
}

// ResolveFolders asks GetFolder for folder ids (UnknownFolders) and returns
// those the server described.
func ResolveFolders(ctx context.Context, g FolderGetter, ids []string) ([]HiddenFolderInfo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	refs := make([]ews.FolderRef, len(ids))
	for i, id := range ids {
		refs[i] = ews.FolderRefOf(ews.FolderId{Id: id})
	}
	fs, errs, err := g.GetFolderEach(ctx, refs...)
	if err != nil {
		return nil, err
	}
	var out []HiddenFolderInfo
	for i, f := range fs {
		if errs[i] == nil {
			out = append(out, HiddenFolderInfo{Folder: f})
		}
	}
	return out, nil
}

// HiddenFolderInfo is a folder GetFolder described, with the distinguished
// id it was asked for by ("" when asked by id).
type HiddenFolderInfo struct {
	Folder        ews.Folder
	Distinguished string
}

// ApplyHiddenFolders records what ResolveHiddenDistinguished or
// ResolveFolders returned.
func (s *State) ApplyHiddenFolders(fs []HiddenFolderInfo) {
	for _, h := range fs {
		s.ApplyHiddenFolder(h.Folder, h.Distinguished)
	}
}
