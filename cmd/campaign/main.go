// Command campaign runs upcheck's fuzzers for a while against the reference
// servers or the target in the UPCHECK_* settings, and says what they found.
// It is what make fuzz runs. Its flags, output and exit status are those of
// package cmd/internal/campaign, which upcheck fuzz runs as well.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/upcheck/upcheck/cmd/internal/campaign"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := campaign.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
