package api

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
)

func (s *Server) rotateRoutes() {
	s.app.Post("/api/v1/channels/:id/rotate", s.limiter(LimitRotate).Handler(), s.rotate)
}

type rotateReq struct {
	What string `json:"what"`
}

type rotateResp struct {
	ID        string `json:"id"`
	StreamKey string `json:"stream_key,omitempty"`
	HostToken string `json:"host_token,omitempty"`
}

// rotate replaces a channel's stream key, host token or both (admin or
// host token). The new secrets are in this answer only; the old ones stop
// working before it is sent.
func (s *Server) rotate(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req rotateReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	if req.What == "" {
		return s.writeError(c, fmt.Errorf(`"what": stream_key, host_token or both: %w`, origin.ErrInvalid))
	}
	cr, err := ch.Rotate(req.What)
	if err != nil {
		return s.writeError(c, err)
	}
	s.log.Info("credentials rotated", "channel", ch.ID(), "what", req.What, "client", s.clientAddr(c))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(rotateResp{ID: ch.ID(), StreamKey: cr.StreamKey, HostToken: cr.HostToken})
}

// logPath is the request path for logs, with a stream key given in the
// path (/ingest/{id}/{key}/{name}) replaced: secrets never reach the logs.
func logPath(c *fiber.Ctx) string {
	p := c.Path()
	if !strings.HasPrefix(p, "/ingest/") {
		return p
	}
	parts := strings.Split(p, "/") // "", "ingest", id, key, name
	if len(parts) == 5 {
		parts[3] = "{key}"
	}
	return strings.Join(parts, "/")
}
