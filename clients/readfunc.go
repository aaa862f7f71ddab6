package clients

import (
	"context"
	"fmt"
)

// ReadToEndFunc reads until the stream ends, as ReadToEnd does, but hands
// each chunk to fn as it arrives instead of keeping it: a caller can watch
// a reply grow (and wait for part of it) while the read goes on. fn must not
// keep p, which is reused. Result.Data is nil; Total counts every byte read;
// End and Err are as ReadToEnd's. More than limit bytes (limit < 0 counts as
// 0) end the read with EndLimit, fn having seen only the first limit.
func (c *TCPConn) ReadToEndFunc(ctx context.Context, limit int, fn func(p []byte)) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	stop := watch(ctx, c.Conn.SetReadDeadline)
	r := c.readToEndFunc(limit, fn)
	stop()
	r.Err = withCancel(ctx, r.Err)
	return r
}

// readToEndFunc does ReadToEndFunc under a deadline the caller has set.
func (c *TCPConn) readToEndFunc(limit int, fn func([]byte)) Result {
	limit = max(limit, 0)
	var r Result
	buf := make([]byte, min(readBufSize, limit+1))
	for {
		n, err := c.Conn.Read(buf)
		if n > 0 {
			if room := int64(limit) - r.Total; room > 0 {
				fn(buf[:min(int64(n), room)])
			}
			r.Total += int64(n)
			if r.Total > int64(limit) {
				r.End = EndLimit
				r.Err = fmt.Errorf("clients: more than %d bytes", limit)
				return r
			}
		}
		if err != nil {
			r.End = EndOf(err)
			if r.End != EndEOF {
				r.Err = err
			}
			return r
		}
	}
}
