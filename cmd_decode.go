package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ewsmon/ewsmon/ews"
)

const decodeUsage = `usage: ewsmon decode FILE...

Decodes saved EWS XML — a response, a whole GetStreamingEvents body with many
envelopes, a push SendNotification request, a SOAP fault, or a saved HTTP
message with its headers — and prints one JSON object per line, in document
order: events ({"type":"NewMailEvent",...}), connection status
({"type":"ConnectionStatus","status":"OK"}) and errors ({"type":"Error",...}).
"-" reads standard input.

exit status: 0 decoded, 1 the input holds EWS errors, 2 unreadable or not XML
`

// runDecode implements `ewsmon decode FILE…`.
func runDecode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var files []string
	dashdash := false
	for _, a := range args {
		switch {
		case dashdash || a == "-" || len(a) == 0 || a[0] != '-':
			files = append(files, a)
		case a == "--":
			dashdash = true
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
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	status := 0
	for _, name := range files {
		if ctx.Err() != nil {
			out.Flush()
			return 2
		}
		code := decodeFile(name, stdin, enc, out, stderr)
		if code > status {
			status = code
		}
		if sink.err != nil {
			break
		}
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

// decodeFile decodes one file and returns its exit status.
func decodeFile(name string, stdin io.Reader, enc *json.Encoder, out *bufio.Writer, stderr io.Writer) int {
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
	err := ews.Decode(r, func(rec ews.Record) {
		if rec.Type == "Error" {
			status = 1
		}
		_ = enc.Encode(rec)
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
