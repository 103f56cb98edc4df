// Package demo publishes a bundled fixture rendition on a loop into a
// channel, the way an encoder would (init, segments, playlists), with every
// loop's timestamps shifted by mp4ff so the timeline is continuous. No
// ffmpeg is needed.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/segments"
)

// Ingester is what the demo publishes into (origin.Channel satisfies it).
type Ingester interface {
	Ingest(name string, body []byte) error
}

// Publisher loops one rendition.
type Publisher struct {
	src       fixtures.Rendition
	init      *segments.Init
	loopDur   map[uint32]int64 // per track: total duration of one loop (timescale)
	durations []time.Duration
	stem      string
	// Sleep waits between segments; tests replace it. Default: real time.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New prepares a publisher for src; stem names the rendition ("demo").
func New(src fixtures.Rendition, stem string) (*Publisher, error) {
	in, err := segments.ParseInit(src.Init)
	if err != nil {
		return nil, fmt.Errorf("demo init: %w", err)
	}
	p := &Publisher{src: src, init: in, loopDur: map[uint32]int64{}, stem: stem, Sleep: sleep}
	for i, b := range src.Segments {
		seg, err := segments.ParseSegment(b, in)
		if err != nil {
			return nil, fmt.Errorf("demo segment %d: %w", i, err)
		}
		for _, t := range seg.Tracks {
			p.loopDur[t.TrackID] += int64(t.Duration)
		}
		p.durations = append(p.durations, time.Duration(seg.Duration*float64(time.Second)))
	}
	return p, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Run publishes until ctx ends or n segments were sent (n <= 0: forever).
// The first loop is sent at once so players have a window immediately.
func (p *Publisher) Run(ctx context.Context, dst Ingester, n int) error {
	initName := p.stem + "_init.mp4"
	if err := dst.Ingest(initName, p.src.Init); err != nil {
		return fmt.Errorf("demo init: %w", err)
	}
	var names []string
	for k := 0; n <= 0 || k < n; k++ {
		loop, i := k/len(p.src.Segments), k%len(p.src.Segments)
		body, err := segments.Retime(p.src.Segments[i], p.init, p.offsets(loop))
		if err != nil {
			return fmt.Errorf("demo retime: %w", err)
		}
		name := fmt.Sprintf("%s%d.m4s", p.stem, k)
		if err := dst.Ingest(name, body); err != nil {
			return fmt.Errorf("demo segment %s: %w", name, err)
		}
		names = append(names, name)
		if len(names) > 6 {
			names = names[1:]
		}
		if err := dst.Ingest(p.stem+".m3u8", p.playlist(initName, names, k)); err != nil {
			return fmt.Errorf("demo playlist: %w", err)
		}
		if k >= len(p.src.Segments)-1 {
			if err := p.Sleep(ctx, p.durations[i]); err != nil {
				return nil
			}
		}
	}
	return nil
}

func (p *Publisher) offsets(loop int) map[uint32]int64 {
	off := make(map[uint32]int64, len(p.loopDur))
	for id, d := range p.loopDur {
		off[id] = int64(loop) * d
	}
	return off
}

// playlist is the media playlist an encoder would PUT after segment k.
func (p *Publisher) playlist(initName string, names []string, k int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n",
		2, k+1-len(names))
	fmt.Fprintf(&b, "#EXT-X-MAP:URI=%q\n", initName)
	for j, n := range names {
		d := p.durations[(k+1-len(names)+j)%len(p.durations)]
		fmt.Fprintf(&b, "#EXTINF:%.6f,\n%s\n", d.Seconds(), n)
	}
	return []byte(b.String())
}
