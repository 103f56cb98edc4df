package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hlsorigin/manifest"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/segments"
)

// replayURLs fetches the replay multivariant and every media playlist it
// links, runs the strict checker on each, and requests every segment and
// init URI they list: each must answer 200 with a body. It returns the
// media playlist URLs (video variants first, then audio renditions).
func replayURLs(t *testing.T, multivariant string) []string {
	t.Helper()
	body := mustGet(t, multivariant)
	if err := hlscheck.CheckMultivariant(body); err != nil {
		t.Fatalf("replay multivariant: %v\n%s", err, body)
	}
	var media []string
	lines := strings.Split(string(body), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#EXT-X-STREAM-INF:") && i+1 < len(lines) {
			media = append(media, resolveURL(t, multivariant, lines[i+1]))
		}
		if _, u, ok := strings.Cut(l, `URI="`); ok && strings.HasPrefix(l, "#EXT-X-MEDIA:") {
			media = append(media, resolveURL(t, multivariant, strings.SplitN(u, `"`, 2)[0]))
		}
	}
	n := 0
	for _, m := range media {
		pl := mustGet(t, m)
		lines := strings.Split(strings.TrimSpace(string(pl)), "\n")
		t.Logf("%s: last segment %s", m, lines[max(0, len(lines)-2)])
		if err := hlscheck.CheckMedia(pl); err != nil {
			t.Errorf("replay playlist %s: %v\n%s", m, err, pl)
		}
		for _, l := range strings.Split(string(pl), "\n") {
			uri := l
			if _, u, ok := strings.Cut(l, `#EXT-X-MAP:URI="`); ok {
				uri = strings.SplitN(u, `"`, 2)[0]
			} else if l == "" || l[0] == '#' {
				continue
			}
			if b := mustGet(t, resolveURL(t, m, uri)); len(b) == 0 {
				t.Errorf("%s: empty body", uri)
			}
			n++
		}
	}
	t.Logf("replay: %d media playlists, %d URIs, every one 200 and checked", len(media), n)
	return media
}

func resolveURL(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatalf("URI %q: %v", ref, err)
	}
	return b.ResolveReference(r).String()
}

func mustGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %.300s", u, resp.StatusCode, err, b)
	}
	return b
}

// checkContinuous: ffprobe reads every packet of the playlist's streams;
// per stream the timestamps never jump by more than one video frame
// (1/30 s) beyond the packet's own duration, nor go back.
func checkContinuous(t *testing.T, ctx context.Context, playlist string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(pctx, "ffprobe", "-v", "error", "-show_entries", "packet=stream_index,dts_time,duration_time",
		"-of", "csv=p=0", playlist)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", playlist, err)
	}
	type last struct{ dts, dur float64 }
	prev := map[string]last{}
	packets := 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, ",")
		if len(f) < 3 {
			continue
		}
		dts, err1 := strconv.ParseFloat(f[1], 64)
		dur, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if p, ok := prev[f[0]]; ok {
			if jump := dts - (p.dts + p.dur); dts <= p.dts || math.Abs(jump) > 1.0/30+1e-3 {
				t.Errorf("%s stream %s: packet at %.4f s after one at %.4f s lasting %.4f s", playlist, f[0], dts, p.dts, p.dur)
			}
		}
		prev[f[0]] = last{dts, dur}
		packets++
	}
	if packets < 100 {
		t.Errorf("%s: %d packets", playlist, packets)
	}
}

// play runs a player to the end of the replay: exit 0 within the bound
// and no error in what it prints.
func play(t *testing.T, ctx context.Context, bound time.Duration, bad []string, name string, args ...string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(pctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s: %v after %s\n%s", name, err, time.Since(start).Round(time.Millisecond), tail(out))
		return
	}
	for _, l := range strings.Split(string(out), "\n") {
		for _, b := range bad {
			if strings.Contains(strings.ToLower(l), strings.ToLower(b)) {
				t.Errorf("%s printed %q:\n%s", name, l, tail(out))
				return
			}
		}
	}
	t.Logf("%s played the replay to the end in %s", strings.Join(append([]string{name}, args[:min(len(args), 4)]...), " "), time.Since(start).Round(time.Millisecond))
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// checkReplayPlayers: every URI of the replay answers 200 and passes the
// strict checker; ffprobe sees continuous timestamps in every playlist;
// ffmpeg decodes it to the end; GStreamer's playbin, mpv and (when it runs
// here) VLC play it to the end with no error.
func checkReplayPlayers(t *testing.T, ctx context.Context, base, id string) {
	mv := base + "/replay/" + id + "/index.m3u8"
	for _, m := range replayURLs(t, mv) {
		checkContinuous(t, ctx, m)
	}
	checkVariantCodecs(t, mv)
	checkVariantCodecs(t, mv+"?pauses=keep") // the slate segments too
	play(t, ctx, 120*time.Second, []string{"error", "invalid"}, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
		"-i", mv, "-map", "0", "-f", "null", "-")
	if needTool(t, "gst-launch-1.0") != "" {
		play(t, ctx, 120*time.Second, []string{"ERROR", "WARNING"}, "gst-launch-1.0", "playbin", "uri="+mv,
			"video-sink=fakesink", "audio-sink=fakesink")
	}
	if needTool(t, "mpv") != "" {
		play(t, ctx, 120*time.Second, []string{"error", "invalid", "failed"}, "mpv", "--no-config", "--vo=null", "--ao=null",
			"--untimed", "--ao-null-untimed", "--msg-level=all=warn", mv)
	}
	playHLSJS(t, ctx, base, mv)
	if needTool(t, "cvlc") != "" {
		// VLC refuses to run as root; it plays in real time. Its dummy
		// interface setup logs an error of its own (no hotkeys): ignored.
		args := []string{"--play-and-exit", "-I", "dummy", "--vout=dummy", "--aout=dummy", "--no-one-instance", mv, "vlc://quit"}
		name := "cvlc"
		if os.Geteuid() == 0 {
			name, args = "runuser", append([]string{"-u", "nobody", "--", "cvlc"}, args...)
		}
		play(t, ctx, 150*time.Second, []string{"demux error", "adaptive error", "decoder error", "input error", "packetizer error"}, name, args...)
	}
}

// checkVariantCodecs runs the checker rule "CODECS covers every segment"
// on every variant of a multivariant: each init its media playlists map
// (its AUDIO group's too) is fetched and parsed, and must be covered by
// the variant's CODECS and (video) have its RESOLUTION.
func checkVariantCodecs(t *testing.T, multivariant string) {
	t.Helper()
	body := string(mustGet(t, multivariant))
	groups := map[string][]string{} // AUDIO group -> rendition playlist URLs
	lines := strings.Split(body, "\n")
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "#EXT-X-MEDIA:"); ok {
			a, err := manifest.ParseAttributes(v)
			if err == nil && a["URI"] != "" {
				groups[a["GROUP-ID"]] = append(groups[a["GROUP-ID"]], resolveURL(t, multivariant, a["URI"]))
			}
		}
	}
	checked := 0
	for i, l := range lines {
		v, ok := strings.CutPrefix(l, "#EXT-X-STREAM-INF:")
		if !ok || i+1 >= len(lines) {
			continue
		}
		a, err := manifest.ParseAttributes(v)
		if err != nil {
			t.Fatal(err)
		}
		check := func(u, resolution string) {
			if err := hlscheck.CheckCodecs(a["CODECS"], resolution, mustGet(t, u), initLookup(t, u)); err != nil {
				t.Errorf("%s (variant %s): %v", u, lines[i+1], err)
			}
			checked++
		}
		check(resolveURL(t, multivariant, lines[i+1]), a["RESOLUTION"])
		for _, u := range groups[a["AUDIO"]] {
			check(u, "")
		}
	}
	t.Logf("%s: CODECS and RESOLUTION cover every init of %d playlists", multivariant, checked)
}

// initLookup fetches and parses the init segments a playlist maps.
func initLookup(t *testing.T, playlist string) hlscheck.InitLookup {
	return func(uri string) (hlscheck.InitInfo, error) {
		in, err := segments.ParseInit(mustGet(t, resolveURL(t, playlist, uri)))
		if err != nil {
			return hlscheck.InitInfo{}, err
		}
		var info hlscheck.InitInfo
		for _, tr := range in.Tracks {
			info.Codecs = append(info.Codecs, tr.Codec)
			if tr.Kind == segments.KindVideo {
				info.Width, info.Height = tr.Width, tr.Height
			}
		}
		return info, nil
	}
}

// playHLSJS plays the replay with hls.js in headless chromium to its end.
func playHLSJS(t *testing.T, ctx context.Context, base, playlist string) {
	t.Helper()
	chromium, web := needBrowser(t)
	pctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(pctx, "node", filepath.Join(web, "test", "vod.mjs"), base, playlist, "90")
	cmd.Env = append(cmd.Environ(), "CHROMIUM="+chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hls.js: %v\n%s", err, stderr.String())
	}
	var res struct {
		Ended              bool
		Duration, Position float64
		Fatal, Errors      []string
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		t.Fatalf("hls.js output %q: %v", out, err)
	}
	if !res.Ended || len(res.Fatal) > 0 || len(res.Errors) > 0 {
		t.Errorf("hls.js: ended %v at %.2f of %.2f s, fatal %v, errors %v", res.Ended, res.Position, res.Duration, res.Fatal, res.Errors)
		return
	}
	t.Logf("hls.js played the replay to its end (%.2f s)", res.Duration)
}
