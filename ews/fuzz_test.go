package ews

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzSeeds are every sample in ../../shared/ews-samples, the mixed stream
// and the fault bodies.
func fuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	https, _ := filepath.Glob(filepath.Join(samplesDir, "*.http"))
	files = append(files, https...)
	files = append(files, "testdata/stream-mixed.xml")
	if len(files) < 10 {
		f.Fatalf("samples missing in %s (the repository expects ../shared beside it)", samplesDir)
	}
	var seeds [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return append(seeds, []byte(serverBusyFault), []byte(schemaFault), []byte(getItemResponse), []byte(syncWithUpdateDelete))
}

// FuzzDecode: the envelope parser and Decode never panic, and every failure
// is a *DecodeError with an offset inside the input.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := Decode(bytes.NewReader(data), func(r Record) {
			n++
			if r.Type == "" {
				t.Fatalf("record without type: %+v", r)
			}
		})
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			if de.Offset < 0 || de.Offset > int64(len(data)) {
				t.Fatalf("offset %d outside the input of %d bytes", de.Offset, len(data))
			}
		}
		// The same bytes through the typed parsers must not panic either.
		if env, err := parseOne(data, 0); err == nil {
			_, _ = parseSubscribe(env)
			_, _ = parseGetEvents(env)
			_, _ = parseSyncFolderHierarchy(env)
			_, _ = parseGetFolder(env)
			_, _ = parseGetItem(env)
			_, _ = streamMessage(env)
		}
	})
}

// FuzzStreamReader: reading a stream in two pieces split anywhere gives
// exactly what reading it whole gives.
func FuzzStreamReader(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, uint16(i*97))
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint16) {
		whole, errWhole := readAll(t, NewStreamReader(bytes.NewReader(data), 1<<20))
		split, errSplit := readAll(t, NewStreamReader(&splitReader{data: data, at: int(at)}, 1<<20))
		if fmt.Sprint(errWhole) != fmt.Sprint(errSplit) {
			t.Fatalf("whole: %v; split at %d: %v", errWhole, at, errSplit)
		}
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("split at %d changes the messages", at)
		}
		if errWhole != nil {
			var de *DecodeError
			if !errors.As(errWhole, &de) {
				t.Fatalf("error %v is not a *DecodeError", errWhole)
			}
		}
	})
}
