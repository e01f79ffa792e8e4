package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// Version is what --version and `ewsmon version` print. The main package
// sets it from its own version variable (-ldflags "-X main.version=...").
var Version = "0.1.0-dev"

// Main runs ewsmon with args (os.Args[1:]) and returns the process exit
// status. SIGINT and SIGTERM cancel the run, which then unsubscribes and
// returns.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Asking for SIGPIPE makes a write to a closed stdout return EPIPE
	// instead of killing the process (os/signal: "If the program is
	// not calling Notify for SIGPIPE"), so `watch | head` can still
	// unsubscribe before it exits.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	if stopProfile := startCPUProfile(stderr); stopProfile != nil {
		defer stopProfile()
	}
	return run(ctx, args, stdin, stdout, stderr)
}

// startCPUProfile writes a CPU profile of the whole run to the file
// $EWSMON_CPU_PROFILE names (for docs/performance.md; `go tool pprof`
// reads it). It returns nil when unset or when the file cannot be made.
func startCPUProfile(stderr io.Writer) func() {
	path := os.Getenv("EWSMON_CPU_PROFILE")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(stderr, "ewsmon: EWSMON_CPU_PROFILE:", err)
		return nil
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(stderr, "ewsmon: EWSMON_CPU_PROFILE:", err)
		f.Close()
		return nil
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// run dispatches to a subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "sim":
			return runSim(ctx, args[1:], stdout, stderr)
		case "watch":
			return runWatch(ctx, args[1:], stdout, stderr)
		case "decode":
			return runDecode(ctx, args[1:], stdin, stdout, stderr)
		case "version":
			printVersion(stdout)
			return 0
		}
	}
	return runDashboard(ctx, args, stdin, stdout, stderr)
}

// errVersion is what parsing returns for --version.
var errVersion = errors.New("version requested")

// printVersion answers `ewsmon version` and `ewsmon --version`.
func printVersion(w io.Writer) { fmt.Fprintln(w, "ewsmon", Version) }
