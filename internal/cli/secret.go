package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/term"
)

// resolveSecret finds the password (basic, ntlm) or bearer token, for the
// dashboard and watch alike: from the environment (EWSMON_PASSWORD, or
// EWSMON_TOKEN for bearer), then the configured command (--token-cmd for
// bearer when given, else --password-cmd), then a no-echo prompt on tty.
// tty is nil where no prompt is offered (watch). It never reads a flag
// value.
func resolveSecret(ctx context.Context, s Settings, getenv func(string) string, tty *os.File, prompt io.Writer) (string, error) {
	envName, cmd, flag := "EWSMON_PASSWORD", s.PasswordCmd, "--password-cmd"
	if s.Auth == "bearer" {
		envName = "EWSMON_TOKEN"
		if s.TokenCmd != "" {
			cmd, flag = s.TokenCmd, "--token-cmd"
		}
	}
	if v := getenv(envName); v != "" {
		return v, nil
	}
	if cmd != "" {
		return runSecretCmd(ctx, cmd, flag)
	}
	switch {
	case s.Auth == "bearer":
		return "", errors.New("no bearer token: set EWSMON_TOKEN or --token-cmd")
	case tty == nil:
		return "", errors.New("no password: set EWSMON_PASSWORD or --password-cmd")
	case !term.IsTerminal(int(tty.Fd())):
		return "", errors.New("no password: set EWSMON_PASSWORD or --password-cmd (stdin is not a terminal to prompt on)")
	}
	fmt.Fprintf(prompt, "Password for %s at %s: ", s.User, s.URL)
	b, err := readPassword(ctx, int(tty.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", errors.New("no password given")
	}
	return string(b), nil
}

// readPassword reads a line from the terminal without echo. ctrl+c ends it:
// Main catches SIGINT (cancelling ctx) so it would not end the blocked read
// by itself; the terminal's echo is restored before returning.
func readPassword(ctx context.Context, fd int) ([]byte, error) {
	saved, _ := term.GetState(fd)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("reading the password: %v", r.err)
		}
		return r.b, nil
	case <-ctx.Done():
		if saved != nil {
			_ = term.Restore(fd, saved)
		}
		return nil, errors.New("interrupted at the password prompt")
	}
}

// secretCmdTimeout bounds --password-cmd and --token-cmd.
const secretCmdTimeout = 30 * time.Second

// runSecretCmd runs cmd (the setting flag names, "--password-cmd" or
// "--token-cmd") with sh -c and returns its first line of output. A failure
// is one line that shows neither the command's output nor the command: a
// command that fails may have printed the secret (on stdout or stderr), and
// the command line may hold it too ("echo hunter2").
func runSecretCmd(ctx context.Context, cmd, flag string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, secretCmdTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	var stdout bytes.Buffer
	c.Stdout = &stdout
	c.Stderr = io.Discard
	c.Stdin = nil
	if err := c.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("it did not finish within %s", secretCmdTimeout)
		}
		return "", fmt.Errorf("%s failed: %v (its output is not shown: it may hold the secret)", flag, err)
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s printed nothing on its first line", flag)
	}
	return line, nil
}
