package api

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/manifest"
	"hlsorigin/origin"
	"hlsorigin/replay"
	"hlsorigin/segments"
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
	opt.Tracks = trackInfo(r)
	var spans []replay.Span
	if r.Info().Kind == "audio" { // demuxed audio follows the video's cuts
		if v := referenceVideo(ch); v != nil {
			opt.Reference = v.Segments()
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
// bytes as live), or a replay segment: stored segments merged (n),
// trimmed (from, to) and re-stamped (shift), see replay.ParsePiece.
func (s *Server) replayFile(c *fiber.Ctx) error {
	file := c.Params("file")
	if len(c.Query("n"))+len(c.Query("from"))+len(c.Query("to"))+len(c.Query("shift")) == 0 {
		return s.liveFile(c)
	}
	r, err := s.rendition(c)
	if err != nil {
		return s.writeError(c, err)
	}
	seq, perr := strconv.ParseUint(strings.TrimSuffix(file, ".m4s"), 10, 64)
	if perr != nil || !strings.HasSuffix(file, ".m4s") {
		return s.writeError(c, fmt.Errorf("replay segment %q: %w", file, origin.ErrInvalid))
	}
	q, err := replay.ParsePiece(seq, func(k string) string { return c.Query(k) })
	if err != nil {
		return s.writeError(c, fmt.Errorf("%v: %w", err, origin.ErrInvalid))
	}
	out, err := renderPiece(r, q)
	if err != nil {
		return s.writeError(c, err)
	}
	return sendMedia(c, out, []byte(fmt.Sprintf(`"r%d-%x"`, seq, fnv64(string(c.Request().URI().QueryString())))))
}

// renderPiece reads the stored segments of q (one init) and builds the
// replay segment.
func renderPiece(r *origin.Rendition, q replay.PieceRequest) ([]byte, error) {
	var segs [][]byte
	var in *segments.Init
	for i := 0; i < q.N; i++ {
		data, _, err := r.Segment(q.Seq + uint64(i))
		if err != nil {
			return nil, err
		}
		si, err := r.InitOf(q.Seq + uint64(i))
		if err != nil {
			return nil, err
		}
		if in != nil && si != in {
			return nil, fmt.Errorf("segments %d..%d span two inits: %w", q.Seq, q.Seq+uint64(q.N)-1, origin.ErrInvalid)
		}
		in, segs = si, append(segs, data)
	}
	out, err := replay.Render(segs, in, q)
	switch {
	case errors.Is(err, replay.ErrBadPiece):
		return nil, fmt.Errorf("%v: %w", err, origin.ErrInvalid)
	case err != nil:
		return nil, fmt.Errorf("%v: %w", err, origin.ErrUnprocessable)
	}
	return out, nil
}

// trackInfo gives a rendition's tracks per init version.
func trackInfo(r *origin.Rendition) replay.Tracks {
	return func(ver uint32) []segments.Track {
		in, err := r.InitInfo(ver)
		if err != nil {
			return nil
		}
		return in.Tracks
	}
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
