// Command oslayer inspects, checks and rewrites bootable OS container images.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"go.podman.io/storage/pkg/reexec"

	"github.com/oslayer/oslayer/layer"
)

// stopWithin is how long a command has to end after SIGINT or SIGTERM:
// cancelled, it removes its temporary files and leaves destinations as
// they were; one that has not returned by then is ended.
const stopWithin = 2 * time.Second

func main() {
	// containers-storage applies layers in a re-executed child of this
	// binary (chrootarchive): that child runs its handler here and exits.
	if reexec.Init() {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var signalled atomic.Bool
	go func() {
		<-sigs
		signal.Stop(sigs) // a second signal ends the process at once
		signalled.Store(true)
		cancel()
		time.Sleep(stopWithin)
		layer.RemoveTemporaries()
		fmt.Fprintln(os.Stderr, "oslayer: interrupted")
		os.Exit(2)
	}()
	err := newRootCmd().ExecuteContext(ctx)
	if signalled.Load() {
		// The command's own error would only say "context canceled".
		err = errors.New("interrupted")
	}
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
// 1 policy failure, 2 usage error, bad input, I/O failure or interruption.
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
