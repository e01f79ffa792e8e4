package cli

import (
	"fmt"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// Every default of the commands, and the checks more than one command
// makes, live here once.

// demoMailbox is the mailbox the simulator serves when none is named, and
// the user the dashboard and watch use on their embedded simulator.
const demoMailbox = sim.DefaultMailbox

// defaultAuth is the authentication against a real server when none is
// named: NTLM, what Exchange on premises offers. Watch without a user, and
// any embedded simulator, use none.
const defaultAuth = ews.AuthNTLM

const (
	defaultMode      = "streaming" // streaming | pull
	defaultTheme     = "auto"      // auto | dark | light | none
	defaultMaxEvents = 100000      // events the dashboard keeps

	// Demo actions per second: the dashboard's embedded simulator,
	// watch --sim's, and ewsmon sim's.
	dashboardSimRate = 0.5
	watchSimRate     = 2
	simRate          = 0.5
	// activityRate is the rate the dashboard's activity key turns the
	// generator on at when --sim-rate is 0.
	activityRate = 0.5

	simListen    = "127.0.0.1:8080"
	simHeartbeat = 30 * time.Second
	// simPassword is the simulator's own test password, not a secret.
	simPassword = "secret"

	// Bounds: beyond them the simulator would only burn CPU (a 1ns
	// heartbeat on every stream), and a poller would hammer the server.
	minHeartbeat = 10 * time.Millisecond
	minPoll      = 100 * time.Millisecond
)

// checkSimRate checks a simulator's demo-action rate given by the flag
// named flagName ("--sim-rate", "--rate").
func checkSimRate(flagName string, r float64) error {
	if r >= 0 && r <= sim.MaxRate { // false for NaN too
		return nil
	}
	return fmt.Errorf("%s %v: use 0 (off) to %v actions per second", flagName, r, sim.MaxRate)
}

// checkPoll checks a pull interval (0: the default).
func checkPoll(d time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("--poll %v: must be positive", d)
	case d > 0 && d < minPoll:
		return fmt.Errorf("--poll %v: must be at least %v (shorter would hammer the server)", d, minPoll)
	}
	return nil
}

// checkSimPushMinute checks how long a simulated minute of push
// StatusFrequency lasts (sim.Config.PushMinute).
func checkSimPushMinute(d time.Duration) error {
	if d < time.Second || d > time.Minute {
		return fmt.Errorf("--sim-push-minute %v: use 1s to 1m", d)
	}
	return nil
}

// checkSimServer checks the name of a simulator's server profile.
func checkSimServer(flagName, name string) error {
	if _, err := sim.LookupProfile(name); err != nil {
		return fmt.Errorf("%s: %v", flagName, err)
	}
	return nil
}
