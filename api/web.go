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

func (s *Server) sendAsset(c *fiber.Ctx, name string) error {
	b, err := fs.ReadFile(web.Static, path.Join("static", path.Clean("/" + name)[1:]))
	if err != nil {
		return c.Status(fiber.StatusNotFound).JSON(apiError{Error: "no such page", Code: "not_found"})
	}
	switch path.Ext(name) {
	case ".html":
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "no-cache")
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
