package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
)

const (
	mimePlaylist = "application/vnd.apple.mpegurl"
	mimeMP4      = "video/mp4"
	immutable    = "public, max-age=31536000, immutable"
)

// liveRoutes serve what players and CDNs pull. fiber's Get also answers HEAD.
func (s *Server) liveRoutes() {
	s.app.Get("/live/:id/index.m3u8", s.liveMultivariant)
	s.app.Get("/live/:id/:rend/index.m3u8", s.liveMedia)
	s.app.Get("/live/:id/:rend/:file", s.liveFile)
}

func (s *Server) liveMultivariant(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	p, err := ch.Multivariant()
	if err != nil {
		return s.writeError(c, err)
	}
	return sendPlaylist(c, p, 1)
}

func (s *Server) liveMedia(c *fiber.Ctx) error {
	r, err := s.rendition(c)
	if err != nil {
		return s.writeError(c, err)
	}
	p, err := r.Playlist()
	if err != nil {
		return s.writeError(c, err)
	}
	return sendPlaylist(c, p, max(1, p.Target/2))
}

// sendPlaylist serves cached bytes with a max-age of half the target
// duration, an ETag and 304 on If-None-Match.
func sendPlaylist(c *fiber.Ctx, p *origin.Published, maxAge int) error {
	c.Set(fiber.HeaderContentType, mimePlaylist)
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(maxAge))
	c.Set(fiber.HeaderETag, p.ETag)
	if notModified(c, p.ETag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(p.Body)
}

func notModified(c *fiber.Ctx, etag string) bool {
	inm := c.Get(fiber.HeaderIfNoneMatch)
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func (s *Server) rendition(c *fiber.Ctx) (*origin.Rendition, error) {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return nil, err
	}
	return ch.Rendition(c.Params("rend"))
}

// liveFile serves init-{ver}.mp4 and {seq}.m4s, both immutable.
func (s *Server) liveFile(c *fiber.Ctx) error {
	r, err := s.rendition(c)
	if err != nil {
		return s.writeError(c, err)
	}
	file := c.Params("file")
	var data []byte
	var etag string
	switch {
	case strings.HasPrefix(file, "init-") && strings.HasSuffix(file, ".mp4"):
		ver, perr := strconv.ParseUint(file[5:len(file)-4], 10, 32)
		if perr != nil {
			return s.writeError(c, fmt.Errorf("init %q: %w", file, origin.ErrNotFound))
		}
		data, err = r.Init(uint32(ver))
		etag = fmt.Sprintf(`"i%d-%d"`, ver, len(data))
	case strings.HasSuffix(file, ".m4s"):
		seq, perr := strconv.ParseUint(strings.TrimSuffix(file, ".m4s"), 10, 64)
		if perr != nil {
			return s.writeError(c, fmt.Errorf("segment %q: %w", file, origin.ErrNotFound))
		}
		data, _, err = r.Segment(seq)
		etag = fmt.Sprintf(`"s%d-%d"`, seq, len(data))
	default:
		err = fmt.Errorf("file %q: %w", file, origin.ErrNotFound)
	}
	if err != nil {
		return s.writeError(c, err)
	}
	return sendMedia(c, data, etag)
}

func sendMedia(c *fiber.Ctx, data []byte, etag string) error {
	c.Set(fiber.HeaderContentType, mimeMP4)
	c.Set(fiber.HeaderCacheControl, immutable)
	c.Set(fiber.HeaderETag, etag)
	if notModified(c, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(data)
}
