// Command ewsmon is a terminal dashboard that watches an Exchange mailbox live
// through EWS notification subscriptions. See README.md; the commands live in
// internal/cli.
package main

import (
	"os"

	"github.com/ewsmon/ewsmon/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	cli.Version = version
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
