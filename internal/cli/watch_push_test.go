package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
)

func TestWatchPushFlags(t *testing.T) {
	o, err := parseWatchArgs([]string{"--sim", "--mode", "push", "--push-listen", "127.0.0.1:0", "--push-url", "https://ews-hook.example.com", "--status-frequency", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.watch.Mode != ews.ModePush || o.watch.StatusFrequency != 5 || o.push.PublicURL != "https://ews-hook.example.com" {
		t.Errorf("options %+v %+v", o.watch, o.push)
	}
	for _, c := range []struct{ args, want string }{
		{"--sim --push-url http://x", "are for --mode push"},
		{"--sim --mode pull --status-frequency 3", "are for --mode push"},
		{"--sim --mode push --status-frequency 2000", "--status-frequency 2000: use 1 to 1440 minutes"},
		{"--sim --mode carrier-pigeon", "use streaming, pull, push or all"},
		{"--sim --mode all --sim-push-minute 10ms", "--sim-push-minute 10ms: use 1s to 1m"},
	} {
		_, err := parseWatchArgs(strings.Fields(c.args), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.args, err, c.want)
		}
	}
}
