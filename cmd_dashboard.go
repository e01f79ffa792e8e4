package main

import (
	"context"
	"fmt"
	"io"
)

func runDashboard(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--version" {
			fmt.Fprintln(stdout, "ewsmon", version)
			return 0
		}
	}
	fmt.Fprintln(stderr, "ewsmon: the dashboard is not implemented yet")
	return 2
}
