package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/ewsmon/ewsmon/ews/sim"
)

const simUsage = `usage: ewsmon sim [flags]

Runs the embedded Exchange simulator as a standalone EWS server for any
client, until Ctrl-C. It prints the EWS URL and the credentials to use and
logs one line per request on stderr.

flags:
  --listen ADDR      address to listen on (default 127.0.0.1:8080; loopback
                     unless you say otherwise)
  --auth MODE        none, basic or ntlm (default none)
  --user USER        the account for basic/ntlm (default: the first mailbox)
  --password PW      its password (default "` + simPassword + `"; this is the simulator's
                     own test password, not a secret of yours)
  --mailbox ADDR     a mailbox to simulate; repeat or comma-separate
                     (default ` + demoMailbox + `)
  --rate R           activity: demo actions per second, 0 for none (default 0.5)
  --seed N           repeatable activity and mailbox content (default 0: random)
  --heartbeat D      streaming heartbeat interval (default 30s)
  --push-minute D    how long a minute of push StatusFrequency (and of the
                     retry schedule for a failing listener) lasts here
                     (default 1m); e.g. 5s shows push's keep-alive traffic
                     within seconds. Not how Exchange behaves: a demo knob
  --server PROFILE   the Exchange it imitates: exchange2010, exchange2013,
                     exchange2016, exchange2019 or online (default
                     exchange2019): its ServerVersionInfo, the versions it
                     accepts and the events each action fires
                     (docs/cascades.md)

control API (JSON, on the same address; GET answers 200 once ready):
  POST /sim/actions  {"action":"new-mail","folder":"inbox"} fires one action
                     and answers the events it journaled; GET lists actions
  POST /sim/faults   puts any EWS client through a fault; answers {"ok":true}
                     or a 4xx with a one-line error; GET shows what is on:
    {"fault":"expire"}        every subscription expires
    {"fault":"restart"}       EWS restarts: subscriptions and connections
                              dropped; mailbox and event history kept
    {"fault":"lose-history"}  the event history before now is gone: old
                              watermarks are ErrorInvalidWatermark
    {"fault":"server-busy","count":N,"back_off_ms":M}
                              the next N requests: ErrorServerBusy
    {"fault":"cut-stream","count":N}
                              the next N stream envelopes stop halfway and
                              their connection aborts (default 1)
    {"fault":"corrupt-next","count":N}
                              the next N answers are not well-formed XML
    {"fault":"delay","ms":M}  every EWS answer waits M ms, until ms 0
  Neither endpoint is slowed or broken by a fault.
`

// listFlag is a repeatable, comma-separated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// simOptions are the parsed flags of `ewsmon sim`.
type simOptions struct {
	listen     string
	cfg        sim.Config
	nonLocal   bool // the listen address is not loopback
	heartbeat  time.Duration
	pushMinute time.Duration
}

// parseSimArgs parses `ewsmon sim` flags. flag.ErrHelp means help was shown.
func parseSimArgs(args []string, stdout io.Writer) (simOptions, error) {
	fs := flag.NewFlagSet("ewsmon sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		o         simOptions
		mailboxes listFlag
		auth      = fs.String("auth", "none", "")
		user      = fs.String("user", "", "")
		password  = fs.String("password", "", "")
		rate      = fs.Float64("rate", simRate, "")
		seed      = fs.Int64("seed", 0, "")
		server    = fs.String("server", sim.DefaultProfile, "")
	)
	fs.StringVar(&o.listen, "listen", simListen, "")
	fs.DurationVar(&o.heartbeat, "heartbeat", simHeartbeat, "")
	fs.DurationVar(&o.pushMinute, "push-minute", time.Minute, "")
	fs.Var(&mailboxes, "mailbox", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, simUsage)
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch *auth {
	case "none", "basic", "ntlm":
	default:
		return o, fmt.Errorf("--auth %q: use none, basic or ntlm", *auth)
	}
	if err := checkSimRate("--rate", *rate); err != nil {
		return o, err
	}
	if o.heartbeat < minHeartbeat {
		return o, fmt.Errorf("--heartbeat %v: must be at least %v", o.heartbeat, minHeartbeat)
	}
	if err := checkSimServer("--server", *server); err != nil {
		return o, err
	}
	if o.pushMinute < time.Second || o.pushMinute > time.Minute {
		return o, fmt.Errorf("--push-minute %v: use 1s to 1m", o.pushMinute)
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return o, fmt.Errorf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:8080", o.listen)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		o.nonLocal = true
	}
	for _, m := range mailboxes {
		if !strings.Contains(m, "@") {
			return o, fmt.Errorf("--mailbox %q: want an SMTP address like alice@example.com", m)
		}
	}
	if len(mailboxes) == 0 {
		mailboxes = listFlag{demoMailbox}
	}
	o.cfg = sim.Config{
		Mailboxes:         mailboxes,
		HeartbeatInterval: o.heartbeat,
		PushMinute:        o.pushMinute,
		Rate:              *rate,
		Seed:              *seed,
		Auth:              sim.AuthConfig{Mode: *auth},
		Server:            *server,
	}
	if *auth != "none" {
		o.cfg.Auth.User = *user
		if o.cfg.Auth.User == "" {
			o.cfg.Auth.User = mailboxes[0]
		}
		o.cfg.Auth.Password = *password
		if o.cfg.Auth.Password == "" {
			o.cfg.Auth.Password = simPassword
		}
	}
	return o, nil
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseSimArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ewsmon sim: %v (see ewsmon sim --help)\n", err)
		return 2
	}
	o.cfg.Log = stderr
	srv, err := sim.Start(ctx, o.cfg, o.listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(stderr, "ewsmon sim: %s is already in use (another ewsmon sim?); choose another with --listen 127.0.0.1:PORT\n", o.listen)
		} else {
			fmt.Fprintf(stderr, "ewsmon sim: %v\n", oneLine(err.Error()))
		}
		return 1
	}
	defer srv.Close()

	url := srv.URL()
	base := strings.TrimSuffix(url, "/EWS/Exchange.asmx")
	fmt.Fprintf(stdout, "ewsmon sim: EWS endpoint %s\n", url)
	if o.cfg.Auth.Mode == "none" {
		fmt.Fprintln(stdout, "  auth:      none (any or no credentials)")
	} else {
		fmt.Fprintf(stdout, "  auth:      %s   user: %s   password: %s\n", o.cfg.Auth.Mode, o.cfg.Auth.User, o.cfg.Auth.Password)
	}
	fmt.Fprintf(stdout, "  mailboxes: %s\n", strings.Join(o.cfg.Mailboxes, ", "))
	seed := "random"
	if o.cfg.Seed != 0 {
		seed = fmt.Sprint(o.cfg.Seed)
	}
	fmt.Fprintf(stdout, "  activity:  %v actions/s (seed %s), heartbeat every %v\n", o.cfg.Rate, seed, o.heartbeat)
	fmt.Fprintf(stdout, "  actions:   curl -X POST %s/sim/actions -d '{\"action\":\"new-mail\"}'\n", base)
	if o.cfg.Auth.Mode == "none" {
		fmt.Fprintf(stdout, "  watch:     ewsmon watch --json --url %s --auth none\n", url)
	} else {
		fmt.Fprintf(stdout, "  watch:     EWSMON_PASSWORD=%s ewsmon watch --json --url %s --auth %s --user %s\n", shellQuote(o.cfg.Auth.Password), url, o.cfg.Auth.Mode, shellQuote(o.cfg.Auth.User))
	}
	if o.nonLocal {
		fmt.Fprintf(stdout, "  warning:   %s is not a loopback address: anyone who can reach it can use this simulator\n", o.listen)
	}
	fmt.Fprintln(stdout, "Ctrl-C stops it.")

	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "ewsmon sim: stopping: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "ewsmon sim: stopped")
	return 0
}
