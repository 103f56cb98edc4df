package api

import (
	"io"
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

// The hot paths players and CDNs hit: served straight through the fiber
// handler with a reused fasthttp request context (no network), so
// -benchmem shows what one request allocates beyond fasthttp itself.

// benchServer has channel "c" with the muxed fixture ingested as an
// encoder sends it (init, then segment and playlist in turn).
func benchServer(b *testing.B) *Server {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	o, err := origin.Open(origin.Config{DataDir: b.TempDir(), Logger: quiet}, origin.Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	ch, _, err := o.CreateChannel("c", "bench")
	if err != nil {
		b.Fatal(err)
	}
	m := fixtures.Muxed()
	if err := ch.Ingest(m.InitName, m.Init); err != nil {
		b.Fatal(err)
	}
	for i, seg := range m.Segments {
		if err := ch.Ingest(m.SegmentNames[i], seg); err != nil {
			b.Fatal(err)
		}
		if err := ch.Ingest(m.PlaylistName, playlist(m, i)); err != nil {
			b.Fatal(err)
		}
	}
	s, err := New(o, Options{AdminToken: testAdmin, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchGET(b *testing.B, path string, hdr map[string]string) {
	h := benchServer(b).App().Handler()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI(path)
	for k, v := range hdr {
		ctx.Request.Header.Set(k, v)
	}
	h(&ctx)
	if sc := ctx.Response.StatusCode(); sc != 200 && sc != 304 {
		b.Fatalf("GET %s: %d %s", path, sc, ctx.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx.Response.Reset()
		h(&ctx)
	}
}

func BenchmarkHotSegmentGET(b *testing.B)  { benchGET(b, "/live/c/index/1.m4s", nil) }
func BenchmarkHotPlaylistGET(b *testing.B) { benchGET(b, "/live/c/index/index.m3u8", nil) }
func BenchmarkHotMultivariantGET(b *testing.B) {
	benchGET(b, "/live/c/index.m3u8", nil)
}
func BenchmarkHotPlaylist304(b *testing.B) {
	benchGET(b, "/live/c/index/index.m3u8", map[string]string{"If-None-Match": "*"})
}
