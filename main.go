// Command ewsmon is a terminal dashboard that watches an Exchange mailbox live
// through EWS notification subscriptions. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Asking for SIGPIPE makes a write to a closed stdout return EPIPE
	// instead of killing the process (os/signal: "If the program is
	// not calling Notify for SIGPIPE"), so `watch | head` can still
	// unsubscribe before it exits.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
			fmt.Fprintln(stdout, "ewsmon", version)
			return 0
		}
	}
	return runDashboard(ctx, args, stdin, stdout, stderr)
}
