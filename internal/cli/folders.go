package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// watchTarget is what a subscription watches.
type watchTarget struct {
	Folders    []ews.FolderRef // empty: all folders
	Names      []string        // each of Folders as the user typed it
	EventTypes []ews.EventType // empty: all seven
}

// watchTargets turns folder and event-type lists into a subscription's
// targets: "all" (or nothing) means all folders / all event types.
func watchTargets(folders, events []string) (watchTarget, error) {
	var wc watchTarget
	for _, f := range folders {
		f = strings.TrimSpace(f)
		switch {
		case f == "" || strings.EqualFold(f, "all"):
			continue
		case isDistinguishedFolder(f):
			wc.Folders = append(wc.Folders, ews.Distinguished(strings.ToLower(f)))
		default:
			wc.Folders = append(wc.Folders, ews.FolderRefOf(ews.FolderId{Id: f}))
		}
		wc.Names = append(wc.Names, f)
	}
	for _, e := range events {
		e = strings.TrimSpace(e)
		if e == "" || strings.EqualFold(e, "all") {
			continue
		}
		t, ok := ews.ParseEventType(e)
		if !ok || t == ews.StatusEvent {
			return wc, fmt.Errorf("unknown event type %q: use NewMail, Created, Deleted, Modified, Moved, Copied or FreeBusyChanged", e)
		}
		wc.EventTypes = append(wc.EventTypes, t)
	}
	return wc, nil
}

// distinguishedFolders are t:DistinguishedFolderIdNameType values that
// people type; anything else is taken as a FolderId.
var distinguishedFolders = []string{
	"calendar", "contacts", "deleteditems", "drafts", "inbox", "journal", "notes", "outbox", "sentitems",
	"tasks", "msgfolderroot", "publicfoldersroot", "root", "junkemail", "searchfolders", "voicemail",
	"recoverableitemsroot", "recoverableitemsdeletions", "archiveinbox", "archivemsgfolderroot",
	"conversationhistory", "syncissues", "quickcontacts", "todosearch",
}

func isDistinguishedFolder(s string) bool {
	return slices.ContainsFunc(distinguishedFolders, func(d string) bool { return strings.EqualFold(s, d) })
}

// errNoSuchFolder marks a --folders entry the server does not know.
var errNoSuchFolder = errors.New("no such folder")

// checkFolders asks the server (GetFolder) for each folder of t, so that a
// folder that does not exist is refused by name before subscribing: the
// subscription's own error would not say which folder is wrong. A folder
// the server does not know is errNoSuchFolder in the error; any other
// failure (the server unreachable, the password wrong) is returned as it
// is, naming the folder too.
func checkFolders(ctx context.Context, c *ews.Client, t watchTarget) error {
	for i, ref := range t.Folders {
		_, err := c.GetFolder(ctx, ref)
		if err == nil {
			continue
		}
		name := ref.Id.Id
		if i < len(t.Names) {
			name = t.Names[i]
		}
		if code, ok := folderMissing(err); ok {
			return fmt.Errorf("--folders %s: %w: neither a distinguished folder name (inbox, calendar, deleteditems…) "+
				"nor a folder id the server knows (%s)", name, errNoSuchFolder, code)
		}
		return fmt.Errorf("--folders %s: %w", name, err)
	}
	return nil
}

// folderMissing reports whether err is the server saying a folder does not
// exist (or that the id cannot be one), and the code it said it with.
func folderMissing(err error) (string, bool) {
	var re *ews.ResponseError
	if !errors.As(err, &re) {
		return "", false
	}
	switch ews.ErrorCode(re.Code) {
	case ews.ErrFolderNotFound, ews.ErrInvalidIdMalformed, ews.ErrInvalidFolderId, ews.ErrInvalidIdEmpty:
		return re.Code, true
	}
	return "", false
}
