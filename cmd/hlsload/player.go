package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// playhead models a player's forward buffer: media is added as segments
// arrive, played out in real time once enough is buffered, and a stall
// starts whenever the buffer runs dry while playing. Playback (re)starts
// when StartBuffer seconds are buffered.
type playhead struct {
	StartBuffer float64 // seconds needed to start or resume playback

	buffered float64 // seconds of media ahead of the playhead at last
	last     time.Time
	created  time.Time
	playing  bool
	started  bool
	stallAt  time.Time

	Stalls    int           // times the buffer ran dry after playback started
	StallTime time.Duration // total time spent stalled (closed stalls and the open one at finish)
	Startup   time.Duration // time from tune-in to first playback (0 if never started)
	Played    float64       // seconds of media played
}

func newPlayhead(start float64, now time.Time) *playhead {
	return &playhead{StartBuffer: start, last: now, created: now}
}

// advance plays the buffer out up to now.
func (p *playhead) advance(now time.Time) {
	if now.Before(p.last) {
		return
	}
	el := now.Sub(p.last).Seconds()
	if p.playing {
		if el >= p.buffered {
			p.stallAt = p.last.Add(time.Duration(p.buffered * float64(time.Second)))
			p.Played += p.buffered
			p.buffered = 0
			p.playing = false
			p.Stalls++
		} else {
			p.buffered -= el
			p.Played += el
		}
	}
	p.last = now
}

// add appends d seconds of media that arrived at now.
func (p *playhead) add(now time.Time, d float64) {
	p.advance(now)
	p.buffered += d
	if !p.playing && p.buffered >= p.StartBuffer {
		p.playing = true
		if p.started {
			p.StallTime += now.Sub(p.stallAt)
		} else {
			p.started = true
			p.Startup = now.Sub(p.created)
		}
	}
}

// finish closes the model at now (an open stall counts up to now).
func (p *playhead) finish(now time.Time) {
	p.advance(now)
	if p.started && !p.playing {
		p.StallTime += now.Sub(p.stallAt)
		p.stallAt = now
	}
}

// Buffered is the media buffered ahead of the playhead.
func (p *playhead) Buffered() float64 { return p.buffered }

// reload is one playlist load as the player scheduled it (tests read them).
type reload struct {
	At      time.Time
	Changed bool          // the playlist differed from the previous load
	Wait    time.Duration // the wait scheduled before the next load, from At
	OK      bool
}

// viewer follows one live stream like a player: RFC 8216 6.3.4 reload
// timing (target duration after a changed playlist, half of it when
// unchanged, measured from the start of the previous load), each new
// segment fetched once in order, a playhead model for stalls.
type viewer struct {
	url       string // multivariant or media playlist
	pick      string // rendition choice: first, lowest, highest
	client    *http.Client
	st        *stats
	startEdge float64 // tune in this many target durations from the live edge (RFC 8216 6.3.3: >= 3)

	ph         *playhead
	reloads    []reload
	lastSeq    uint64
	haveSeq    bool
	curMap     string
	prev       []byte
	buf        bytes.Buffer
	lastTarget float64
	Skipped    int // segments that left the window before this viewer fetched them
}

func newViewer(u, pick string, client *http.Client, st *stats) *viewer {
	return &viewer{url: u, pick: pick, client: client, st: st, startEdge: 3}
}

var errStatus = errors.New("http status")

// get fetches u, records its latency and status under kind, and returns
// the body when keep is set (else counts and discards it).
func (v *viewer) get(ctx context.Context, kind reqKind, u string, keep bool) ([]byte, error) {
	if !v.st.take() {
		return nil, errLimit
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	resp, err := v.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			v.st.transportError(kind)
		}
		return nil, err
	}
	ttfb := time.Since(t0)
	var n int64
	if keep {
		v.buf.Reset()
		n, err = v.buf.ReadFrom(resp.Body)
	} else {
		n, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	total := time.Since(t0)
	if err != nil {
		if ctx.Err() == nil {
			v.st.transportError(kind)
		}
		return nil, err
	}
	v.st.record(kind, resp.StatusCode, ttfb, total, n)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d: %w", u, resp.StatusCode, errStatus)
	}
	if keep {
		return v.buf.Bytes(), nil
	}
	return nil, nil
}

// resolveMedia returns the media playlist URL: v.url itself, or the
// variant picked from it when it is a multivariant playlist.
func (v *viewer) resolveMedia(ctx context.Context) (string, error) {
	b, err := v.get(ctx, kindPlaylist, v.url, true)
	if err != nil {
		return "", err
	}
	base, _ := url.Parse(v.url)
	vars, _, err := parsePlaylist(b, base)
	if err != nil {
		return "", err
	}
	if vars == nil {
		return v.url, nil
	}
	return pickVariant(vars, v.pick), nil
}

func pickVariant(vars []variant, how string) string {
	switch how {
	case "lowest", "highest":
		s := append([]variant(nil), vars...)
		sort.SliceStable(s, func(i, j int) bool { return s[i].Bandwidth < s[j].Bandwidth })
		if how == "lowest" {
			return s[0].URI
		}
		return s[len(s)-1].URI
	}
	return vars[0].URI
}

// run follows the stream until ctx ends or the playlist ends.
func (v *viewer) run(ctx context.Context) {
	v.ph = newPlayhead(1, time.Now())
	defer func() { v.ph.finish(time.Now()); v.st.viewerDone(v) }()
	var media string
	for media == "" {
		m, err := v.resolveMedia(ctx)
		if err == nil {
			media = m
			break
		}
		if errors.Is(err, errLimit) || sleepCtx(ctx, time.Second) != nil {
			return
		}
	}
	base, _ := url.Parse(media)
	for {
		start := time.Now()
		wait, ended, err := v.load(ctx, media, base, start)
		v.ph.advance(time.Now())
		if ended || errors.Is(err, errLimit) || ctx.Err() != nil {
			return
		}
		if sleepCtx(ctx, time.Until(start.Add(wait))) != nil {
			return
		}
		v.ph.advance(time.Now())
	}
}

// load loads the media playlist once, fetches the segments new since the
// previous load, and returns the wait before the next load.
func (v *viewer) load(ctx context.Context, media string, base *url.URL, start time.Time) (time.Duration, bool, error) {
	rl := reload{At: start, Wait: time.Second}
	defer func() { v.reloads = append(v.reloads, rl) }()
	b, err := v.get(ctx, kindPlaylist, media, true)
	if err != nil {
		if d := v.targetWait(0.5); d > 0 {
			rl.Wait = d
		}
		return rl.Wait, false, err
	}
	_, mp, err := parsePlaylist(b, base)
	if err != nil || mp == nil {
		v.st.badPlaylist()
		rl.Wait = v.targetWait(0.5)
		return rl.Wait, false, fmt.Errorf("media playlist %s: %v", media, err)
	}
	rl.OK = true
	rl.Changed = !bytes.Equal(b, v.prev)
	v.prev = append(v.prev[:0], b...)
	target := time.Duration(mp.Target * float64(time.Second))
	rl.Wait = target
	if !rl.Changed {
		rl.Wait = target / 2
	}
	for _, s := range v.newSegments(mp) {
		if s.MapURI != "" && s.MapURI != v.curMap {
			if _, err := v.get(ctx, kindInit, s.MapURI, false); err != nil {
				if errors.Is(err, errLimit) {
					return rl.Wait, false, err
				}
				continue // a player cannot decode without it: the media is lost
			}
			v.curMap = s.MapURI
		}
		_, err := v.get(ctx, kindSegment, s.URI, false)
		v.lastSeq, v.haveSeq = s.Seq, true
		if errors.Is(err, errLimit) || ctx.Err() != nil {
			return rl.Wait, false, err
		}
		if err == nil {
			v.ph.add(time.Now(), s.Duration)
		}
	}
	v.lastTarget = mp.Target
	return rl.Wait, mp.Ended, nil
}

func (v *viewer) targetWait(f float64) time.Duration {
	if v.lastTarget <= 0 {
		return time.Second
	}
	return time.Duration(v.lastTarget * f * float64(time.Second))
}

// newSegments returns the segments to fetch: on tune-in those starting at
// least startEdge target durations before the end; later, every segment
// after the last one fetched (counting the ones that already left the
// window as skipped).
func (v *viewer) newSegments(mp *mediaPlaylist) []mediaSegment {
	segs := mp.Segments
	if len(segs) == 0 {
		return nil
	}
	if !v.haveSeq {
		i, acc := len(segs)-1, 0.0
		for ; i > 0; i-- {
			acc += segs[i].Duration
			if acc >= v.startEdge*mp.Target {
				break
			}
		}
		return segs[i:]
	}
	if segs[0].Seq > v.lastSeq+1 {
		v.Skipped += int(segs[0].Seq - v.lastSeq - 1)
	}
	for i, s := range segs {
		if s.Seq > v.lastSeq {
			return segs[i:]
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
