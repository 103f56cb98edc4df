package api

import (
	"bufio"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/audience"
	"hlsorigin/origin"
)

// Audience endpoints: viewer tokens, chat and the live event stream.

func (s *Server) audienceRoutes() {
	s.app.Post("/api/v1/viewers", s.limiter(LimitViewers).Handler(), s.issueViewer)
	s.app.Post("/api/v1/channels/:id/chat", s.limiter(LimitChat).Handler(), s.postChat)
	s.app.Get("/api/v1/channels/:id/chat", s.listChat)
	s.app.Get("/api/v1/channels/:id/events", s.events)
}

type viewerResp struct {
	ViewerToken string    `json:"viewer_token"`
	ViewerID    string    `json:"viewer_id"`
	ExpiresAt   time.Time `json:"expires_at"`
	Channel     string    `json:"channel,omitempty"` // the channel the token is bound to
}

// viewerReq is the optional body of POST /api/v1/viewers: {} or
// {"channel": id}.
type viewerReq struct {
	Channel string `json:"channel"`
}

func (s *Server) issueViewer(c *fiber.Ctx) error {
	var req viewerReq
	if err := optionalJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	if req.Channel != "" {
		if !origin.ValidChannelID(req.Channel) {
			return s.writeError(c, fmt.Errorf("channel %q: not a channel id: %w", req.Channel, origin.ErrInvalid))
		}
		if _, err := s.o.Channel(req.Channel); err != nil {
			return s.writeError(c, err)
		}
	}
	tok, v, err := s.aud.IssueViewerFor(req.Channel)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(viewerResp{ViewerToken: tok, ViewerID: v.ID,
		ExpiresAt: v.IssuedAt.Add(audience.ViewerTokenTTL), Channel: v.Channel})
}

// viewer authenticates the viewer token of a request for channel ch (a
// token bound to another channel is refused).
func (s *Server) viewer(c *fiber.Ctx, ch *origin.Channel) (audience.Viewer, error) {
	v, err := s.aud.VerifyViewer(bearer(c))
	if err != nil {
		return v, err
	}
	return v, v.CheckChannel(ch.ID())
}

type chatReq struct {
	Text string `json:"text"`
}

func (s *Server) postChat(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	v, err := s.viewer(c, ch)
	if err != nil {
		return s.writeError(c, err)
	}
	var req chatReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	m, err := s.aud.Chat(ch, v, req.Text)
	if err != nil {
		return s.writeError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) listChat(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	n := 50
	if q := c.Query("limit"); q != "" {
		if n, err = strconv.Atoi(q); err != nil || n < 1 || n > audience.ChatKeep {
			return s.writeError(c, fmt.Errorf("limit: 1 to %d: %w", audience.ChatKeep, origin.ErrInvalid))
		}
	}
	msgs := s.aud.RecentChat(ch, n)
	if msgs == nil {
		msgs = []audience.ChatMessage{}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(msgs)
}

func writeEvent(w *bufio.Writer, ev origin.Event) {
	fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
}
