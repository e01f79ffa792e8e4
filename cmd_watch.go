package main

import (
	"context"
	"fmt"
	"io"
)

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ewsmon watch: not implemented yet")
	return 2
}
