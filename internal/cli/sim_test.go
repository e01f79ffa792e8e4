package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// cmdBuffer is an io.Writer safe for the command's goroutines and the test.
type cmdBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *cmdBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

func (c *cmdBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// waitOutput polls buf until match finds something, or fails the test after
// the deadline.
func waitOutput(t *testing.T, buf *cmdBuffer, re *regexp.Regexp, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v; output so far:\n%s", re, within, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// simCommand runs `ewsmon sim ARGS` in the background and returns its output
// buffers, the EWS URL it printed, and a stop function that interrupts it
// (like Ctrl-C) and returns its exit status.
func simCommand(t *testing.T, args ...string) (stdout, stderr *cmdBuffer, url string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &cmdBuffer{}, &cmdBuffer{}
	done := make(chan int, 1)
	go func() { done <- runSim(ctx, args, stdout, stderr) }()
	urlRe := regexp.MustCompile(`EWS endpoint (http://127\.0\.0\.1:\d+/EWS/Exchange\.asmx)\n`)
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := urlRe.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("ewsmon sim exited with %d before serving; stderr:\n%s", code, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("ewsmon sim printed no URL within 10s; stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	code := 0
	stop = func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("ewsmon sim did not stop within 10s of the interrupt")
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, url, stop
}

const getFolderInbox = `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header>
<s:Body><m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>
<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>`

func postSOAP(t *testing.T, url, user, password string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(getFolderInbox))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestSimServesLogsAndStops(t *testing.T) {
	stdout, stderr, url, stop := simCommand(t, "--listen", "127.0.0.1:0", "--auth", "basic",
		"--password", "p w", "--rate", "0", "--mailbox", "alice@example.com,bob@example.com")

	banner := stdout.String()
	for _, want := range []string{"auth:      basic   user: alice@example.com   password: p w",
		"EWSMON_PASSWORD='p w' ewsmon watch --json --url " + url + " --auth basic --user alice@example.com\n",
		"mailboxes: alice@example.com, bob@example.com", "/sim/actions", "Ctrl-C stops it."} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}

	resp, body := postSOAP(t, url, "alice@example.com", "p w")
	if resp.StatusCode != 200 || !strings.Contains(body, "GetFolderResponseMessage") || !strings.Contains(body, `ResponseClass="Success"`) {
		t.Fatalf("GetFolder inbox with the printed credentials: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = postSOAP(t, url, "alice@example.com", "wrong")
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("wrong password: %d %q, want 401 Basic", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// The control API answers with the events the action produced.
	base := strings.TrimSuffix(url, "/EWS/Exchange.asmx")
	aresp, err := http.Post(base+"/sim/actions", "application/json", strings.NewReader(`{"action":"new-mail"}`))
	if err != nil {
		t.Fatal(err)
	}
	abody, _ := io.ReadAll(aresp.Body)
	aresp.Body.Close()
	var result struct {
		Events []json.RawMessage `json:"events"`
	}
	if aresp.StatusCode != 200 || json.Unmarshal(abody, &result) != nil || len(result.Events) == 0 {
		t.Fatalf("POST /sim/actions new-mail: %d %s", aresp.StatusCode, abody)
	}

	// One log line per request: the two EWS calls and the action.
	waitOutput(t, stderr, regexp.MustCompile(`(?s)GetFolder alice@example.com 200 .*\n.* 401 .*\n.*/sim/actions .* 200 `), 5*time.Second)

	if code := stop(); code != 0 {
		t.Fatalf("exit status after interrupt %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout.String(), "ewsmon sim: stopped") {
		t.Errorf("no 'stopped' line:\n%s", stdout)
	}
	// After the interrupt the port is closed.
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http://"), time.Second); err == nil {
		c.Close()
		t.Fatal("the simulator still accepts connections after stopping")
	}
}

// TestSimHeartbeatFlag: --heartbeat sets how often an idle stream gets an
// OK ConnectionStatus (the default, 30s, would give none in this test).
func TestSimHeartbeatFlag(t *testing.T) {
	_, _, url, _ := simCommand(t, "--listen", "127.0.0.1:0", "--rate", "0", "--heartbeat", "100ms")
	c, err := ews.NewClient(ews.Config{URL: url, Auth: ews.AuthNone, User: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	beats := 0
	for u := range c.Watch(wctx, ews.WatchConfig{Mode: ews.ModeStreaming}) {
		if u.State == ews.StateError {
			t.Fatalf("watch: %v", u.Err)
		}
		if u.Heartbeat {
			beats++
			if beats == 3 {
				stop()
			}
		}
	}
	if beats < 3 || ctx.Err() != nil {
		t.Fatalf("%d heartbeats before the deadline, want 3 at 100ms apart", beats)
	}
}

func TestSimPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr cmdBuffer
	code := runSim(context.Background(), []string{"--listen", ln.Addr().String()}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	msg := stderr.String()
	if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, ln.Addr().String()+" is already in use") {
		t.Fatalf("want one line saying the port is in use, got %q", msg)
	}
}

func TestSimBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--nope"},
		{"--auth", "kerberos"},
		{"--rate", "-1"},
		{"--rate", "fast"},
		{"--listen", "8080"},
		{"--mailbox", "alice"},
		{"--heartbeat", "0s"},
		{"--heartbeat", "1ns"},
		{"--push-minute", "0s"},
		{"--push-minute", "2m"},
		{"--rate", "NaN"},
		{"--rate", "+Inf"},
		{"--rate", "1e9"},
		{"extra"},
	} {
		var stdout, stderr cmdBuffer
		code := runSim(context.Background(), args, &stdout, &stderr)
		if code != 2 {
			t.Errorf("%q: exit status %d, want 2", args, code)
		}
		if msg := stderr.String(); strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "ewsmon sim: ") {
			t.Errorf("%q: want one error line, got %q", args, msg)
		}
	}
	var stdout, stderr cmdBuffer
	if code := runSim(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "--listen ADDR") {
		t.Errorf("--help: status %d, output %q", code, stdout.String())
	}
	// The fault API is documented, every fault by name.
	for _, f := range append([]string{"POST /sim/faults"}, sim.FaultNames...) {
		if !strings.Contains(stdout.String(), f) {
			t.Errorf("--help does not document %q", f)
		}
	}
}

// TestSimNTLMWithCurl is the interop check that a stock NTLM client (curl)
// authenticates against `ewsmon sim --auth ntlm`, and fails with a wrong
// password.
func TestSimNTLMWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed for this test (apt-get install curl): %v", err)
	}
	_, stderr, url, _ := simCommand(t, "--listen", "127.0.0.1:0", "--auth", "ntlm", "--user", `EXAMPLE\alice`,
		"--password", "Secr3t", "--rate", "0")
	for _, tc := range []struct{ userpass, want string }{
		{`EXAMPLE\alice:Secr3t`, "200"},
		{"alice:Secr3t", "200"},
		{`EXAMPLE\alice:secr3t`, "401"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, curl, "-sS", "--ntlm", "-u", tc.userpass,
			"-H", "Content-Type: text/xml; charset=utf-8", "--data-binary", getFolderInbox,
			"-o", "/dev/null", "-w", "%{http_code}", url).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, out)
		}
		if string(out) != tc.want {
			t.Errorf("curl --ntlm -u %q: %s, want %s; sim log:\n%s", tc.userpass, out, tc.want, stderr)
		}
	}
}

// TestSimBinaryWithExchangelib: the `ewsmon sim` binary, as a user starts
// it, serves exchangelib over NTLM (pull, streaming, folder sync). The
// same flow runs in-process in ews/sim/interop_test.go; docs/interop.md.
func TestSimBinaryWithExchangelib(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import exchangelib").CombinedOutput(); err != nil {
		t.Fatalf("this test needs Debian's %s with exchangelib: install python3-exchangelib (apt-get install python3-exchangelib): %v: %s", python, err, out)
	}
	bin := buildEwsmon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	simCmd := exec.CommandContext(ctx, bin, "sim", "--listen", "127.0.0.1:0", "--auth", "ntlm",
		"--user", "alice@example.com", "--password", "Secr3t", "--rate", "0")
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

	py := exec.CommandContext(ctx, python, "../../ews/sim/testdata/interop/exchangelib_flow.py", url, "ntlm", "alice@example.com", "Secr3t", "2016")
	var pyErr strings.Builder
	py.Stderr = &pyErr
	out, err := py.Output()
	if err != nil {
		t.Fatalf("exchangelib against ewsmon sim: %v\n%s\nsimulator log:\n%s", err, pyErr.String(), simErr.String())
	}
	var res struct {
		Pull, Streaming []struct{ Type string }
		Sync            []struct{ Name string }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("exchangelib flow printed %q: %v", out, err)
	}
	for name, evs := range map[string][]struct{ Type string }{"pull": res.Pull, "streaming": res.Streaming} {
		found := false
		for _, e := range evs {
			found = found || e.Type == "NewMailEvent"
		}
		if !found {
			t.Errorf("%s: no NewMailEvent in %+v", name, evs)
		}
	}
	if len(res.Sync) < 10 {
		t.Errorf("SyncFolderHierarchy returned %d folders, want the whole tree", len(res.Sync))
	}
	// The simulator logged the NTLM handshakes and the operations.
	for _, op := range []string{"GetFolder", "Subscribe", "GetEvents", "GetStreamingEvents", "Unsubscribe", "SyncFolderHierarchy", " 401 "} {
		if !strings.Contains(simErr.String(), op) {
			t.Errorf("simulator log lacks %q:\n%s", op, simErr.String())
		}
	}
}

func TestSimListenNonLoopbackWarns(t *testing.T) {
	for addr, nonLocal := range map[string]bool{
		"127.0.0.1:8080": false, "localhost:8080": false, "[::1]:8080": false,
		"0.0.0.0:8080": true, ":8080": true, "192.0.2.7:8080": true,
	} {
		o, err := parseSimArgs([]string{"--listen", addr}, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if o.nonLocal != nonLocal {
			t.Errorf("--listen %s: warns %v, want %v", addr, o.nonLocal, nonLocal)
		}
	}
}
