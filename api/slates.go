package api

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
	"hlsorigin/slatelib"
)

// Slate library endpoints: system presets (admin uploads), host slates,
// the channel's default slate, topic matching, and signed media for the
// moderation service.

func (s *Server) slateRoutes() {
	s.app.Get("/api/v1/slates", s.listPresets)
	s.app.Post("/api/v1/slates", s.uploadPreset)
	s.app.Get("/api/v1/slates/:sid/media", s.slateMedia)
	s.app.Get("/api/v1/channels/:id/slates", s.listChannelSlates)
	s.app.Post("/api/v1/channels/:id/slates", s.uploadChannelSlate)
	s.app.Get("/api/v1/channels/:id/slates/match", s.matchSlates)
	s.app.Get("/api/v1/channels/:id/slates/default", s.getDefaultSlate)
	s.app.Put("/api/v1/channels/:id/slates/default", s.putDefaultSlate)
	s.app.Put("/api/v1/channels/:id/tags", s.putChannelTags)
	s.app.Get("/api/v1/slates/:sid", s.getPreset)
	s.app.Get("/api/v1/channels/:id/slates/:sid", s.getChannelSlate) // after match and default
}

// slateUploadResp is the answer to an upload.
type slateUploadResp struct {
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Reason string         `json:"reason"`
	Slate  *slatelib.Meta `json:"slate"`
}

func (s *Server) listPresets(c *fiber.Ctx) error {
	out := s.lib.Presets()
	if out == nil {
		out = []slatelib.Meta{}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(out)
}

func (s *Server) uploadPreset(c *fiber.Ctx) error {
	if !s.isAdmin(c) {
		return s.writeError(c, fmt.Errorf("admin token required: %w", origin.ErrUnauthorized))
	}
	return s.upload(c, nil)
}

func (s *Server) uploadChannelSlate(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	return s.upload(c, ch)
}

// upload reads the multipart form (file, title, tags, description) and
// hands it to the library.
func (s *Server) upload(c *fiber.Ctx, ch *origin.Channel) error {
	lib := s.lib
	limit := lib.Config().MaxUploadBytes
	if n := c.Request().Header.ContentLength(); n > limit+64<<10 {
		return s.writeError(c, fmt.Errorf("slate upload of %d bytes: at most %d: %w", n, limit, origin.ErrTooLarge))
	}
	if _, err := readBody(c); err != nil { // within the route's limit, before the form is parsed
		return s.writeError(c, err)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return s.writeError(c, fmt.Errorf("multipart form with a \"file\" part (picture or video) required: %v: %w", err, origin.ErrInvalid))
	}
	if fh.Size > int64(limit) {
		return s.writeError(c, fmt.Errorf("slate file of %d bytes: at most %d: %w", fh.Size, limit, origin.ErrTooLarge))
	}
	f, err := fh.Open()
	if err != nil {
		return s.writeError(c, fmt.Errorf("read upload: %v: %w", err, origin.ErrInvalid))
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, int64(limit)+1)); err != nil {
		return s.writeError(c, fmt.Errorf("read upload: %v: %w", err, origin.ErrInvalid))
	}
	up := slatelib.UploadInfo{Title: c.FormValue("title"), Description: c.FormValue("description")}
	if form, err := c.MultipartForm(); err == nil {
		for _, v := range form.Value["tags"] {
			up.Tags = append(up.Tags, splitTags(v)...)
		}
	}
	m, err := lib.Upload(ch, buf.Bytes(), up)
	if err != nil {
		return s.writeError(c, err)
	}
	owner := "system"
	if ch != nil {
		owner = ch.ID()
	}
	s.log.Info("slate uploaded", "owner", owner, "slate", m.ID, "status", m.Status, "reason", m.Reason)
	status := fiber.StatusCreated
	if m.Status == slatelib.Processing { // converting: GET the slate for the outcome
		status = fiber.StatusAccepted
	}
	return c.Status(status).JSON(slateUploadResp{ID: m.ID, Status: m.Status, Reason: m.Reason, Slate: &m})
}

// getPreset answers one system preset's metadata (status included).
func (s *Server) getPreset(c *fiber.Ctx) error {
	m, err := s.lib.Meta(c.Params("sid"))
	if err == nil && m.Owner != "" {
		err = fmt.Errorf("preset %q: %w", c.Params("sid"), origin.ErrNotFound)
	}
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(m)
}

// getChannelSlate answers one of a channel's own slates (its status while
// it converts, then approved or rejected with the reason).
func (s *Server) getChannelSlate(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	m, err := s.lib.Meta(c.Params("sid"))
	if err == nil && m.Owner != ch.ID() {
		err = fmt.Errorf("slate %q of channel %s: %w", c.Params("sid"), ch.ID(), origin.ErrNotFound)
	}
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(m)
}

// splitTags accepts "a, b" or "a\nb" or a JSON-ish list "[a, b]".
func splitTags(v string) []string {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	var out []string
	for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '，' || r == '、' }) {
		t = strings.Trim(strings.TrimSpace(t), `"`)
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// slateMedia serves a slate's stored media to whoever holds a signed,
// short-lived token (the moderation service) or the admin token.
func (s *Server) slateMedia(c *fiber.Ctx) error {
	id := c.Params("sid")
	if !s.isAdmin(c) {
		if err := s.lib.CheckMediaToken(id, c.Query("token")); err != nil {
			return s.writeError(c, err)
		}
	}
	b, err := s.lib.Media(id)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderContentType, "video/mp4")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(b) // a fresh copy from the store, owned by this response
}

func (s *Server) listChannelSlates(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(s.lib.ChannelSlates(ch))
}

func (s *Server) matchSlates(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	n := 5
	if q := c.Query("terms"); q != "" {
		if n, err = strconv.Atoi(q); err != nil || n < 0 || n > 50 {
			return s.writeError(c, fmt.Errorf("terms: 0 to 50: %w", origin.ErrInvalid))
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(s.lib.Match(ch, n))
}

type defaultSlateReq struct {
	ID *string `json:"id"`
}

type defaultSlateResp struct {
	ID string `json:"id"` // "" when unset
}

func (s *Server) getDefaultSlate(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(defaultSlateResp{ID: s.lib.ChannelDefault(ch)})
}

func (s *Server) putDefaultSlate(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req defaultSlateReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	if req.ID == nil {
		return s.writeError(c, fmt.Errorf(`body {"id": slate id, or "" to clear}: %w`, origin.ErrInvalid))
	}
	if err := s.lib.SetChannelDefault(ch, *req.ID); err != nil {
		return s.writeError(c, err)
	}
	return c.JSON(defaultSlateResp{ID: s.lib.ChannelDefault(ch)})
}

type tagsReq struct {
	Tags []string `json:"tags"`
}

func (s *Server) putChannelTags(c *fiber.Ctx) error {
	ch, err := s.hostChannel(c)
	if err != nil {
		return s.writeError(c, err)
	}
	var req tagsReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	if err := s.lib.SetChannelTags(ch, req.Tags); err != nil {
		return s.writeError(c, err)
	}
	return c.JSON(tagsReq{Tags: s.lib.ChannelTags(ch)})
}
