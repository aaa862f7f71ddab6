package mutants

import (
	"fmt"
	"io"
	"net"

	"github.com/upcheck/upcheck/servers"
)

// DieOnReset returns a TCP server built like an errgroup: every connection
// handler returns an error, and the first error ends the whole server. The
// handler returns nil on EOF but treats a reset (ECONNRESET) or a failed
// write as an error, so the first client that resets, or vanishes
// mid-reply, takes down every other connection and the listener, as
// log.Fatal(g.Wait()) would. It breaks TCP-RESET and TCP-DISCONNECT.
func DieOnReset() *Mutant {
	return &Mutant{
		Name:   "DieOnReset",
		Breaks: []string{"TCP-RESET", "TCP-DISCONNECT"},
		Bug:    "ends the server on the first connection error, as an errgroup does, and a client's reset is such an error",
		tcp: func(p *proc, ln net.Listener) error {
			errc := make(chan error, 1)
			fail := func(err error) {
				select {
				case errc <- err:
				default:
				}
			}
			handle := func(c net.Conn) error {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return fmt.Errorf("read: %w", err)
					}
					servers.UpperASCII(buf[:n])
					if _, err := c.Write(buf[:n]); err != nil {
						return fmt.Errorf("write: %w", err)
					}
				}
			}
			p.Go(func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						fail(err)
						return
					}
					p.Go(func() {
						if err := handle(c); err != nil {
							fail(err)
						}
					})
				}
			})
			select {
			case err := <-errc:
				return err
			case <-p.Done():
				return nil
			}
		},
	}
}

// CrashOnWriteError returns a TCP server that handles read errors quietly
// but treats a failed write as impossible and panics, as a C server dies of
// SIGPIPE. A client that closes without reading a large reply (its close is
// then a reset) or resets while the server writes makes the next write fail
// and takes the whole server down; a reset while the server waits to read
// is survived. It breaks TCP-DISCONNECT and TCP-RESET.
func CrashOnWriteError() *Mutant {
	return &Mutant{
		Name:   "CrashOnWriteError",
		Breaks: []string{"TCP-DISCONNECT", "TCP-RESET"},
		Bug:    "panics when a write fails, so a client that disconnects while its reply is being written kills the server",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				servers.UpperASCII(buf[:n])
				must(c.Write(buf[:n]))
			}
		}),
	}
}

// must is the helper that makes "cannot fail" errors fatal.
func must(_ int, err error) {
	if err != nil {
		panic(err)
	}
}
