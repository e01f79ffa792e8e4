package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func runDashboard(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s, err := parseDashboardArgs(args, os.Getenv, stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "ewsmon", version)
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "ewsmon:", err)
		return 2
	}
	_ = s
	fmt.Fprintln(stderr, "ewsmon: the dashboard is not wired yet")
	return 2
}
