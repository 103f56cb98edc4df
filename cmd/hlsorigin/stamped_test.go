package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// stampedPublisher feeds ffmpeg raw gray frames at 30 fps, each carrying
// its capture time (the moment it is written to ffmpeg) as a barcode.
type stampedPublisher struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	done   chan error
	maxLag time.Duration // how far behind its capture time a frame reached ffmpeg (read after wait)
}

// stampedArgs encodes the piped frames plus a real-time sine and PUTs HLS.
func stampedArgs(seconds int, url, key, layout string, bframes bool) []string {
	args := []string{"-f", "rawvideo", "-pix_fmt", "gray", "-s", fmt.Sprintf("%dx%d", frameW, frameH), "-r", "30",
		"-thread_queue_size", "64", "-i", "pipe:0",
		"-re", "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", seconds)}
	bf := "0"
	if bframes {
		bf = "3"
	}
	enc := []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60",
		"-sc_threshold", "0", "-bf", bf, "-crf", "23", "-c:a", "aac", "-b:a", "64k"}
	if bframes {
		// also a 90 kHz video timescale, unlike the slate's 15360
		enc = append(enc, "-profile:v", "high", "-x264-params", "b-adapt=0", "-video_track_timescale", "90000")
	}
	hls := []string{"-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-hls_segment_type", "fmp4", "-method", "PUT",
		"-headers", "Authorization: Bearer " + key + "\r\n"}
	var maps []string
	switch layout {
	case "muxed":
		maps = []string{"-map", "0:v", "-map", "1:a"}
	case "abr":
		maps = []string{"-filter_complex", "[0:v]split=2[v0][v1];[v1]scale=320:180[v1o]",
			"-map", "[v0]", "-map", "[v1o]", "-map", "1:a", "-map", "1:a"}
		hls = append(hls, "-var_stream_map", "v:0,a:0 v:1,a:1", "-master_pl_name", "master.m3u8")
	case "demuxed":
		maps = []string{"-filter_complex", "[0:v]split=2[v0][v1];[v1]scale=320:180[v1o]",
			"-map", "[v0]", "-map", "[v1o]", "-map", "1:a"}
		hls = append(hls, "-var_stream_map", "a:0,agroup:aud v:0,agroup:aud v:1,agroup:aud", "-master_pl_name", "master.m3u8")
	}
	out := append(append(append(args, maps...), enc...), hls...)
	return append(out, url)
}

func startStamped(ctx context.Context, t *testing.T, seconds int, args []string) *stampedPublisher {
	t.Helper()
	p := &stampedPublisher{stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)...)
	p.cmd.Stderr = p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	go func() {
		// A camera: frame i is captured at start + i/30 on its own clock,
		// whatever the encoder downstream does. When ffmpeg falls behind
		// (a loaded machine), writes block and frames reach it late, but
		// their capture time stays the camera's; stamping the write time
		// instead would model a source whose clock runs ahead of its media
		// timestamps, which no capture device produces.
		frame := make([]byte, frameW*frameH)
		start := time.Now()
		for i := 0; i < seconds*30 && ctx.Err() == nil; i++ {
			captured := start.Add(time.Duration(i) * time.Second / 30)
			if d := time.Until(captured); d > 0 {
				time.Sleep(d)
			} else if -d > p.maxLag {
				p.maxLag = -d
			}
			encodeStamp(frame, captured.UnixMilli())
			if _, err := p.stdin.Write(frame); err != nil {
				break
			}
		}
		p.stdin.Close()
		p.done <- p.cmd.Wait()
	}()
	return p
}

func (p *stampedPublisher) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("publisher: %v\n%s", err, p.stderr.String())
		}
		if p.maxLag > 100*time.Millisecond {
			t.Logf("encoder backpressure: frames reached ffmpeg up to %v after capture", p.maxLag.Round(time.Millisecond))
		}
	case <-time.After(120 * time.Second):
		t.Errorf("publisher did not finish")
	}
}

// frameStamp is one decoded frame: its capture time, or slate (no stamp).
type frameStamp struct {
	ms    int64
	slate bool
}

// decodeStamps decodes the first video stream of input to gray frames and
// reads their barcodes. It stops at EOF or when ctx ends.
func decodeStamps(ctx context.Context, input string, extra ...string) ([]frameStamp, string, error) {
	args := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, extra...)
	args = append(args, "-i", input, "-map", "0:v:0", "-vf", fmt.Sprintf("scale=%d:%d,format=gray", frameW, frameH),
		"-fps_mode", "passthrough", "-f", "rawvideo", "-")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	var frames []frameStamp
	rd := bufio.NewReaderSize(out, 1<<20)
	buf := make([]byte, frameW*frameH)
	for {
		if _, err := io.ReadFull(rd, buf); err != nil {
			break
		}
		ms, ok := decodeStamp(buf)
		frames = append(frames, frameStamp{ms: ms, slate: !ok})
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		err = nil // stopped on purpose (a live stream never ends)
	}
	return frames, stderr.String(), err
}

// stampSummary describes frames for failure messages.
func stampSummary(frames []frameStamp) string {
	s := ""
	prevSlate := !frames[0].slate
	for i, f := range frames {
		if f.slate != prevSlate || i == len(frames)-1 {
			if f.slate {
				s += fmt.Sprintf(" [%d: slate]", i)
			} else {
				s += fmt.Sprintf(" [%d: %s]", i, time.UnixMilli(f.ms).Format("15:04:05.000"))
			}
			prevSlate = f.slate
		}
	}
	return s
}

var _ = sync.Mutex{}
var _ = strconv.Itoa
