package mutants

import (
	"bytes"
	"net"

	"github.com/upcheck/upcheck/servers"
)

// Telnet's "interrupt as command" byte and the subnegotiation brackets.
const (
	telnetIAC = 0xff
	telnetSB  = 0xfa // subnegotiation begins
	telnetSE  = 0xf0 // subnegotiation ends
)

// CrashOnTelnetSB returns a TCP server that tries to be friendly to telnet
// clients: when it reads IAC SB (0xff 0xfa), the start of a telnet
// subnegotiation, in one read or with the IAC ending the read before, it
// slices out the options up to the IAC SE it assumes follows in the same
// read. When it does not, the index is -1, the slice panics and the whole
// server dies. Ordinary text never holds the two bytes: the kind of crash
// only a fuzzer finds. Whether it dies depends on the bytes alone, not on
// how reads split them, as long as no IAC SE follows in the read (the
// bytes ff fa alone always kill it), so a fuzzer shrinks a case that
// kills it to a few bytes reliably. It breaks TCP-STREAM (the reply never
// comes), TCP-EOF and, when the client that sent IAC SB closes or resets
// before its IAC SE, TCP-DISCONNECT or TCP-RESET, and kills every other
// connection with it.
func CrashOnTelnetSB() *Mutant {
	return &Mutant{
		Name:   "CrashOnTelnetSB",
		Breaks: []string{"TCP-STREAM", "TCP-EOF", "TCP-DISCONNECT", "TCP-RESET"},
		Bug:    "slices a telnet subnegotiation (IAC SB, 0xff 0xfa, in one read or split across two) up to an IAC SE it assumes is in the same read, and panics when it is not",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			afterIAC := false // the previous read ended in IAC
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				from := -1 // where the options start
				if afterIAC && n > 0 && buf[0] == telnetSB {
					from = 1
				} else if i := bytes.Index(buf[:n], []byte{telnetIAC, telnetSB}); i >= 0 {
					from = i + 2
				}
				if from >= 0 {
					end := bytes.Index(buf[from:n], []byte{telnetIAC, telnetSE})
					options := buf[from : from+end] // panics when end is -1
					_ = options                     // a real server would negotiate them
				}
				afterIAC = n > 0 && buf[n-1] == telnetIAC
				servers.UpperASCII(buf[:n])
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}),
	}
}
