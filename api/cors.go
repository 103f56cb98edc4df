package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
)

// CORS. Reads (GET, HEAD) are open to every site: playlists, segments and
// public state are meant for players anywhere ("*", no credentials).
// Writes never get "Access-Control-Allow-Origin: *": a page on another
// site cannot read a viewer token it made a browser take, nor the answers
// of chat and votes. Sites listed in Options.AllowedOrigins (flag
// -allowed-origins) may use the viewer writes (token issue, chat, vote);
// host and admin writes have no CORS at all (their consoles are the
// origin's own pages).

// viewerWrite reports the routes of the viewer writes.
func viewerWrite(c *fiber.Ctx) bool {
	p := c.Path()
	return p == "/api/v1/viewers" || strings.HasPrefix(p, "/api/v1/channels/") &&
		(strings.HasSuffix(p, "/chat") || strings.HasSuffix(p, "/poll/vote"))
}

func (s *Server) corsRoutes() {
	if len(s.opt.AllowedOrigins) > 0 {
		s.app.Use(cors.New(cors.Config{
			Next: func(c *fiber.Ctx) bool {
				return !viewerWrite(c) || c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
			},
			AllowOrigins: strings.Join(s.opt.AllowedOrigins, ","), AllowMethods: "POST,OPTIONS",
			AllowHeaders: "Authorization,Content-Type"}))
	}
	s.app.Use(cors.New(cors.Config{
		Next: func(c *fiber.Ctx) bool {
			switch c.Method() {
			case fiber.MethodGet, fiber.MethodHead:
				return false
			case fiber.MethodOptions: // preflights of viewer writes: only the allowed sites (above)
				return viewerWrite(c) && len(s.opt.AllowedOrigins) > 0
			}
			return true
		},
		AllowOrigins: "*", AllowMethods: "GET,HEAD,OPTIONS",
		AllowHeaders: "Range,If-None-Match", ExposeHeaders: "ETag,Content-Length,Content-Range"}))
}
