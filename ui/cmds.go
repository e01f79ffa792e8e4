package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// maxDrain bounds one batch so a firehose cannot starve key handling.
const maxDrain = 2048

// drain blocks until ch has a value (or closes), then takes whatever else is
// already waiting without blocking, at most maxDrain: a burst costs one
// redraw.
func drain[T any](ch <-chan T) (batch []T, closed bool) {
	u, ok := <-ch
	if !ok {
		return nil, true
	}
	batch = []T{u}
	for len(batch) < maxDrain {
		select {
		case u, ok := <-ch:
			if !ok {
				return batch, true
			}
			batch = append(batch, u)
		default:
			return batch, false
		}
	}
	return batch, false
}

// waitUpdates returns the subscription's next burst of updates as one
// message.
func waitUpdates(gen uint64, ch <-chan ews.Update) tea.Cmd {
	return func() tea.Msg {
		updates, closed := drain(ch)
		return updatesMsg{gen: gen, ch: ch, updates: updates, closed: closed}
	}
}

// tick waits until the next whole second of the clock.
func tick(clock ews.Clock) tea.Cmd {
	return func() tea.Msg {
		now := clock.Now()
		d := now.Truncate(time.Second).Add(time.Second).Sub(now)
		at := <-clock.After(d)
		return tickMsg{at: at}
	}
}

func syncCmd(ctx context.Context, b Backend, syncState string) tea.Cmd {
	return func() tea.Msg {
		res, err := b.SyncFolderHierarchy(ctx, syncState)
		return syncMsg{full: syncState == "", res: res, err: err}
	}
}

func getFoldersCmd(ctx context.Context, b Backend, ids []ews.FolderId) tea.Cmd {
	return func() tea.Msg {
		refs := make([]ews.FolderRef, len(ids))
		for i, id := range ids {
			refs[i] = ews.FolderRefOf(id)
		}
		fs, err := b.GetFolder(ctx, refs...)
		return foldersMsg{folders: fs, err: err}
	}
}

func getItemsCmd(ctx context.Context, b Backend, ids []ews.ItemId) tea.Cmd {
	return func() tea.Msg {
		items, err := b.GetItem(ctx, ids...)
		return itemsMsg{ids: ids, items: items, err: err}
	}
}

func detailItemCmd(ctx context.Context, b Backend, seq uint64, id ews.ItemId) tea.Cmd {
	return func() tea.Msg {
		items, err := b.GetItem(ctx, id)
		switch {
		case len(items) > 0:
			return detailItemMsg{seq: seq, item: items[0]}
		case err != nil:
			return detailItemMsg{seq: seq, err: err}
		}
		return detailItemMsg{seq: seq, err: fmt.Errorf("GetItem returned no item")}
	}
}

func simCmd(ctx context.Context, sim SimControl, action string) tea.Cmd {
	return func() tea.Msg {
		return simMsg{action: action, err: sim.Act(ctx, action)}
	}
}

// exportCmd writes the listed events as NDJSON (the lines of `ewsmon watch
// --json`: the event's fields with its cascade, label, folder names and
// subject; a gap as its Gap line, a reconciled change as its Reconciled
// line) to a new file in dir named for the moment.
func exportCmd(dir string, at time.Time, recs []ews.Record) tea.Cmd {
	return func() tea.Msg {
		path, err := writeExport(dir, at, recs)
		n := 0
		for _, r := range recs {
			if r.Cascade != 0 {
				n++
			}
		}
		return exportMsg{path: path, n: n, err: err}
	}
}

func writeExport(dir string, at time.Time, recs []ews.Record) (string, error) {
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		why := "does not exist"
		switch {
		case err == nil:
			why = "is not a directory"
		case !errors.Is(err, fs.ErrNotExist):
			why = "cannot be read (" + errors.Unwrap(err).Error() + ")"
		}
		return "", fmt.Errorf("export: the directory %s %s (--export-dir, export_dir in the config file)", dir, why)
	}
	base := "ewsmon-export-" + at.UTC().Format("20060102-150405")
	path := filepath.Join(dir, base+".ndjson")
	var f *os.File
	var err error
	for i := 2; ; i++ {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !os.IsExist(err) || i > 100 {
			break
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d.ndjson", base, i))
	}
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return path, fmt.Errorf("export to %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return path, fmt.Errorf("export to %s: %w", path, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, nil
}

// resolveHiddenCmd asks for the distinguished folders outside the visible
// tree and the folders under root (model.ResolveHiddenDistinguished).
func resolveHiddenCmd(ctx context.Context, b Backend) tea.Cmd {
	return func() tea.Msg {
		fs, err := model.ResolveHiddenDistinguished(ctx, b)
		return hiddenMsg{folders: fs, err: err}
	}
}

// resolveFoldersCmd asks GetFolder for folder ids events named that nobody
// knows (model.State.UnknownFolders).
func resolveFoldersCmd(ctx context.Context, b Backend, ids []string) tea.Cmd {
	return func() tea.Msg {
		fs, err := model.ResolveFolders(ctx, b, ids)
		return hiddenMsg{folders: fs, err: err}
	}
}
