package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	return run(ctx, args, stdin, stdout, stderr)
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
