package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ewsmon/ewsmon/ews"
)

// The control API: POST /sim/actions {"action":"new-mail","mailbox":"…",
// "folder":"inbox"} performs one action and answers
// {"action":"new-mail","events":[Record…]}; GET /sim/actions lists the
// action names. Errors answer {"error":"…"} with 400. It needs no
// authentication: it is for scripts and tests next to the simulator.

// maxActionBody bounds a control request's body.
const maxActionBody = 64 << 10

type actionResponse struct {
	Action string       `json:"action"`
	Events []ews.Record `json:"events"`
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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxActionBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value (send one action per request)")
	} else if err == nil {
		var extra json.RawMessage
		if e := dec.Decode(&extra); e != io.EOF {
			err = errors.New("more than one JSON value (send one action per request)")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("the body is larger than %d bytes; send {\"action\":\"new-mail\"}", maxActionBody)})
		return
	case err == io.EOF:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `empty body: send JSON like {"action":"new-mail"}`})
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
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
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
