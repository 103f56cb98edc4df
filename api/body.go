package api

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
	"hlsorigin/slatelib"
)

// Request bodies are streamed (fiber StreamRequestBody): nothing beyond
// the first few kB is read before a handler asks for the body, which it
// does after the rate limits and authentication. Each route class has its
// own limit, enforced while reading:
//   - ingest: the origin's MaxSegmentBytes;
//   - slate uploads: the slate library's MaxUploadBytes plus 64 KiB of form;
//   - everything else (the JSON API): Options.MaxJSONBytes (default 8 KiB).
//
// A declared Content-Length over the limit is answered 413 before any of
// the body is read; a chunked body is answered 413 as soon as it passes the
// limit. The connection is then closed (the rest of the body is never read,
// so it cannot be taken for the next request); so is a connection whose
// handler answered without reading a body the client sent.

// DefaultMaxJSONBytes bounds JSON API bodies.
const DefaultMaxJSONBytes = 8 << 10

const slateFormOverhead = 64 << 10

// bodyLimitFor is the body limit of a request's route class.
func (s *Server) bodyLimitFor(c *fiber.Ctx) int {
	p := c.Path()
	switch {
	case strings.HasPrefix(p, "/ingest/"):
		return s.o.Config().MaxSegmentBytes
	case c.Method() == fiber.MethodPost && (p == "/api/v1/slates" || strings.HasPrefix(p, "/api/v1/channels/") && strings.HasSuffix(p, "/slates")):
		return s.lib.Config().MaxUploadBytes + slateFormOverhead
	}
	return s.opt.MaxJSONBytes
}

// maxBodyLimit is the largest route limit (fiber's BodyLimit).
func maxBodyLimit(o *origin.Origin, lib *slatelib.Library) int {
	return max(o.Config().MaxSegmentBytes, lib.Config().MaxUploadBytes+slateFormOverhead)
}

func tooLarge(c *fiber.Ctx, n, limit int) error {
	c.Context().SetConnectionClose()
	if n < 0 {
		return fmt.Errorf("request body over %d bytes: %w", limit, origin.ErrTooLarge)
	}
	return fmt.Errorf("request body of %d bytes: at most %d here: %w", n, limit, origin.ErrTooLarge)
}

// guardBody refuses a declared body over the route's limit before reading
// it, and closes the connection after a handler left a body unread.
func (s *Server) guardBody(c *fiber.Ctx) error {
	req := c.Request()
	limit := s.bodyLimitFor(c)
	if n := req.Header.ContentLength(); n > limit {
		return tooLarge(c, n, limit)
	}
	c.Locals(bodyLimitKey{}, limit)
	err := c.Next()
	if req.IsBodyStream() && req.Header.ContentLength() != 0 {
		c.Context().SetConnectionClose()
	}
	return err
}

// bodyLimitKey holds the route's body limit in c.Locals (set by guardBody).
type bodyLimitKey struct{}

// readBody returns the request body, read up to the route's limit; over it
// the answer is 413 and the connection closes. Later c.Body() calls return
// the same bytes.
func readBody(c *fiber.Ctx) ([]byte, error) {
	req := c.Request()
	limit, ok := c.Locals(bodyLimitKey{}).(int)
	if !ok {
		limit = DefaultMaxJSONBytes
	}
	if !req.IsBodyStream() {
		if b := req.Body(); len(b) > limit {
			return nil, tooLarge(c, len(b), limit)
		}
		return req.Body(), nil
	}
	n := req.Header.ContentLength()
	if n > limit {
		return nil, tooLarge(c, n, limit)
	}
	buf := make([]byte, 0, min(max(n, 512), limit)+1)
	r := io.LimitReader(req.BodyStream(), int64(limit)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.Context().SetConnectionClose()
			return nil, fmt.Errorf("read request body: %v: %w", err, origin.ErrInvalid)
		}
		if len(buf) > limit {
			return nil, tooLarge(c, -1, limit)
		}
	}
	if len(buf) > limit {
		return nil, tooLarge(c, -1, limit)
	}
	req.SetBodyRaw(buf) // ends the stream; c.Body() returns buf from now on
	return buf, nil
}
