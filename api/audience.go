package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

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
}

func (s *Server) issueViewer(c *fiber.Ctx) error {
	tok, v, err := s.o.IssueViewer()
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(viewerResp{ViewerToken: tok, ViewerID: v.ID,
		ExpiresAt: v.IssuedAt.Add(origin.ViewerTokenTTL)})
}

// viewer authenticates the viewer token of a request.
func (s *Server) viewer(c *fiber.Ctx) (origin.Viewer, error) {
	return s.o.VerifyViewer(bearer(c))
}

type chatReq struct {
	Text string `json:"text"`
}

func (s *Server) postChat(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	v, err := s.viewer(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req chatReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	m, err := ch.Chat(v, req.Text)
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
		if n, err = strconv.Atoi(q); err != nil || n < 1 || n > origin.ChatKeep {
			return s.writeError(c, fmt.Errorf("limit: 1 to %d: %w", origin.ChatKeep, origin.ErrInvalid))
		}
	}
	msgs := ch.RecentChat(n)
	if msgs == nil {
		msgs = []origin.ChatMessage{}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(msgs)
}

// sseKeepAlive is how often an idle event stream sends a comment, so that
// proxies keep it open and a gone client is noticed.
const sseKeepAlive = 15 * time.Second

// events serves a channel's events as Server-Sent Events. A client that
// reconnects with Last-Event-ID (header, or ?last_event_id= for clients
// that cannot set it) gets what it missed; when that is no longer known it
// first gets a "sync" event with the channel's current state.
func (s *Server) events(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	last := c.Get("Last-Event-ID")
	if last == "" {
		last = c.Query("last_event_id")
	}
	var lastID uint64
	if last != "" {
		if lastID, err = strconv.ParseUint(last, 10, 64); err != nil {
			return s.writeError(c, fmt.Errorf("Last-Event-ID %q: %w", last, origin.ErrInvalid))
		}
	}
	backlog, complete, sub := ch.Subscribe(lastID)
	state, _ := json.Marshal(s.channelView(ch))
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	conn := c.Context().Conn()
	done := s.done
	s.metrics.sseClients.Inc()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.metrics.sseClients.Dec()
		defer sub.Cancel()
		send := func(write func()) bool {
			_ = conn.SetWriteDeadline(time.Now().Add(2 * sseKeepAlive))
			write()
			return w.Flush() == nil
		}
		ok := send(func() {
			fmt.Fprintf(w, "retry: 2000\n\n")
			if lastID == 0 || !complete {
				fmt.Fprintf(w, "event: sync\ndata: %s\n\n", state)
			}
			for _, ev := range backlog {
				writeEvent(w, ev)
			}
		})
		tick := time.NewTicker(sseKeepAlive)
		defer tick.Stop()
		for ok {
			select {
			case ev, open := <-sub.C:
				if !open {
					return // lagged too far: the client reconnects with Last-Event-ID
				}
				ok = send(func() {
					writeEvent(w, ev)
					for len(sub.C) > 0 { // batch what is already queued
						if ev, open = <-sub.C; open {
							writeEvent(w, ev)
						}
					}
				})
			case <-tick.C:
				ok = send(func() { fmt.Fprintf(w, ": keep-alive\n\n") })
			case <-done:
				return
			}
		}
	})
	return nil
}

func writeEvent(w *bufio.Writer, ev origin.Event) {
	fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
}
