package api

import (
	"fmt"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
)

// ingestRoutes accept exactly what ffmpeg's HLS muxer sends with
// -method PUT: chunked bodies without a content type; a DELETE for files it
// rotates out (the origin keeps its own retention, so that is a no-op for
// media; a DELETE of a playlist ends it like EXT-X-ENDLIST).
func (s *Server) ingestRoutes() {
	for _, m := range []string{fiber.MethodPut, fiber.MethodPost} {
		s.app.Add(m, "/ingest/:id/:name", s.ingest(false))
		s.app.Add(m, "/ingest/:id/:key/:name", s.ingest(true))
	}
	s.app.Delete("/ingest/:id/:name", s.ingestDelete(false))
	s.app.Delete("/ingest/:id/:key/:name", s.ingestDelete(true))
}

// ingestChannel authenticates the stream key (header or path).
func (s *Server) ingestChannel(c *fiber.Ctx, keyInPath bool) (*origin.Channel, error) {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return nil, err
	}
	key := bearer(c)
	if keyInPath {
		key = c.Params("key")
	}
	if err := ch.CheckStreamKey(key); err != nil {
		return nil, err
	}
	return ch, nil
}

func (s *Server) ingest(keyInPath bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ch, err := s.ingestChannel(c, keyInPath)
		if err != nil {
			return s.ingestFailed(c, "auth", err)
		}
		name := strings.Clone(c.Params("name")) // fasthttp reuses it; the origin keeps names
		kind := kindLabel(name)
		body, err := readBody(c)
		if err != nil {
			return s.ingestFailed(c, kind, err)
		}
		s.metrics.ingestBytes.WithLabelValues(kind).Add(float64(len(body)))
		if err := ch.Ingest(name, body); err != nil {
			return s.ingestFailed(c, kind, err)
		}
		s.metrics.ingestFiles.WithLabelValues(kind, "ok").Inc()
		return c.SendStatus(fiber.StatusCreated)
	}
}

func (s *Server) ingestFailed(c *fiber.Ctx, kind string, err error) error {
	_, code := classify(err)
	s.metrics.ingestFiles.WithLabelValues(kind, code).Inc()
	if code != "unauthorized" && code != "not_found" {
		s.log.Warn("ingest refused", "path", logPath(c), "client", s.clientAddr(c), "err", err)
	}
	return s.writeError(c, err)
}

func (s *Server) ingestDelete(keyInPath bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ch, err := s.ingestChannel(c, keyInPath)
		if err != nil {
			return s.writeError(c, err)
		}
		name := c.Params("name")
		if origin.KindOf(name) == origin.FileUnknown {
			return s.writeError(c, fmt.Errorf("file %q: %w", name, origin.ErrInvalid))
		}
		if err := ch.EndIngest(name); err != nil {
			return s.writeError(c, err)
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func kindLabel(name string) string {
	switch origin.KindOf(path.Base(name)) {
	case origin.FilePlaylist:
		return "playlist"
	case origin.FileInit:
		return "init"
	case origin.FileSegment:
		return "segment"
	}
	return "unknown"
}
