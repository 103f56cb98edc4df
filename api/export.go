package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
	"hlsorigin/replay"
)

// replayMP4 streams GET /replay/{id}.mp4?rendition=: one fragmented MP4 of
// the replay (paused intervals left out, timestamps gapless), with an exact
// Content-Length and single-range requests.
func (s *Server) replayMP4(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	r, err := exportRendition(ch, c.Query("rendition"))
	if err != nil {
		return s.writeError(c, err)
	}
	opt, err := s.replayOptions(c)
	if err != nil {
		return s.writeError(c, err)
	}
	opt.KeepPauses = false // a slate has its own init: never in the same file
	opt.Tracks = trackInfo(r)
	ex, err := replay.PlanMP4(r.Segments(), r.Init, opt)
	if err != nil {
		return s.writeError(c, err)
	}
	from, to, partial, err := byteRange(c.Get(fiber.HeaderRange), ex.Size)
	if err != nil {
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", ex.Size))
		return s.writeError(c, err)
	}
	rd, err := replay.NewReader(ex, r.ArchiveSource(), from, to)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderContentType, mimeMP4)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="%s-%s.mp4"`, ch.ID(), r.Name()))
	c.Set("X-Hlsorigin-Omitted-Segments", strconv.Itoa(ex.Omitted))
	if partial {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", from, to-1, ex.Size))
	}
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(int(to - from))
		return nil
	}
	c.Context().SetBodyStream(rd, int(to-from))
	return nil
}

// exportRendition is the named rendition, else the video rendition with
// the highest bandwidth (audio-only channels: the first rendition).
func exportRendition(ch *origin.Channel, name string) (*origin.Rendition, error) {
	if name != "" {
		return ch.Rendition(name)
	}
	var best *origin.Rendition
	for _, r := range ch.Renditions() {
		in := r.Info()
		if best == nil || (in.Kind == "video" && (best.Info().Kind != "video" || in.Bandwidth > best.Info().Bandwidth)) {
			best = r
		}
	}
	if best == nil {
		return nil, fmt.Errorf("channel %q: %w", ch.ID(), origin.ErrNotLive)
	}
	return best, nil
}

// byteRange parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" range.
func byteRange(h string, size int64) (from, to int64, partial bool, err error) {
	if h == "" {
		return 0, size, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	a, b, dash := strings.Cut(spec, "-")
	if !ok || !dash || strings.Contains(spec, ",") {
		return 0, 0, false, fmt.Errorf("range %q: one byte range expected: %w", h, errRange)
	}
	switch {
	case a == "":
		n, perr := strconv.ParseInt(b, 10, 64)
		if perr != nil || n <= 0 {
			return 0, 0, false, fmt.Errorf("range %q: %w", h, errRange)
		}
		from, to = max(0, size-n), size
	default:
		from, err = strconv.ParseInt(a, 10, 64)
		to = size
		if b != "" {
			var last int64
			last, err = strconv.ParseInt(b, 10, 64)
			to = min(size, last+1)
		}
	}
	if err != nil || from < 0 || from >= size || to <= from {
		return 0, 0, false, fmt.Errorf("range %q of %d bytes: %w", h, size, errRange)
	}
	return from, to, true, nil
}

var errRange = fiber.NewError(fiber.StatusRequestedRangeNotSatisfiable, "range not satisfiable")
