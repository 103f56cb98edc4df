package api

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/manifest"
	"hlsorigin/origin"
	"hlsorigin/replay"
)

func (s *Server) replayRoutes() {
	s.app.Get("/replay/:id.mp4", s.replayMP4)
	s.app.Get("/replay/:id/index.m3u8", s.replayMultivariant)
	s.app.Get("/replay/:id/:rend/index.m3u8", s.replayMedia)
	s.app.Get("/replay/:id/:rend/:file", s.liveFile) // the same immutable bytes as live
}

// replayOptions reads ?pauses=keep, from and to (RFC 3339).
func (s *Server) replayOptions(c *fiber.Ctx) (replay.Options, error) {
	opt := replay.Options{MinRecording: s.opt.ReplayMinRecording}
	switch c.Query("pauses") {
	case "", "omit":
	case "keep":
		opt.KeepPauses = true
	default:
		return opt, fmt.Errorf("pauses=%q: keep or omit: %w", c.Query("pauses"), origin.ErrInvalid)
	}
	for name, dst := range map[string]*time.Time{"from": &opt.From, "to": &opt.To} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return opt, fmt.Errorf("%s=%q: RFC 3339 time: %w", name, v, origin.ErrInvalid)
			}
			*dst = t
		}
	}
	return opt, nil
}

func (s *Server) replayMultivariant(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	if _, err := s.replayOptions(c); err != nil {
		return s.writeError(c, err)
	}
	m := ch.MultivariantModel()
	if len(m.Variants) == 0 {
		return s.writeError(c, fmt.Errorf("channel %q: %w", ch.ID(), origin.ErrNotLive))
	}
	q := string(c.Request().URI().QueryString())
	if q != "" {
		for i := range m.Variants {
			m.Variants[i].URI += "?" + q
		}
		for i := range m.Renditions {
			m.Renditions[i].URI += "?" + q
		}
	}
	body, err := manifest.RenderMultivariant(m)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderContentType, mimePlaylist)
	c.Set(fiber.HeaderCacheControl, "public, max-age=2")
	return c.Send(body)
}

func (s *Server) replayMedia(c *fiber.Ctx) error {
	r, err := s.rendition(c)
	if err != nil {
		return s.writeError(c, err)
	}
	opt, err := s.replayOptions(c)
	if err != nil {
		return s.writeError(c, err)
	}
	ch, _ := s.o.Channel(c.Params("id"))
	u := replay.URIs{Segment: origin.SegmentURI, Init: origin.InitURI}
	m := replay.Media(r.Segments(), ch.Pauses(), r.Info().TargetDuration, u, opt)
	body, err := manifest.RenderMedia(m)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderContentType, mimePlaylist)
	c.Set(fiber.HeaderCacheControl, "public, max-age=2")
	return c.Send(body)
}
