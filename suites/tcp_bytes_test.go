package suites

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-BYTES: bytes.upper() on bytes: a-z become A-Z, every other byte value
// comes back as it was, and the length is kept. Unicode case mapping,
// Latin-1 toupper and UTF-8 repair all break it.
var _ = Describe("TCP-BYTES", Label("TCP-BYTES", "tcp"), func() {
	// One connection after another, so that a server that serves one
	// connection at a time is not blamed here; the loop stops after a few
	// failing values, so that a server that never answers costs a few
	// timeouts, not 256.
	It("maps each of the 256 byte values alone, each on its own connection", func(ctx SpecContext) {
		const maxFailing = 3
		bctx := bound(ctx)
		var errs []error
		for b := range 256 {
			if err := check.TCPBytes(bctx, env(), fmt.Sprintf("byte 0x%02x alone", b), []byte{byte(b)}); err != nil {
				errs = append(errs, err)
			}
			if len(errs) == maxFailing && b < 255 {
				GinkgoWriter.Printf("stopped after %d failing byte values, at 0x%02x\n", maxFailing, b)
				break
			}
		}
		verify("TCP-BYTES", errors.Join(errs...))
	}, within())

	DescribeTable("comes back byte for byte with only a-z changed",
		func(ctx SpecContext, name string, payload []byte) {
			verify("TCP-BYTES", check.TCPBytes(bound(ctx), env(), name, payload))
		},
		Entry("all 256 byte values together", "all 256 byte values together", allBytes(), within()),
		Entry("all 256 byte values, descending", "all 256 byte values, descending", reversed(allBytes()), within()),
		Entry("UTF-8 é (c3 a9)", "UTF-8 é", []byte("café é"), within()),
		Entry("UTF-8 ß (c3 9f), which Unicode uppercases to SS", "UTF-8 ß", []byte("straße ß"), within()),
		Entry("UTF-8 emoji (4 bytes)", "UTF-8 emoji", []byte("smile \U0001F600 ok"), within()),
		Entry("UTF-8 ı and ſ, which Unicode uppercases to I and S", "UTF-8 ı ſ", []byte("ı ſ dotless"), within()),
		Entry("Latin-1 letters, which a locale's toupper changes", "Latin-1 letters", []byte("caf\xe9 \xe0\xfe\xff"), within()),
		Entry("invalid UTF-8: lone bytes", "invalid UTF-8 lone bytes", []byte("a\xffb\xfec\x80"), within()),
		Entry("invalid UTF-8: a truncated sequence", "invalid UTF-8 truncated", []byte("abc\xc3"), within()),
		Entry("invalid UTF-8: overlong and surrogate", "invalid UTF-8 overlong and surrogate", []byte("x\xc0\xafy\xed\xa0\x80z"), within()),
	)
})

// allBytes returns the byte values 0x00 to 0xff in order.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}
