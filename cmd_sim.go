package main

import (
	"context"
	"fmt"
	"io"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ewsmon sim: not implemented yet")
	return 2
}
