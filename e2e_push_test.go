package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The built binary: `ewsmon watch --json --sim --mode push --count 20`
// prints 20 events, received by its push listener from the embedded
// simulator, and exits 0.
func TestWatchPushBinary(t *testing.T) {
	bin := e2eBuild(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "watch", "--json", "--sim", "--mode", "push", "--count", "20")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("exit: %v\nstderr: %s", err, stderr.String())
	}
	events := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if typ, _ := rec["type"].(string); strings.HasSuffix(typ, "Event") {
			events++
			if rec["watermark"] == nil || rec["subscription_id"] == nil {
				t.Errorf("push event without watermark or subscription: %s", line)
			}
		} else if rec["mode"] != nil && rec["mode"] != "push" {
			t.Errorf("state line of mode %v", rec["mode"])
		}
	}
	if events != 20 {
		t.Errorf("%d events, want 20:\n%s", events, stdout.String())
	}
	if !strings.Contains(stderr.String(), "push listener on 127.0.0.1:") {
		t.Errorf("stderr %q", stderr.String())
	}
}
