// Command oslayer inspects, checks and rewrites bootable OS container images.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

// exitError carries a chosen exit code: 1 for policy results (changes
// found with --exit-code), where nothing went wrong.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode prints err and maps it to oslayer's exit codes: 0 success,
// 1 policy failure, 2 usage error, bad input or I/O failure.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "oslayer:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "oslayer:", err)
	return 2
}
