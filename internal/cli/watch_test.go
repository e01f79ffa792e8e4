package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// watchLines splits `ewsmon watch --json` output into event records and
// state records, failing on anything that is not one JSON object per line.
func watchLines(t *testing.T, out string) (events, states []ews.Record) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r ews.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not a JSON object: %q: %v", sc.Text(), err)
		}
		if r.Type == "State" {
			states = append(states, r)
			continue
		}
		if !strings.HasSuffix(r.Type, "Event") || r.TimeStamp == "" || (r.ItemId == "" && r.FolderId == "") {
			t.Fatalf("not an event record: %q", sc.Text())
		}
		events = append(events, r)
	}
	return events, states
}

func checkStates(t *testing.T, states []ews.Record, mode string) {
	t.Helper()
	if len(states) < 2 {
		t.Fatalf("states %+v: want at least open and unsubscribed", states)
	}
	seenOpen := false
	for _, s := range states {
		if s.Mode != mode {
			t.Errorf("state %+v: mode %q, want %q", s, s.Mode, mode)
		}
		if s.State == string(ews.StateOpen) && s.SubscriptionId != "" {
			seenOpen = true
		}
	}
	if !seenOpen {
		t.Errorf("no open state with a subscription id in %+v", states)
	}
	if last := states[len(states)-1]; last.State != string(ews.StateUnsubscribed) {
		t.Errorf("last state %+v, want unsubscribed", last)
	}
}

func TestWatchSimCount(t *testing.T) {
	for _, mode := range []string{"streaming", "pull"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stdout, stderr cmdBuffer
			code := runWatch(ctx, []string{"--json", "--sim", "--count", "20", "--sim-rate", "20", "--mode", mode, "--poll", "100ms"}, &stdout, &stderr)
			if code != 0 || ctx.Err() != nil {
				t.Fatalf("exit status %d (ctx %v); stderr:\n%s", code, ctx.Err(), stderr.String())
			}
			events, states := watchLines(t, stdout.String())
			if len(events) != 20 {
				t.Fatalf("%d events, want 20:\n%s", len(events), stdout.String())
			}
			for _, e := range events {
				if e.Type == string(ews.StatusEvent) {
					t.Errorf("StatusEvent printed without --events Status: %+v", e)
				}
				if (mode == "pull") != (e.Watermark != "") {
					t.Errorf("%s event with watermark %q", mode, e.Watermark)
				}
			}
			checkStates(t, states, mode)
		})
	}
}

// TestWatchSimAuth: --sim --auth starts the simulator requiring that
// authentication with a one-off password, and the client passes it.
func TestWatchSimAuth(t *testing.T) {
	for _, auth := range []string{"basic", "ntlm"} {
		t.Run(auth, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stdout, stderr cmdBuffer
			code := runWatch(ctx, []string{"--sim", "--auth", auth, "--user", `EXAMPLE\alice`, "--count", "5", "--sim-rate", "20"}, &stdout, &stderr)
			if code != 0 || ctx.Err() != nil {
				t.Fatalf("exit status %d (ctx %v); stderr:\n%s", code, ctx.Err(), stderr.String())
			}
			events, states := watchLines(t, stdout.String())
			if len(events) != 5 {
				t.Fatalf("%d events, want 5:\n%s", len(events), stdout.String())
			}
			checkStates(t, states, "streaming")
		})
	}
}

// TestWatchTLS serves the simulator over HTTPS with a certificate no
// system trusts: refused by default, accepted with --ca-file, and with
// --insecure (which warns).
func TestWatchTLS(t *testing.T) {
	h, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ts := httptest.NewTLSServer(h)
	defer ts.Close()
	url := ts.URL + "/EWS/Exchange.asmx"
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stderrRe string
	}{
		{"untrusted", nil, 1, `^ewsmon watch: .*certificate.*\n$`},
		{"ca-file", []string{"--ca-file", ca}, 0, `^$`},
		{"insecure", []string{"--insecure"}, 0, `^ewsmon watch: warning: TLS certificate verification is off.*\n$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No wall-clock budget for the TLS handshake (it once had
			// --duration 300ms, too little under -race on a busy
			// machine): the refused run ends by itself; an accepted one
			// is stopped once it is open. The deadlines only bound a hang.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			watchCtx, stop := context.WithCancel(ctx)
			defer stop()
			var stdout, stderr cmdBuffer
			done := make(chan int, 1)
			go func() {
				done <- runWatch(watchCtx, append([]string{"--url", url, "--auth", "none"}, tc.args...), &stdout, &stderr)
			}()
			if tc.code == 0 {
				waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
				stop()
			}
			var code int
			select {
			case code = <-done:
			case <-ctx.Done():
				t.Fatalf("ewsmon watch did not end; stderr %q", stderr.String())
			}
			if code != tc.code {
				t.Fatalf("exit status %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			if !regexp.MustCompile(tc.stderrRe).MatchString(stderr.String()) {
				t.Fatalf("stderr %q does not match %s", stderr.String(), tc.stderrRe)
			}
			if tc.code == 0 {
				_, states := watchLines(t, stdout.String())
				checkStates(t, states, "streaming")
			}
		})
	}
}

func TestWatchDuration(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr cmdBuffer
	start := time.Now()
	// --duration must cover starting the simulator and subscribing (the
	// states checked below), so it is seconds, not a tight budget.
	code := runWatch(ctx, []string{"--sim", "--sim-rate", "0", "--duration", "3s"}, &stdout, &stderr)
	if code != 0 || ctx.Err() != nil {
		t.Fatalf("exit status %d (ctx %v); stderr:\n%s", code, ctx.Err(), stderr.String())
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Fatalf("ended after %v, before --duration 3s", took)
	}
	events, states := watchLines(t, stdout.String())
	if len(events) != 0 {
		t.Fatalf("events without activity: %+v", events)
	}
	checkStates(t, states, "streaming")
}

// TestWatchFiltersAndAuth watches a Basic-auth simulator with the password
// from --password-cmd, only NewMail events in the inbox, and fires the
// actions itself.
func TestWatchFiltersAndAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{Auth: sim.AuthConfig{Mode: "basic", User: "alice@example.com", Password: "pa ss"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var stdout, stderr cmdBuffer
	done := make(chan int, 1)
	go func() {
		done <- runWatch(ctx, []string{"--url", srv.URL(), "--auth", "basic", "--user", "alice@example.com",
			"--password-cmd", "printf 'pa ss\\n'", "--folders", "inbox", "--events", "NewMail", "--count", "2"}, &stdout, &stderr)
	}()
	waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
	for i := 0; i < 2; i++ {
		if _, err := srv.Act(ctx, sim.ActionRequest{Action: "mark-read"}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Act(ctx, sim.ActionRequest{Action: "new-mail", Folder: "inbox"}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit status %d; stderr:\n%s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("watch did not end; output:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	events, states := watchLines(t, stdout.String())
	if len(events) != 2 {
		t.Fatalf("%d events, want 2:\n%s", len(events), stdout.String())
	}
	for _, e := range events {
		if e.Type != string(ews.NewMailEvent) {
			t.Errorf("event %+v, want only NewMailEvent", e)
		}
	}
	checkStates(t, states, "streaming")
	if strings.Contains(stderr.String(), "clear text") {
		t.Errorf("Basic over http:// to loopback warned:\n%s", stderr.String())
	}
}

// Basic credentials over plain http:// to another host: one warning line on
// stderr before anything is sent. (The .invalid name never resolves, RFC
// 6761, so the run then ends.)
func TestWatchWarnsOfBasicOverPlainHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr cmdBuffer
	code := runWatch(ctx, []string{"--url", "http://ews.invalid/EWS/Exchange.asmx", "--auth", "basic", "--user", "alice",
		"--password-cmd", "echo pw"}, &stdout, &stderr)
	if code == 0 {
		t.Fatalf("watch of an unknown host succeeded; stderr:\n%s", stderr.String())
	}
	want := "ewsmon watch: warning: basic authentication over plain http:// to ews.invalid sends the password in clear text"
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if lines[0] != want || strings.Count(stderr.String(), "clear text") != 1 {
		t.Fatalf("stderr:\n%s\nwant first and only warning line %q", stderr.String(), want)
	}
}

func TestWatchErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{Auth: sim.AuthConfig{Mode: "basic", User: "alice@example.com", Password: "right"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ntlmSrv, err := sim.Start(ctx, sim.Config{Auth: sim.AuthConfig{Mode: "ntlm", User: "alice@example.com", Password: "right"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ntlmSrv.Close()
	// A port that nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/EWS/Exchange.asmx"
	ln.Close()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong password", []string{"--url", srv.URL(), "--auth", "basic", "--user", "alice@example.com", "--password-cmd", "echo wrong"}, 1, "authentication failed"},
		{"wrong ntlm password", []string{"--url", ntlmSrv.URL(), "--user", `EXAMPLE\alice`, "--password-cmd", "echo wrong"}, 1, "authentication failed"},
		{"unknown folder", []string{"--url", srv.URL(), "--auth", "basic", "--user", "alice@example.com", "--password-cmd", "echo right", "--folders", "inbox,nonexistent"}, 1, "--folders nonexistent: no such folder"},
		{"unreachable", []string{"--url", closed, "--auth", "none"}, 1, ln.Addr().String()},
		{"no password", []string{"--url", srv.URL(), "--user", "alice@example.com"}, 1, "EWSMON_PASSWORD"},
		{"failing password command", []string{"--url", srv.URL(), "--user", "a", "--password-cmd", "exit 3"}, 1, "--password-cmd failed: exit status 3"},
		{"nothing to watch", []string{"--json"}, 2, "--url"},
		{"both", []string{"--sim", "--url", srv.URL()}, 2, "not both"},
		{"bad mode", []string{"--sim", "--mode", "carrier-pigeon"}, 2, "--mode"},
		{"bad event", []string{"--sim", "--events", "NewMail,Exploded"}, 2, "Exploded"},
		{"bad auth", []string{"--url", srv.URL(), "--auth", "kerberos"}, 2, "--auth"},
		{"auth without user", []string{"--url", srv.URL(), "--auth", "basic"}, 2, "--user"},
		{"sim with bearer", []string{"--sim", "--auth", "bearer"}, 2, "bearer"},
		{"no password flag", []string{"--sim", "--password", "x"}, 2, "password"},
		{"not json", []string{"--sim", "--json=false"}, 2, "--json"},
		{"bad count", []string{"--sim", "--count", "-1"}, 2, "--count"},
		{"sim rate NaN", []string{"--sim", "--sim-rate", "NaN"}, 2, "--sim-rate NaN: use 0 (off) to 1000"},
		{"sim rate huge", []string{"--sim", "--sim-rate", "1e9"}, 2, "--sim-rate 1e+09"},
		{"poll too short", []string{"--sim", "--mode", "pull", "--poll", "1ms"}, 2, "--poll 1ms: must be at least 100ms"},
		{"extra argument", []string{"--sim", "now"}, 2, "now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EWSMON_PASSWORD", "")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr cmdBuffer
			code := runWatch(ctx, tc.args, &stdout, &stderr)
			if ctx.Err() != nil {
				t.Fatalf("still running after 30s; stderr %q", stderr.String())
			}
			msg := stderr.String()
			if code != tc.code {
				t.Fatalf("exit status %d, want %d; stderr %q", code, tc.code, msg)
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "ewsmon watch: ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("want one line mentioning %q, got %q", tc.want, msg)
			}
			if stdout.String() != "" {
				t.Fatalf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// buildEwsmon builds the binary into a temporary directory.
func buildEwsmon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ewsmon")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ewsmon/ewsmon").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestWatchBinary(t *testing.T) {
	bin := buildEwsmon(t)

	t.Run("count", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "watch", "--json", "--sim", "--count", "20")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ewsmon watch --json --sim --count 20: %v\n%s", err, stderr.String())
		}
		events, states := watchLines(t, string(out))
		if len(events) != 20 {
			t.Fatalf("%d events, want 20:\n%s", len(events), out)
		}
		checkStates(t, states, "streaming")
	})

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "watch", "--json", "--sim", "--sim-rate", "0")
			var stdout cmdBuffer
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitOutput(t, &stdout, regexp.MustCompile(`"state":"open"`), 20*time.Second)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v\n%s", sig, err, stderr.String())
			}
			_, states := watchLines(t, stdout.String())
			checkStates(t, states, "streaming")
		})
	}
}

// TestWatchAgainstSimBinaries is the two commands as a user runs them:
// `ewsmon sim --auth …` in one process, `ewsmon watch --json --url …` with
// the password in EWSMON_PASSWORD in another, an action fired over
// POST /sim/actions, and the new mail's three events printed.
func TestWatchAgainstSimBinaries(t *testing.T) {
	bin := buildEwsmon(t)
	for _, auth := range []string{"basic", "ntlm"} {
		t.Run(auth, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			simCmd := exec.CommandContext(ctx, bin, "sim", "--listen", "127.0.0.1:0", "--auth", auth,
				"--user", "alice@example.com", "--password", "Pa55 word", "--rate", "0")
			var simOut, simErr cmdBuffer
			simCmd.Stdout, simCmd.Stderr = &simOut, &simErr
			if err := simCmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = simCmd.Process.Signal(syscall.SIGINT)
				_ = simCmd.Wait()
			}()
			url := waitOutput(t, &simOut, regexp.MustCompile(`EWS endpoint (\S+)\n`), 20*time.Second)[1]

			watchCmd := exec.CommandContext(ctx, bin, "watch", "--json", "--url", url, "--auth", auth,
				"--user", "alice@example.com", "--count", "3")
			watchCmd.Env = append(os.Environ(), "EWSMON_PASSWORD=Pa55 word")
			var watchOut, watchErr cmdBuffer
			watchCmd.Stdout, watchCmd.Stderr = &watchOut, &watchErr
			if err := watchCmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitOutput(t, &watchOut, regexp.MustCompile(`"state":"open"`), 20*time.Second)
			resp, err := http.Post(strings.TrimSuffix(url, "/EWS/Exchange.asmx")+"/sim/actions", "application/json",
				strings.NewReader(`{"action":"new-mail","folder":"inbox"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if err := watchCmd.Wait(); err != nil {
				t.Fatalf("ewsmon watch: %v\n%s\nsimulator log:\n%s", err, watchErr.String(), simErr.String())
			}
			events, states := watchLines(t, watchOut.String())
			var types []string
			for _, e := range events {
				types = append(types, e.Type)
			}
			if strings.Join(types, ",") != "CreatedEvent,NewMailEvent,ModifiedEvent" {
				t.Fatalf("events %v, want the new mail cascade CreatedEvent,NewMailEvent,ModifiedEvent", types)
			}
			checkStates(t, states, "streaming")
		})
	}
}

// Output that cannot be written (a full disk) stops watch with one line,
// after the runner unsubscribed: no subscription is left on the server.
func TestWatchOutputFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{Rate: 5}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var stderr cmdBuffer
	// The state lines get through; the disk fills up at the first event.
	out := &failAfter{n: 2}
	code := runWatch(ctx, []string{"--url", srv.URL(), "--auth", "none"}, out, &stderr)
	if code != 1 || stderr.String() != "ewsmon watch: writing output: write /dev/stdout: no space left on device\n" {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if st := srv.Stats(); st.Streaming != 0 || st.Pull != 0 {
		t.Errorf("subscriptions left on the server: %+v", st)
	}
}

// failAfter accepts n writes, then fails like a full disk.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return len(p), nil
	}
	return failWriter{}.Write(p)
}

// While reconnecting, a new reason is printed: the stream broke, then the
// server cannot be reached at all.
func TestWatchPrintsEachNewReason(t *testing.T) {
	ctx, srv := startTestSim(t, sim.Config{})
	var stdout, stderr cmdBuffer
	done := make(chan int, 1)
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { done <- runWatch(watchCtx, []string{"--url", srv.URL(), "--auth", "none"}, &stdout, &stderr) }()
	waitFor := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stdout.String(), what); {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in output:\n%s", what, stdout.String())
			}
			time.Sleep(10 * time.Millisecond) // polling the output, with a deadline
		}
	}
	waitFor(`"state":"open"`)
	srv.Close()
	waitFor("connection refused")
	stop()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	_, states := watchLines(t, stdout.String())
	var reasons []string
	for _, s := range states {
		if s.State == string(ews.StateReconnecting) {
			reasons = append(reasons, s.Message)
		}
	}
	if len(reasons) < 2 || !strings.Contains(reasons[len(reasons)-1], "cannot connect to "+srv.URL()) {
		t.Errorf("reconnecting reasons %q: want the stream's end, then the refused connection", reasons)
	}
}

// --duration bounds the whole run, even against a server that takes the
// request and never answers.
func TestWatchDurationBoundsSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold every connection open, say nothing
		}
	}()
	url := "http://" + ln.Addr().String() + "/EWS/Exchange.asmx"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr cmdBuffer
	code := runWatch(ctx, []string{"--url", url, "--auth", "none", "--duration", "300ms"}, &stdout, &stderr)
	if ctx.Err() != nil {
		t.Fatal("--duration 300ms did not end the run")
	}
	if code != 1 || stderr.String() != "ewsmon watch: no answer from "+url+" within --duration 300ms\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// `ewsmon watch --json | head -3` on a quiet mailbox: once the reader has
// gone, watch notices without waiting for the next event, unsubscribes and
// exits 0 with nothing on stderr.
func TestWatchClosedPipe(t *testing.T) {
	ctx, srv := startTestSim(t, sim.Config{})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var stderr cmdBuffer
	done := make(chan int, 1)
	go func() { done <- runWatch(ctx, []string{"--url", srv.URL(), "--auth", "none"}, w, &stderr) }()
	// Read up to the "open" state line, like head would, then go away.
	buf := make([]byte, 0, 4096)
	for !strings.Contains(string(buf), `"state":"open"`) {
		tmp := make([]byte, 512)
		n, err := r.Read(tmp)
		if err != nil {
			t.Fatalf("reading: %v (%q)", err, buf)
		}
		buf = append(buf, tmp[:n]...)
	}
	if st := srv.Stats(); st.Streaming != 1 {
		t.Fatalf("subscriptions before: %+v", st)
	}
	r.Close()
	select {
	case code := <-done:
		if code != 0 || stderr.String() != "" {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not notice its reader had gone")
	}
	if st := srv.Stats(); st.Streaming != 0 {
		t.Errorf("subscription left on the server: %+v", st)
	}
}

// A gap is a Gap line as soon as coverage is back, then what changed
// across it: here the simulator restarts (streaming subscriptions are
// dropped) and a mail arrives before the new subscription exists.
func TestWatchGapLines(t *testing.T) {
	ctx, srv := startTestSim(t, sim.Config{})
	// The baseline is taken in the background once subscribed; its last
	// call is a SyncFolderItems of the inbox. Wait for that answer.
	synced := make(chan struct{}, 16)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv.ServeHTTP(w, r)
		if bytes.Contains(body, []byte("SyncFolderItems")) {
			synced <- struct{}{}
		}
	}))
	defer ts.Close()
	var stdout, stderr cmdBuffer
	done := make(chan int, 1)
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		done <- runWatch(watchCtx, []string{"--url", ts.URL + "/EWS/Exchange.asmx", "--auth", "none", "--folders", "inbox", "--duration", "40s"}, &stdout, &stderr)
	}()
	select {
	case <-synced:
	case <-ctx.Done():
		t.Fatal("no baseline taken")
	}
	// The restart and the mail happen under one lock-step: the mail is in
	// the store before any new subscription can exist.
	srv.Faults().Restart()
	res, err := srv.Act(ctx, sim.ActionRequest{Action: "new-mail", Folder: "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	var itemID string
	for _, e := range res.Events {
		if e.Type == ews.CreatedEvent {
			itemID = e.ItemId.Id
		}
	}
	m := waitOutput(t, &stdout, regexp.MustCompile(`\{"type":"ReconcileSummary"[^\n]*\n`), 30*time.Second)
	var gap, summary ews.Record
	var recs []ews.Record
	for _, line := range strings.Split(stdout.String(), "\n") {
		var rec ews.Record
		if line == "" || json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec.Type {
		case "Gap":
			gap = rec
		case "Reconciled":
			recs = append(recs, rec)
		case "ReconcileSummary":
			summary = rec
		}
	}
	from, err1 := time.Parse(time.RFC3339, gap.From)
	to, err2 := time.Parse(time.RFC3339, gap.To)
	if err1 != nil || err2 != nil || to.Before(from) || gap.Reason == "" || gap.Gap != 1 {
		t.Fatalf("gap line %+v (%v %v)\n%s", gap, err1, err2, m[0])
	}
	if to.Sub(from) > 20*time.Second {
		t.Errorf("gap %v – %v is not tight", from, to)
	}
	found := false
	for _, r := range recs {
		if r.Gap != 1 || r.FolderId == "" {
			t.Errorf("reconciled line %+v", r)
		}
		if r.Change == "Create" && itemID != "" && r.ItemId == itemID {
			found = true
		}
	}
	if !found || summary.Changes == nil || *summary.Changes != len(recs) {
		t.Fatalf("the new mail %q not among the reconciled changes %+v (summary %+v)\n%s", itemID, recs, summary, stdout.String())
	}
	stop()
	<-done
}

// startTestSim starts a simulator on 127.0.0.1 for one test, with a
// context that bounds the test at a minute; both end with the test.
func startTestSim(t *testing.T, cfg sim.Config) (context.Context, *sim.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	srv, err := sim.Start(ctx, cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return ctx, srv
}
