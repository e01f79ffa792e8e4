package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// The control API: POST /sim/actions {"action":"new-mail","mailbox":"…",
// "folder":"inbox"} performs one action and answers
// {"action":"new-mail","events":[Record…]} (and "folder_events" where a
// subscription naming folder ids gets other events); GET /sim/actions lists the
// action names. Errors answer {"error":"…"} with 400. It needs no
// authentication: it is for scripts and tests next to the simulator.

// maxActionBody bounds a control request's body.
const maxActionBody = 64 << 10

type actionResponse struct {
	Action string       `json:"action"`
	Events []ews.Record `json:"events"` // as a subscription on all folders gets them
	// FolderEvents: as a subscription naming folder ids gets them (before
	// its folder filter), when that differs (docs/cascades.md).
	FolderEvents []ews.Record `json:"folder_events,omitempty"`
}

func (s *Server) serveActions(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string][]string{"actions": Actions})
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST with a JSON body like {\"action\":\"new-mail\"}"})
		return
	}
	var req ActionRequest
	if status, err := decodeOne(w, r, &req, "action", `{"action":"new-mail"}`); err != nil {
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	res, err := s.Act(r.Context(), req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	out := actionResponse{Action: res.Action, Events: make([]ews.Record, 0, len(res.Events))}
	for _, e := range res.Events {
		out.Events = append(out.Events, ews.EventRecord(e))
	}
	same := len(res.FolderEvents) == len(res.Events)
	for i := 0; same && i < len(res.Events); i++ {
		same = res.Events[i].Watermark == res.FolderEvents[i].Watermark
	}
	if !same {
		for _, e := range res.FolderEvents {
			out.FolderEvents = append(out.FolderEvents, ews.EventRecord(e))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// FaultRequest is one POST /sim/faults body. Count is how many times for
// cut-stream and corrupt-next (default 1) and how many requests for
// server-busy; BackOffMs is server-busy's BackOffMilliseconds (default
// 1000); Ms is delay's hold time (0 turns delay off).
type FaultRequest struct {
	Fault     string `json:"fault"`
	Count     *int   `json:"count,omitempty"`
	BackOffMs *int64 `json:"back_off_ms,omitempty"`
	Ms        *int64 `json:"ms,omitempty"`
}

// FaultNames are the faults POST /sim/faults takes, in the order the help
// lists them.
var FaultNames = []string{"expire", "restart", "lose-history", "server-busy", "cut-stream", "corrupt-next", "delay"}

// maxFaultCount and maxFaultMs bound a fault's numbers, so that one request
// cannot wedge the simulator for days.
const (
	maxFaultCount = 1000000
	maxFaultMs    = 10 * 60 * 1000
)

// ApplyFault performs one fault request (the API behind POST /sim/faults).
func (s *Server) ApplyFault(req FaultRequest) error {
	count := 1
	if req.Count != nil {
		count = *req.Count
		if count < 1 || count > maxFaultCount {
			return fmt.Errorf("count %d: must be 1 to %d", count, maxFaultCount)
		}
	}
	ms := func(name string, p *int64, def int64) (time.Duration, error) {
		v := def
		if p != nil {
			v = *p
		}
		if v < 0 || v > maxFaultMs {
			return 0, fmt.Errorf("%s %d: must be 0 to %d milliseconds", name, v, maxFaultMs)
		}
		return time.Duration(v) * time.Millisecond, nil
	}
	f := s.faults
	switch strings.ToLower(strings.TrimSpace(req.Fault)) {
	case "expire":
		f.ExpireAll()
	case "restart":
		f.Restart()
	case "lose-history":
		f.LoseHistory()
	case "server-busy":
		d, err := ms("back_off_ms", req.BackOffMs, 1000)
		if err != nil {
			return err
		}
		f.ServerBusy(count, d)
	case "cut-stream":
		for range count {
			f.CutNextStream()
		}
	case "corrupt-next":
		for range count {
			f.CorruptNext()
		}
	case "delay":
		if req.Ms == nil {
			return errors.New(`delay needs "ms" (0 turns it off)`)
		}
		d, err := ms("ms", req.Ms, 0)
		if err != nil {
			return err
		}
		f.Delay(d)
	case "":
		return fmt.Errorf(`no fault named: send {"fault":"restart"} (one of %s)`, strings.Join(FaultNames, ", "))
	default:
		return fmt.Errorf("unknown fault %q (one of %s)", req.Fault, strings.Join(FaultNames, ", "))
	}
	return nil
}

// serveFaults: POST /sim/faults {"fault":"restart"} answers {"ok":true} or
// {"error":"…"} (4xx); GET lists the fault names and what is pending.
func (s *Server) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.faults.snapshot())
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": `use POST with a JSON body like {"fault":"restart"}`})
		return
	}
	var req FaultRequest
	if status, err := decodeOne(w, r, &req, "fault", `{"fault":"restart"}`); err != nil {
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	if err := s.ApplyFault(req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// decodeOne reads exactly one JSON value of at most maxActionBody bytes
// with no unknown fields; on error it returns the HTTP status to answer.
func decodeOne(w http.ResponseWriter, r *http.Request, v any, what, example string) (int, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxActionBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		var extra json.RawMessage
		if dec.More() || dec.Decode(&extra) != io.EOF {
			err = fmt.Errorf("more than one JSON value (send one %s per request)", what)
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Errorf("the body is larger than %d bytes; send %s", maxActionBody, example)
	case err == io.EOF:
		return http.StatusBadRequest, fmt.Errorf("empty body: send JSON like %s", example)
	}
	return http.StatusBadRequest, errors.New("bad JSON body: " + err.Error())
}
