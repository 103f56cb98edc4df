package api

import (
	"fmt"
	"strconv"
	"strings"
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
	s.app.Get("/replay/:id/:rend/:file", s.replayFile)
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
	var spans []replay.Span
	if r.Info().Kind == "audio" { // demuxed audio follows the video's cuts
		if v := referenceVideo(ch); v != nil {
			spans = replay.SlateSpans(v.CutSegments()) // withdrawn video counts as cut
		}
	}
	m := replay.Media(r.Segments(), ch.Pauses(), r.Info().TargetDuration, u, opt, spans...)
	body, err := manifest.RenderMedia(m)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderContentType, mimePlaylist)
	c.Set(fiber.HeaderCacheControl, "public, max-age=2")
	return c.Send(body)
}

// referenceVideo is the video rendition whose cuts demuxed audio follows.
func referenceVideo(ch *origin.Channel) *origin.Rendition {
	for _, r := range ch.Renditions() {
		if r.Info().Kind == "video" {
			return r
		}
	}
	return nil
}

// replayFile serves the stored init and segments (the same immutable
// bytes as live), or a segment trimmed to ?from=&to= (media seconds).
func (s *Server) replayFile(c *fiber.Ctx) error {
	if c.Query("from") == "" && c.Query("to") == "" {
		return s.liveFile(c)
	}
	r, err := s.rendition(c)
	if err != nil {
		return s.writeError(c, err)
	}
	seq, err1 := strconv.ParseUint(strings.TrimSuffix(c.Params("file"), ".m4s"), 10, 64)
	from, err2 := strconv.ParseFloat(c.Query("from"), 64)
	to, err3 := strconv.ParseFloat(c.Query("to"), 64)
	if err1 != nil || err2 != nil || err3 != nil || !strings.HasSuffix(c.Params("file"), ".m4s") || to <= from {
		return s.writeError(c, fmt.Errorf("trimmed segment %q from=%q to=%q: %w", c.Params("file"), c.Query("from"), c.Query("to"), origin.ErrInvalid))
	}
	data, _, err := r.Segment(seq)
	if err != nil {
		return s.writeError(c, err)
	}
	init, err := r.InitOf(seq)
	if err != nil {
		return s.writeError(c, err)
	}
	out, err := replay.Trim(data, init.MP4, from, to)
	if err != nil {
		return s.writeError(c, fmt.Errorf("%w: %v", origin.ErrUnprocessable, err))
	}
	return sendMedia(c, out, []byte(fmt.Sprintf(`"t%d-%s-%s"`, seq, c.Query("from"), c.Query("to"))))
}
