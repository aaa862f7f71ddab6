// Command upperload drives an uppercase server with load and verifies every
// reply byte while it does. Its flags, output and exit status are those of
// package cmd/internal/upperload, which upcheck load runs as well.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	upperloadcmd "github.com/upcheck/upcheck/cmd/internal/upperload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A second signal kills at once: NotifyContext stops catching after
	// the first, once stop is called.
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(upperloadcmd.Run(ctx, "upperload", os.Args[1:], os.Stdout, os.Stderr))
}
