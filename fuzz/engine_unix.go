//go:build unix

package fuzz

import "syscall"

// keepEngineFilesFromCommands marks the descriptors through which a go test
// -fuzz worker talks with its coordinator (internal/fuzz gives a worker
// fuzz_in, fuzz_out and the shared memory as descriptors 3, 4 and 5, not
// closed on exec) so that a server command the worker starts does not
// inherit them. The coordinator, to stop a worker, reads fuzz_out until
// end of file: a server holding fuzz_out open, as one left behind by a
// worker the engine killed does, would keep the coordinator, and with it
// the whole go test -fuzz run, waiting forever.
func keepEngineFilesFromCommands() {
	for fd := 3; fd <= 5; fd++ {
		syscall.CloseOnExec(fd)
	}
}
