// Command upperd serves upcheck's reference uppercase servers: TCP and UDP
// on 127.0.0.1:8080 by default, the seed's address. Its flags, output and
// exit status are those of package cmd/internal/upperd, which upcheck serve
// runs as well.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/upcheck/upcheck/cmd/internal/upperd"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(upperd.Run("upperd", os.Args[1:], os.Stderr, sigs))
}
