package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"hlsorigin/manifest"
	"hlsorigin/manifest/hlscheck"
)

// ladder follows every live media playlist of a channel like a player:
// each poll fetches the multivariant and all media playlists at once,
// checks each (hlscheck.CheckMedia) and all of them together
// (hlscheck.CheckVariant: same target duration, same discontinuities), and
// records every segment listed, downloading those of the renditions keep
// selects with their init.
type ladder struct {
	base, id string
	keep     func(rendition string) bool
	every    time.Duration // poll period (default 500 ms)

	mu    sync.Mutex
	segs  map[string]map[uint64]listed // rendition playlist URI -> seq -> segment
	inits map[string][]byte            // init URL -> bytes
	errs  []error
	polls int
}

// listed is one segment as a live playlist listed it.
type listed struct {
	seq      uint64
	uri      string
	disc     uint64 // its discontinuity sequence number
	pdt      time.Time
	duration float64
	data     []byte // downloaded when kept
	init     []byte
}

var discSeqLine = regexp.MustCompile(`(?m)^#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)`)

func newLadder(base, id string, keep func(string) bool) *ladder {
	return &ladder{base: base, id: id, keep: keep, segs: map[string]map[uint64]listed{}, inits: map[string][]byte{}}
}

func (l *ladder) run(ctx context.Context) {
	every := l.every
	if every == 0 {
		every = 500 * time.Millisecond
	}
	for ctx.Err() == nil {
		l.poll()
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
}

func (l *ladder) fail(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *ladder) poll() {
	mv, err := httpGet(l.base + "/live/" + l.id + "/index.m3u8")
	if err != nil {
		return // not live yet, or stopping
	}
	pls := map[string][]byte{}
	for _, m := range uriLine.FindAllSubmatch(mv, -1) {
		uri := string(m[1]) + string(m[2])
		body, err := httpGet(l.base + "/live/" + l.id + "/" + uri)
		if err != nil {
			l.fail(fmt.Errorf("GET %s: %w", uri, err))
			return
		}
		if err := hlscheck.CheckMedia(body); err != nil {
			l.fail(fmt.Errorf("%s: %w\n%s", uri, err, body))
		}
		pls[uri] = body
	}
	if len(pls) > 1 {
		if err := hlscheck.CheckVariant(pls, 100*time.Millisecond); err != nil {
			l.fail(fmt.Errorf("%w\n%s", err, joinPlaylists(pls)))
		}
	}
	for uri, body := range pls {
		l.record(uri, body)
	}
	l.mu.Lock()
	l.polls++
	l.mu.Unlock()
}

// record notes the segments of one media playlist.
func (l *ladder) record(uri string, body []byte) {
	pl, err := manifest.ParseIngest(body)
	if err != nil || pl.Media == nil {
		l.fail(fmt.Errorf("%s: %v", uri, err))
		return
	}
	disc := uint64(0)
	if m := discSeqLine.FindSubmatch(body); m != nil {
		disc, _ = strconv.ParseUint(string(m[1]), 10, 64)
	}
	dir := l.base + "/live/" + l.id + "/" + uri[:len(uri)-len("index.m3u8")]
	rend := uri[:len(uri)-len("/index.m3u8")]
	for i, sg := range pl.Media.Segments {
		if sg.Discontinuity {
			disc++
		}
		seq := pl.Media.MediaSequence + uint64(i)
		l.mu.Lock()
		if l.segs[uri] == nil {
			l.segs[uri] = map[uint64]listed{}
		}
		_, seen := l.segs[uri][seq]
		l.mu.Unlock()
		if seen {
			continue
		}
		ls := listed{seq: seq, uri: sg.URI, disc: disc, pdt: sg.PDT, duration: sg.Duration}
		if l.keep != nil && l.keep(rend) {
			if ls.data, err = httpGet(dir + sg.URI); err != nil {
				l.fail(fmt.Errorf("%s %s: %w", uri, sg.URI, err))
				continue
			}
			if ls.init, err = l.init(dir + sg.MapURI); err != nil {
				l.fail(fmt.Errorf("%s %s: %w", uri, sg.MapURI, err))
				continue
			}
		}
		l.mu.Lock()
		l.segs[uri][seq] = ls
		l.mu.Unlock()
	}
}

func (l *ladder) init(url string) ([]byte, error) {
	l.mu.Lock()
	b, ok := l.inits[url]
	l.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := httpGet(url)
	if err == nil {
		l.mu.Lock()
		l.inits[url] = b
		l.mu.Unlock()
	}
	return b, err
}

// timeline returns the segments listed for a rendition, by sequence number.
func (l *ladder) timeline(rend string) []listed {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []listed
	for _, s := range l.segs[rend+"/index.m3u8"] {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (l *ladder) errors() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// pdtGaps describes every place where a segment does not start where the
// one before it ended (program date time + duration, within tol), and every
// sequence number missing from the timeline.
func pdtGaps(segs []listed, tol time.Duration) []string {
	var out []string
	for i := 1; i < len(segs); i++ {
		a, b := segs[i-1], segs[i]
		if b.seq != a.seq+1 {
			out = append(out, fmt.Sprintf("segments %d..%d never listed", a.seq+1, b.seq-1))
			continue
		}
		want := a.pdt.Add(time.Duration(a.duration * float64(time.Second)))
		if d := b.pdt.Sub(want); d > tol || d < -tol {
			out = append(out, fmt.Sprintf("segment %d starts %v after segment %d ends", b.seq, d.Round(time.Millisecond), a.seq))
		}
	}
	return out
}

func joinPlaylists(pls map[string][]byte) string {
	s := ""
	for n, b := range pls {
		s += n + ":\n" + string(b) + "\n"
	}
	return s
}

// httpGet fetches a URL (usable from any goroutine) and wants a 200.
func httpGet(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return b, nil
}
