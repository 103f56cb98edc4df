package api

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

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
// duration, an ETag and 304 on If-None-Match. The body is the published
// slice itself (never copied) and headers are set from precomputed bytes
// with canonical keys, so a 200 allocates nothing.
func sendPlaylist(c *fiber.Ctx, p *origin.Published, maxAge int) error {
	h := &c.Response().Header
	h.SetContentTypeBytes(mimePlaylistB)
	h.SetCanonical(hdrCacheControl, playlistCacheControl(maxAge))
	etag := utils.UnsafeBytes(p.ETag)
	h.SetCanonical(hdrETag, etag)
	if notModified(c, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(p.Body)
}

var (
	mimePlaylistB   = []byte(mimePlaylist)
	mimeMP4B        = []byte(mimeMP4)
	immutableB      = []byte(immutable)
	hdrCacheControl = []byte(fiber.HeaderCacheControl)
	hdrETag         = []byte(fiber.HeaderETag)
	// maxAgeValues[n] is "public, max-age=n" for the max-ages playlists use.
	maxAgeValues = func() (v [64][]byte) {
		for i := range v {
			v[i] = []byte("public, max-age=" + strconv.Itoa(i))
		}
		return v
	}()
)

func playlistCacheControl(maxAge int) []byte {
	if maxAge >= 0 && maxAge < len(maxAgeValues) {
		return maxAgeValues[maxAge]
	}
	return []byte("public, max-age=" + strconv.Itoa(maxAge))
}

// notModified reports whether If-None-Match names etag (or "*"). It scans
// the header in place: no allocation.
func notModified(c *fiber.Ctx, etag []byte) bool {
	inm := c.Request().Header.Peek(fiber.HeaderIfNoneMatch)
	for len(inm) > 0 {
		var t []byte
		if i := bytes.IndexByte(inm, ','); i >= 0 {
			t, inm = inm[:i], inm[i+1:]
		} else {
			t, inm = inm, nil
		}
		t = bytes.TrimPrefix(bytes.TrimSpace(t), []byte("W/"))
		if bytes.Equal(t, etag) || (len(t) == 1 && t[0] == '*') {
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

// liveFile serves init-{ver}.mp4 and {seq}.m4s, both immutable. The
// stored bytes are sent as they are (no copy); the ETag is built on the
// stack.
func (s *Server) liveFile(c *fiber.Ctx) error {
	r, err := s.rendition(c)
	if err != nil {
		return s.writeError(c, err)
	}
	file := c.Params("file")
	var data []byte
	var buf [48]byte
	etag := buf[:0]
	switch {
	case strings.HasPrefix(file, "init-") && strings.HasSuffix(file, ".mp4"):
		ver, perr := strconv.ParseUint(file[5:len(file)-4], 10, 32)
		if perr != nil {
			return s.writeError(c, fmt.Errorf("init %q: %w", file, origin.ErrNotFound))
		}
		data, err = r.Init(uint32(ver))
		etag = mediaETag(etag, 'i', ver, len(data))
	case strings.HasSuffix(file, ".m4s"):
		seq, perr := strconv.ParseUint(strings.TrimSuffix(file, ".m4s"), 10, 64)
		if perr != nil {
			return s.writeError(c, fmt.Errorf("segment %q: %w", file, origin.ErrNotFound))
		}
		data, _, err = r.Segment(seq)
		etag = mediaETag(etag, 's', seq, len(data))
	default:
		err = fmt.Errorf("file %q: %w", file, origin.ErrNotFound)
	}
	if err != nil {
		return s.writeError(c, err)
	}
	return sendMedia(c, data, etag)
}

// mediaETag appends "<kind><n>-<size>" (quoted) to dst.
func mediaETag(dst []byte, kind byte, n uint64, size int) []byte {
	dst = append(dst, '"', kind)
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, int64(size), 10)
	return append(dst, '"')
}

// sendMedia serves immutable bytes (never a store value slice that can
// change) without copying them.
func sendMedia(c *fiber.Ctx, data []byte, etag []byte) error {
	h := &c.Response().Header
	h.SetContentTypeBytes(mimeMP4B)
	h.SetCanonical(hdrCacheControl, immutableB)
	h.SetCanonical(hdrETag, etag)
	if notModified(c, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(data)
}
