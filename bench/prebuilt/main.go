// Command prebuilt is the baseline of the live playlist benchmark: the
// smallest fiber handler that serves fixed bytes (a playlist fetched from
// the origin) with the same headers the origin sends. The origin's live
// playlist GET is compared with it in the same run; serving a segment, it
// shows what any Go server gets out of these cores next to nginx. Listens
// on a loopback address only.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/gofiber/fiber/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	file := flag.String("file", "", "bytes to serve")
	path := flag.String("path", "/index.m3u8", "URL path")
	cc := flag.String("cache-control", "public, max-age=1", "Cache-Control header")
	ct := flag.String("content-type", "application/vnd.apple.mpegurl", "Content-Type header")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "prebuilt: -addr must be a loopback address")
		os.Exit(2)
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "prebuilt:", err)
		os.Exit(1)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get(*path, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, *ct)
		c.Set(fiber.HeaderCacheControl, *cc)
		c.Set(fiber.HeaderETag, `"prebuilt"`)
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		return c.Send(body)
	})
	if err := app.Listen(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "prebuilt:", err)
		os.Exit(1)
	}
}
