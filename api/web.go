package api

import (
	"io/fs"
	"path"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/web"
)

// webRoutes serve the embedded pages: /watch/{id} (viewer), /host/{id}
// (host console) and /web/{asset}.
func (s *Server) webRoutes() {
	s.app.Get("/watch/:id", func(c *fiber.Ctx) error { return s.sendAsset(c, "watch.html") })
	s.app.Get("/host/:id", func(c *fiber.Ctx) error { return s.sendAsset(c, "host.html") })
	s.app.Get("/web/:file", func(c *fiber.Ctx) error { return s.sendAsset(c, c.Params("file")) })
}

// pageCSP allows the pages' own scripts and styles only (no inline
// script), media from this origin and MSE blobs (hls.js), its worker from
// a blob, and no framing.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// setPageSecurityHeaders are the headers of the viewer and host pages.
func setPageSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
}

func (s *Server) sendAsset(c *fiber.Ctx, name string) error {
	b, err := fs.ReadFile(web.Static, path.Join("static", path.Clean("/" + name)[1:]))
	if err != nil {
		return c.Status(fiber.StatusNotFound).JSON(apiError{Error: "no such page", Code: "not_found"})
	}
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	switch path.Ext(name) {
	case ".html":
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		setPageSecurityHeaders(c)
	case ".css":
		c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "no-cache")
	case ".js":
		c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "no-cache") // page code changes with the binary
		if name == "hls.min.js" {
			c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		}
	}
	return c.Send(b)
}
