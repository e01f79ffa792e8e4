package sim

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/ewsmon/ewsmon/ews"
)

// The control API: POST /sim/actions {"action":"new-mail","mailbox":"…",
// "folder":"inbox"} performs one action and answers
// {"action":"new-mail","events":[Record…]}; GET /sim/actions lists the
// action names. Errors answer {"error":"…"} with 400. It needs no
// authentication: it is for scripts and tests next to the simulator.

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
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
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
