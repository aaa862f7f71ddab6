package mutants

import (
	"bytes"
	"net"
	"unicode"
)

// serveEach is the usual accept loop: each connection in its own goroutine.
// The TCP mutants whose bug is in the handler share it.
func serveEach(handle func(p *proc, c net.Conn)) tcpLoop {
	return func(p *proc, ln net.Listener) error {
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			p.Go(func() { handle(p, c) })
		}
	}
}

// UnicodeUpper returns a TCP server that uppercases each chunk with
// bytes.ToUpper. Unicode case rules change far more than a-z: "é" becomes
// "É", "ǆ" becomes "Ǆ", and every byte that is not valid UTF-8 (a lone 0xff,
// or a character cut in two by the read boundary) becomes the three bytes of
// U+FFFD, so even the length changes. It breaks TCP-BYTES.
func UnicodeUpper() *Mutant {
	return &Mutant{
		Name:   "UnicodeUpper",
		Breaks: []string{"TCP-BYTES"},
		Bug:    "uppercases with bytes.ToUpper, which applies Unicode case rules and rewrites invalid UTF-8 as U+FFFD",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(bytes.ToUpper(buf[:n])); err != nil {
					return
				}
			}
		}),
	}
}

// RuneUpper returns a TCP server that uppercases byte by byte with
// unicode.ToUpper(rune(b)), reading each byte as a Latin-1 character. The
// length is kept, so a length check passes, but 0xe0-0xfe (except 0xf7) move
// down to 0xc0-0xde, 0xb5 (µ) becomes 0x9c and 0xff (ÿ) becomes 'x', the low
// byte of Ÿ (U+0178): UTF-8 text such as an emoji comes back corrupted. It
// breaks TCP-BYTES.
func RuneUpper() *Mutant {
	return &Mutant{
		Name:   "RuneUpper",
		Breaks: []string{"TCP-BYTES"},
		Bug:    "uppercases each byte with unicode.ToUpper(rune(b)), so Latin-1 letters 0xe0-0xff change too",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				for i, b := range buf[:n] {
					buf[i] = byte(unicode.ToUpper(rune(b)))
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}),
	}
}

// OffByOneZ returns a TCP server whose range test is 'a' <= b && b < 'z':
// every lowercase letter but 'z' is uppercased. It breaks TCP-BYTES.
func OffByOneZ() *Mutant {
	return &Mutant{
		Name:   "OffByOneZ",
		Breaks: []string{"TCP-BYTES"},
		Bug:    "tests b < 'z' instead of b <= 'z', so 'z' stays lowercase",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				for i, b := range buf[:n] {
					if b >= 'a' && b < 'z' {
						buf[i] = b - 32
					}
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}),
	}
}
