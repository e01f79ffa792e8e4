package ews

import (
	"io"
	"testing"
	"time"
)

// Each envelope of a stream is returned as soon as its last byte is in,
// not when the next one starts: a monitor that waits for the next envelope
// shows every event a heartbeat late, and loses it when the stream breaks.
func TestStreamReaderReturnsEachEnvelopeAtOnce(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	sr := NewStreamReader(pr, 0)
	for i, env := range []string{statusEnvelope("OK"), newMailEnvelope("s", "i"), statusEnvelope("OK")} {
		go io.WriteString(pw, env)
		got := make(chan error, 1)
		go func() { _, err := sr.Next(); got <- err }()
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("envelope %d not returned while the stream stays open", i+1)
		}
	}
}

// An envelope corrupted halfway, followed by good ones on an open stream:
// the reader fails at once rather than count tags across the envelopes
// after it (which swallowed a second of events until the watchdog fired).
func TestStreamReaderFailsAtOnceOnCorruptEnvelope(t *testing.T) {
	for name, bad := range map[string]string{
		"garbage": newMailEnvelope("s", "i")[:200] + "<<\x00garbage",
		"cut":     newMailEnvelope("s", "i")[:200],
	} {
		t.Run(name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			sr := NewStreamReader(pr, 0)
			go io.WriteString(pw, bad+statusEnvelope("OK")+statusEnvelope("OK"))
			got := make(chan error, 1)
			go func() { _, err := sr.Next(); got <- err }()
			select {
			case err := <-got:
				if err == nil {
					t.Fatal("a corrupt envelope read as good")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the reader waits for more input after a corrupt envelope")
			}
		})
	}
}
