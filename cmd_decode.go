package main

import (
	"context"
	"fmt"
	"io"
)

func runDecode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ewsmon decode: not implemented yet")
	return 2
}
