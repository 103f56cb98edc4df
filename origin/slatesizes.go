package origin

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"hlsorigin/slate"
)

// slateSizer makes, off the live path, a variant of every slate at each
// video resolution a rendition uses, so a slate spliced into a rendition
// never changes the variant's resolution (the multivariant's RESOLUTION
// holds for every segment). It converts the slate's largest variant with
// ffmpeg (scaled and padded to the exact size, encoded in the bundled
// slates' shape), one conversion at a time; until a variant is ready, or
// without ffmpeg, the splice uses the nearest one. Conversions are the
// only use of ffmpeg by the server.
type slateSizer struct {
	mu      sync.Mutex
	queued  map[string]bool // "id WxH" queued, made or failed
	jobs    []sizeJob
	running bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	log     *slog.Logger
}

type sizeJob struct {
	id            string
	width, height int
}

func (z *slateSizer) init(log *slog.Logger) {
	z.queued = map[string]bool{}
	z.ctx, z.cancel = context.WithCancel(context.Background())
	z.log = log
}

// ensureSizes queues a variant at width x height of every slate in usable
// (nil: all) that has none, the default slate first. It never blocks.
func (s *slateSet) ensureSizes(width, height int, usable map[string]bool) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 || width > 4096 || height > 4096 {
		return
	}
	s.mu.RLock()
	var ids []string
	for id, vs := range s.byID {
		if (usable == nil || usable[id]) && !hasSize(vs, width, height) {
			ids = append(ids, id)
		}
	}
	s.mu.RUnlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] == DefaultSlateID || (ids[j] != DefaultSlateID && ids[i] < ids[j]) })
	z := &s.sizer
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.queued == nil || z.ctx.Err() != nil {
		return
	}
	for _, id := range ids {
		key := fmt.Sprintf("%s %dx%d", id, width, height)
		if !z.queued[key] {
			z.queued[key] = true
			z.jobs = append(z.jobs, sizeJob{id, width, height})
		}
	}
	if len(z.jobs) > 0 && !z.running {
		z.running = true
		z.wg.Add(1)
		go s.convertAll()
	}
}

func hasSize(vs []*slate.Slate, w, h int) bool {
	for _, v := range vs {
		if v.Width == w && v.Height == h {
			return true
		}
	}
	return false
}

// convertAll runs the queued conversions one by one until none is left.
func (s *slateSet) convertAll() {
	z := &s.sizer
	defer z.wg.Done()
	for {
		z.mu.Lock()
		if len(z.jobs) == 0 || z.ctx.Err() != nil {
			z.running = false
			z.mu.Unlock()
			return
		}
		j := z.jobs[0]
		z.jobs = z.jobs[1:]
		z.mu.Unlock()
		start := time.Now()
		err := s.convert(z.ctx, j)
		if err != nil && z.ctx.Err() == nil {
			z.log.Warn("slate variant not made: the nearest one is used", "slate", j.id, "width", j.width, "height", j.height, "err", err)
			continue
		}
		if err == nil {
			z.log.Info("slate variant made", "slate", j.id, "width", j.width, "height", j.height, "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

// sourceFor picks the variant to convert from: the smallest one at least
// as wide and high as the target (scaling down keeps the card sharp and
// decodes fewer pixels), else the largest.
func sourceFor(vs []*slate.Slate, w, h int) *slate.Slate {
	var best, largest *slate.Slate
	for _, v := range vs {
		if largest == nil || v.Width*v.Height > largest.Width*largest.Height {
			largest = v
		}
		if v.Width >= w && v.Height >= h && (best == nil || v.Width*v.Height < best.Width*best.Height) {
			best = v
		}
	}
	if best == nil {
		return largest
	}
	return best
}

// convert makes and installs one variant.
func (s *slateSet) convert(ctx context.Context, j sizeJob) error {
	s.mu.RLock()
	src := sourceFor(s.byID[j.id], j.width, j.height)
	s.mu.RUnlock()
	if src == nil {
		return fmt.Errorf("slate %s is gone", j.id)
	}
	in, err := src.File()
	if err != nil {
		return err
	}
	out, err := scaleSlate(ctx, in, j.width, j.height)
	if err != nil {
		return err
	}
	sl, err := slate.Load(fmt.Sprintf("%s_%dx%d", j.id, j.width, j.height), out)
	if err != nil {
		return err
	}
	if sl.Width != j.width || sl.Height != j.height {
		return fmt.Errorf("converted to %dx%d, want %dx%d", sl.Width, sl.Height, j.width, j.height)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs, ok := s.byID[j.id]; ok && !hasSize(vs, j.width, j.height) {
		s.byID[j.id] = append(append([]*slate.Slate(nil), vs...), sl)
	}
	return nil
}

// scaleSlate re-encodes a slate MP4 at width x height (aspect kept, padded
// with the card's edge colour), in the bundled slates' shape: H.264 Main,
// level 4.0 up to 1080p, 30 fps, one IDR then near-empty P-frames, no
// B-frames, one fragment.
func scaleSlate(ctx context.Context, in []byte, width, height int) ([]byte, error) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("ffmpeg not found: %w", err)
	}
	dir, err := os.MkdirTemp("", "hlsorigin-slate")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	src, dst := filepath.Join(dir, "in.mp4"), filepath.Join(dir, "out.mp4")
	if err := os.WriteFile(src, in, 0o600); err != nil {
		return nil, err
	}
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", src, "-an",
		"-vf", fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=0x1b2a41,setsar=1,format=yuv420p",
			width, height, width, height),
		"-c:v", "libx264", "-profile:v", "main", "-preset", "veryfast", "-crf", "30", "-r", "30",
		"-g", "300", "-keyint_min", "300", "-sc_threshold", "0", "-bf", "0", "-x264-params", "scenecut=0:open-gop=0",
		"-map_metadata", "-1", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "20000000"}
	if width*height <= 1920*1088 {
		args = append(args, "-level:v", "4.0")
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, ffmpeg, append(args, "-f", "mp4", dst)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return os.ReadFile(dst)
}

// stopSizing cancels conversions and waits for the worker.
func (s *slateSet) stopSizing() {
	z := &s.sizer
	z.mu.Lock()
	if z.cancel != nil {
		z.cancel()
	}
	z.mu.Unlock()
	z.wg.Wait()
}
