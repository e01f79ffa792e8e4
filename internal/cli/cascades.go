package cli

import (
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// cascadeWriter writes the lines of `ewsmon watch --json` and `ewsmon
// decode` with each event's cascade: it feeds the events to a model.State
// (the dashboard's grouping and labels) and holds an event's line until its
// cascade is closed — a later event started another, or close was called —
// so that the label written is the cascade's final one. Lines queued behind
// a held event keep their place. A cascade holding more than maxHeld events
// (or with more than maxHeldLines lines held) is closed and written out as
// it stands, so memory stays bounded.
type cascadeWriter struct {
	st    *model.State
	write func(ews.Record) error
	// named, when set, is called once per cascade before its lines are
	// written, with its entries: watch fetches subjects and folder names
	// there (at most one call each per cascade).
	named func([]*model.Entry)

	held   []heldLine
	events int // events among held
}

// heldLine is an event (ent set) or a line queued behind one.
type heldLine struct {
	ent *model.Entry
	rec ews.Record
}

const (
	// maxHeld bounds the events held for one open cascade, maxHeldLines
	// all lines held (a huge GetFolder answer decoded in the middle of a
	// cascade).
	maxHeld      = 5000
	maxHeldLines = 4 * maxHeld
	// cascadeMaxEvents is the model's log size for watch and decode: it
	// only has to hold the open cascade (and its predecessor, for a
	// split) with room to spare.
	cascadeMaxEvents = 4 * maxHeld
)

func newCascadeWriter(gap time.Duration, write func(ews.Record) error) *cascadeWriter {
	return &cascadeWriter{st: model.New(model.Config{MaxEvents: cascadeMaxEvents, CascadeGap: gap, Location: time.UTC}), write: write}
}

// event logs an event that arrived at at (zero: use its TimeStamp) and
// writes whatever is no longer held.
func (w *cascadeWriter) event(e ews.Event, at time.Time) error {
	e.RawXML = nil // the model keeps entries; the envelopes are not needed
	w.st.Apply(ews.Update{At: at, Events: []ews.Event{e}})
	ent := w.st.Newest()
	if ent == nil || ent.Gap != nil || ent.Recon != nil {
		return nil
	}
	w.held = append(w.held, heldLine{ent: ent})
	w.events++
	if w.events > maxHeld {
		return w.close()
	}
	return w.flush()
}

// line writes a line that is not an event of a cascade, behind the events
// still held.
func (w *cascadeWriter) line(rec ews.Record) error {
	if len(w.held) == 0 {
		return w.write(rec)
	}
	w.held = append(w.held, heldLine{rec: rec})
	if len(w.held) > maxHeldLines {
		return w.close()
	}
	return nil
}

// holding reports whether an event is held.
func (w *cascadeWriter) holding() bool { return w.events > 0 }

// close ends the open cascade and writes everything held: no event can
// join it any more (end of input, shutdown, CascadeGap of quiet, a gap).
func (w *cascadeWriter) close() error {
	w.st.CloseCascade()
	return w.flush()
}

// flush writes the held lines up to the first event of the open cascade.
func (w *cascadeWriter) flush() error {
	open := w.st.OpenCascade()
	i := 0
	var err error
	for i < len(w.held) && err == nil {
		h := w.held[i]
		if h.ent == nil {
			err = w.write(h.rec)
			i++
			continue
		}
		id := h.ent.CascadeID
		if id == open {
			break
		}
		// The cascade's events, and the lines queued among them.
		j := i
		var ents []*model.Entry
		for ; j < len(w.held); j++ {
			if e := w.held[j].ent; e != nil {
				if e.CascadeID != id {
					break
				}
				ents = append(ents, e)
			}
		}
		if w.named != nil {
			w.named(ents)
		}
		recs := w.st.Records(ents)
		for k := i; k < j && err == nil; k++ {
			if w.held[k].ent != nil {
				err, recs = w.write(recs[0]), recs[1:]
				w.events--
			} else {
				err = w.write(w.held[k].rec)
			}
		}
		i = j
	}
	n := copy(w.held, w.held[i:])
	clear(w.held[n:])
	w.held = w.held[:n]
	return err
}
