package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

const decodeUsage = `usage: ewsmon decode [--no-cascades] FILE...

Decodes saved EWS XML — a response, a whole GetStreamingEvents body with many
envelopes, a push SendNotification request, a SOAP fault, or a saved HTTP
message with its headers — and prints one JSON object per line, in document
order: events ({"type":"NewMailEvent",...}), connection status
({"type":"ConnectionStatus","status":"OK"}), errors ({"type":"Error",...}),
and for a response or request without events one line that says what it is
({"type":"Response","operation":"Subscribe","subscription_id":...}), followed
by a line for each folder change, folder or item it holds. "-" reads
standard input.

The events of all the files, in order, are grouped into cascades (the events
one user action fired) as the dashboard groups them, by their TimeStamps:
each event gets "cascade" (a number) and "cascade_label" ("New mail in
Inbox"), and folder_name / parent_folder_name / old_parent_folder_name and
subject where the input itself names them (a SyncFolderHierarchy, GetFolder
or GetItem response in it).

flags:
  --no-cascades   print the events as they are, without cascades or names

exit status: 0 decoded, 1 the input holds EWS errors, 2 unreadable or not XML
`

// runDecode implements `ewsmon decode FILE…`.
func runDecode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var files []string
	dashdash, cascades := false, true
	for _, a := range args {
		switch {
		case dashdash || a == "-" || len(a) == 0 || a[0] != '-':
			files = append(files, a)
		case a == "--":
			dashdash = true
		case a == "--no-cascades" || a == "-no-cascades":
			cascades = false
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stdout, decodeUsage)
			return 0
		default:
			fmt.Fprintf(stderr, "ewsmon decode: unknown flag %s\n%s", a, decodeUsage)
			return 2
		}
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "ewsmon decode: no file given\n%s", decodeUsage)
		return 2
	}
	sink := &errWriter{w: stdout}
	out := bufio.NewWriter(sink)
	enc := &recordWriter{w: out}
	d := &decoder{enc: enc}
	if cascades {
		d.cw = newCascadeWriter(model.DefaultCascadeGap, func(r ews.Record) error { return enc.Encode(r) })
	}
	status := 0
	for _, name := range files {
		if ctx.Err() != nil {
			if d.cw != nil {
				_ = d.cw.close()
			}
			out.Flush()
			return 2
		}
		code := d.file(name, stdin, out, stderr)
		if code > status {
			status = code
		}
		if sink.err != nil {
			break
		}
	}
	if d.cw != nil {
		_ = d.cw.close() // the end of the input closes the last cascade
	}
	if err := out.Flush(); err != nil || sink.err != nil {
		if sink.err != nil {
			err = sink.err
		}
		fmt.Fprintf(stderr, "ewsmon decode: writing output: %v\n", err)
		return 2
	}
	return status
}

// recordWriter writes records as JSON lines (ews.Record.AppendJSON: what
// encoding/json writes, without its reflection).
type recordWriter struct {
	w    io.Writer
	line []byte
}

func (rw *recordWriter) Encode(r ews.Record) error {
	rw.line = r.AppendJSON(rw.line[:0])
	_, err := rw.w.Write(rw.line)
	return err
}

// errWriter keeps the first write error, so that output lost to a full
// disk or a closed pipe is reported rather than ignored.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// decoder prints the lines of one `ewsmon decode` run: through a
// cascadeWriter (events grouped over all its files), or as they come.
type decoder struct {
	enc *recordWriter
	cw  *cascadeWriter // nil: --no-cascades
}

// take prints one decoded line, after teaching the model the folder names
// and item subjects it carries.
func (d *decoder) take(x ews.Decoded) {
	if d.cw == nil {
		_ = d.enc.Encode(x.Record)
		return
	}
	st := d.cw.st
	switch {
	case x.Event != nil && x.Event.Type != ews.StatusEvent:
		_ = d.cw.event(*x.Event, time.Time{})
		return
	case x.Sync != nil:
		st.ApplySync(x.Sync)
	case x.Folder != nil && x.Folder.DisplayName != "":
		// A folder that GetFolder (or a folder operation) named: the same
		// to the tree as a sync reporting it.
		st.ApplySync(&ews.SyncFolderHierarchyResult{IncludesLastFolderInRange: true,
			Changes: []ews.FolderChange{{Kind: ews.ChangeUpdate, Folder: *x.Folder}}})
		st.ApplyFolders([]ews.Folder{*x.Folder})
	case x.Item != nil:
		st.ApplyItem(*x.Item)
	}
	_ = d.cw.line(x.Record)
}

// file decodes one file and returns its exit status.
func (d *decoder) file(name string, stdin io.Reader, out *bufio.Writer, stderr io.Writer) int {
	var r io.Reader
	label := name
	if name == "-" {
		r, label = stdin, "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			fmt.Fprintf(stderr, "ewsmon decode: cannot read %s: %v\n", name, err)
			return 2
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			fmt.Fprintf(stderr, "ewsmon decode: cannot read %s: it is a directory\n", name)
			return 2
		}
		r = f
	}
	status := 0
	err := ews.DecodeAll(r, func(x ews.Decoded) {
		if x.Record.Type == "Error" {
			status = 1
		}
		d.take(x)
	})
	if err != nil {
		out.Flush()
		var de *ews.DecodeError
		if errors.As(err, &de) {
			fmt.Fprintf(stderr, "ewsmon decode: %s: %v at byte %d\n", label, de.Err, de.Offset)
		} else {
			fmt.Fprintf(stderr, "ewsmon decode: %s: %v\n", label, err)
		}
		return 2
	}
	return status
}
