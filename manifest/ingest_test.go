package manifest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
)

// ffmpegLive is what ffmpeg's HLS muxer PUTs with -hls_flags program_date_time.
const ffmpegLive = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXTINF:1.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T01:27:33.614+0000
local0.m4s
#EXTINF:1.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T01:27:34.614+0000
local1.m4s
`

func TestParseIngestFFmpeg(t *testing.T) {
	pl, err := ParseIngest([]byte(ffmpegLive))
	if err != nil || pl.Media == nil {
		t.Fatalf("%v", err)
	}
	m := pl.Media
	if len(m.Segments) != 2 || m.Segments[1].URI != "local1.m4s" || m.Segments[0].MapURI != "init.mp4" || m.Version != 7 {
		t.Fatalf("%+v", m)
	}
	want := time.Date(2026, 11, 25, 1, 27, 34, 614e6, time.UTC)
	if !m.Segments[1].PDT.Equal(want) {
		t.Errorf("PDT %v, want %v", m.Segments[1].PDT, want)
	}
	for _, r := range append([]fixtures.Rendition{fixtures.Muxed(), fixtures.BFrames()}, fixtures.ABR()...) {
		pl, err := ParseIngest(r.Playlist)
		if err != nil || pl.Media == nil || len(pl.Media.Segments) != 3 || !pl.Media.Ended {
			t.Errorf("%s: %v %+v", r.PlaylistName, err, pl)
		}
	}
	mv, err := ParseIngest(fixtures.ABRMaster())
	if err != nil || mv.Master == nil || len(mv.Master.Variants) != 3 || len(mv.Master.Media) != 1 ||
		mv.Master.Variants[1].Audio != "group_aud" || mv.Master.Variants[1].Codecs != "avc1.4d401e,mp4a.40.2" {
		t.Errorf("master: %v %+v", err, mv)
	}
}

func TestParseIngestRejects(t *testing.T) {
	cases := map[string]string{
		"no header":        "#EXTINF:1,\na.m4s\n",
		"traversal":        "#EXTM3U\n#EXTINF:1,\n../a.m4s\n",
		"absolute url":     "#EXTM3U\n#EXTINF:1,\nhttp://x/a.m4s\n",
		"path":             "#EXTM3U\n#EXTINF:1,\na/b.m4s\n",
		"negative":         "#EXTM3U\n#EXTINF:-1,\na.m4s\n",
		"nan":              "#EXTM3U\n#EXTINF:NaN,\na.m4s\n",
		"uri without inf":  "#EXTM3U\na.m4s\n",
		"inf without uri":  "#EXTM3U\n#EXTINF:1,\n",
		"bad map":          "#EXTM3U\n#EXT-X-MAP:URI=\"../i.mp4\"\n",
		"unterminated":     "#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\n",
		"long line":        "#EXTM3U\n#" + strings.Repeat("x", MaxIngestLine+1) + "\n",
		"stream inf no bw": "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"a\"\nx.m3u8\n",
		"empty":            "",
	}
	for name, body := range cases {
		if _, err := ParseIngest([]byte(body)); !errors.Is(err, ErrInvalidPlaylist) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	var many strings.Builder
	many.WriteString("#EXTM3U\n")
	for i := 0; i <= MaxIngestSegments; i++ {
		many.WriteString("#EXTINF:1,\na.m4s\n")
	}
	if _, err := ParseIngest([]byte(many.String())); err == nil {
		t.Error("more than MaxIngestSegments accepted")
	}
}

func TestParseAttributes(t *testing.T) {
	a, err := ParseAttributes(`TYPE=AUDIO,GROUP-ID="a,b",NAME="x",BANDWIDTH=5`)
	if err != nil || a["GROUP-ID"] != "a,b" || a["BANDWIDTH"] != "5" || a["TYPE"] != "AUDIO" {
		t.Errorf("%v %v", a, err)
	}
	for _, bad := range []string{`A`, `A="x`, `A=1,A=2`, `=1`} {
		if _, err := ParseAttributes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseIngest: the parser never panics, and whatever it accepts only
// names plain files. Seeds: ffmpeg's live and VOD playlists, a master, and
// the rejection table.
func FuzzParseIngest(f *testing.F) {
	f.Add([]byte(ffmpegLive))
	f.Add(fixtures.Muxed().Playlist)
	f.Add(fixtures.ABRMaster())
	f.Add([]byte("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\n"))
	f.Add([]byte("#EXTM3U\n#EXTINF:1,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pl, err := ParseIngest(b)
		if err != nil {
			return
		}
		if pl.Media != nil {
			for _, s := range pl.Media.Segments {
				if !validURI(s.URI) || (s.MapURI != "" && !validURI(s.MapURI)) || s.Duration <= 0 {
					t.Fatalf("accepted %+v", s)
				}
			}
		}
	})
}
