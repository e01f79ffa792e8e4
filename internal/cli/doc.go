// Package cli is ewsmon's command layer: it turns a command line, the
// environment and the config file into settings, and wires the packages
// below it together for each command — the dashboard (ui on an ews.Client,
// or on the embedded ews/sim), watch (the same subscription engine writing
// JSON lines), sim (the simulator as a standalone server) and decode (saved
// EWS XML to JSON lines).
//
// One file per command (dashboard.go, watch.go, sim.go, decode.go); one
// path from flags through environment and config file to defaults
// (settings.go); one secret resolver (secret.go); each default and each
// check shared by several commands in one place (defaults.go). It holds no
// protocol, state or rendering code of its own: that is ews, model and ui.
// Main is the only entry point; package main calls it and nothing else.
package cli
