package load

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"time"
)

// reqresp does round trips on c, one outstanding, until the run is over;
// then it half-closes and expects EOF with no byte more, so that a server
// that sends more than it was asked for is caught.
func (e *engine) reqresp(i int, c *net.TCPConn, st *stats) error {
	size := e.cfg.Size
	reply := make([]byte, size+1) // one byte more, for the final read
	dl := deadline{set: c.SetDeadline, timeout: e.cfg.Timeout}
	var pos int64
	for e.claim() {
		send, want := e.pat.at(i, pos, size)
		t0 := time.Now()
		dl.refresh(t0)
		if _, err := c.Write(send); err != nil {
			e.fail(err)
			return err
		}
		st.sent.Add(int64(size))
		if _, err := io.ReadFull(c, reply[:size]); err != nil {
			e.fail(err)
			return err
		}
		e.hist.Record(time.Since(t0))
		if !bytes.Equal(reply[:size], want) {
			e.mismatch("reqresp: connection %d: message %d: %s", i, pos/int64(size), diff(reply[:size], want))
			return errMismatch
		}
		st.recv.Add(int64(size))
		st.msgs.Add(1)
		pos += int64(size)
	}
	return e.closeStream(i, c, reply)
}

// closeStream half-closes c and reads it to EOF, within Timeout: a byte
// that comes is one the client never asked for.
func (e *engine) closeStream(i int, c *net.TCPConn, buf []byte) error {
	if e.ctx.Err() != nil {
		return nil
	}
	c.SetDeadline(time.Now().Add(e.cfg.Timeout))
	if err := c.CloseWrite(); err != nil {
		e.fail(err)
		return err
	}
	n, err := c.Read(buf)
	switch {
	case n > 0:
		e.mismatch("%s: connection %d: %d reply bytes more than were sent", e.cfg.Mode, i, n)
		return errMismatch
	case err == io.EOF:
		return nil
	case err == nil:
		err = fmt.Errorf("empty read without EOF")
	}
	e.fail(err)
	return err
}
