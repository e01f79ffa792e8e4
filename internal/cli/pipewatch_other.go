//go:build !unix

package cli

import (
	"context"
	"os"
)

// watchClosed: elsewhere a closed pipe is noticed at the next write.
func watchClosed(ctx context.Context, f *os.File, gone func()) {}
