package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"hlsorigin/api"
	"hlsorigin/audience"
	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/origin/demo"
	"hlsorigin/slatelib"
)

// run starts the origin and serves until ctx ends; it is main without the
// process exit, so tests can drive it.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "slate" {
		return runSlate(ctx, args[1:], stdout)
	}
	cfg, err := parseConfig(args, stdout)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	o, err := origin.Open(origin.Config{DataDir: cfg.Data, Retention: cfg.Retention, TargetDuration: cfg.TargetDuration,
		WindowFactor: cfg.WindowFactor, MinFreeBytes: cfg.MinFreeBytes, ResumeMargin: resumeMargin(cfg.ResumeMargin),
		PublishDelay:      cfg.PublishDelay,
		SegmentCacheBytes: cfg.SegmentCache, HotBytes: cfg.HotBytes, InputLossAfter: cfg.InputLossAfter,
		EndAfter: endAfter(cfg.EndAfter), EncoderClock: cfg.EncoderClock, Logger: log}, origin.Hooks{})
	if err != nil {
		return err
	}
	defer o.Close() // last: after the server and the background work have stopped
	aud, err := audience.New(o)
	if err != nil {
		return fmt.Errorf("audience: %w", err)
	}
	defer aud.Close() // after the server, before the store: stops the open polls' writers
	aud.SetPollMaxDuration(cfg.PollMax)
	lib, err := slatelib.New(o)
	if err != nil {
		return fmt.Errorf("slate library: %w", err)
	}
	defer lib.Close() // after the server, before the store: stops slate conversions
	if err := cfg.Slates.apply(lib, log); err != nil {
		return err
	}
	admin := cfg.AdminToken
	if admin == "" {
		if admin, err = randomToken(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "admin token (random, pass -admin-token or -admin-token-file to fix it): %s\n", admin)
	}
	opt := api.Options{AdminToken: admin, Logger: log, Slates: lib, Audience: aud, ReplayMinRecording: cfg.ReplayMin}
	applyNetConfig(&opt, cfg, raiseNoFile(log))
	log.Info("connection limits", "max_conns", opt.MaxConns, "max_conns_per_ip", opt.MaxConnsPerIP,
		"read_timeout", opt.ReadTimeout, "idle_timeout", opt.IdleTimeout, "trusted_proxies", cfg.TrustedProxies)
	if !cfg.RateLimits { // load tests from one address: no per-address limits
		opt.RateLimits = api.NoRateLimits()
		opt.MaxVotersPerIP = -1
	}
	srv, err := api.New(o, opt)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", cfg.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	if cfg.Slates.PublicURL == "" {
		lib.SetPublicURL(base)
	}
	fmt.Fprintf(stdout, "hlsorigin listening on %s (data in %s)\n", base, cfg.Data)
	ctx, cancel := context.WithCancel(ctx)
	var bg sync.WaitGroup // maintenance and the demo publisher use the store: wait for them before closing it
	defer bg.Wait()
	defer cancel()
	bg.Go(func() { o.RunMaintenance(ctx, time.Minute) })
	if cfg.Demo {
		if err := startDemo(ctx, o, base, stdout, log, &bg); err != nil {
			return err
		}
	}
	return serve(ctx, srv, ln, log, cfg.ShutdownTimeout)
}

// serve answers requests until ctx ends (SIGTERM, SIGINT), then shuts down
// gracefully: the listener closes at once, idle keep-alive connections are
// closed, requests in flight (a segment PUT still receiving its body, a
// replay download) get up to timeout to finish. The caller then closes
// the store, which syncs it.
func serve(ctx context.Context, srv *api.Server, ln net.Listener, log *slog.Logger, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", timeout)
	if err := srv.Shutdown(timeout); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shutdown: requests still in flight after -shutdown-timeout %v are cut off", timeout)
		}
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// startDemo creates channel "demo" (or rotates its credentials) and
// publishes the bundled muxed fixture on a loop.
func startDemo(ctx context.Context, o *origin.Origin, base string, stdout io.Writer, log *slog.Logger, bg *sync.WaitGroup) error {
	ch, cr, err := o.CreateChannel("demo", "hlsorigin demo")
	if errors.Is(err, origin.ErrExists) {
		ch, _ = o.Channel("demo")
		cr, err = ch.RotateCredentials()
	}
	if err != nil {
		return fmt.Errorf("demo channel: %w", err)
	}
	pub, err := demo.New(fixtures.Muxed(), "demo")
	if err != nil {
		return err
	}
	bg.Go(func() {
		if err := pub.Run(ctx, ch, 0); err != nil && ctx.Err() == nil {
			log.Error("demo publisher stopped", "err", err)
		}
	})
	fmt.Fprintf(stdout, `demo channel publishing on a loop:
  live playlist : %[1]s/live/demo/index.m3u8
  channel state : %[1]s/api/v1/channels/demo
  metrics       : %[1]s/metrics
  play it       : ffplay %[1]s/live/demo/index.m3u8
  viewer page   : %[1]s/watch/demo
  host console  : %[1]s/host/demo#token=%[3]s
  stream key    : %[2]s
  host token    : %[3]s
publish your own stream (after creating a channel with the admin token):
  ffmpeg -re -i input.mp4 -c:v libx264 -g 60 -c:a aac -f hls -hls_time 2 -hls_segment_type fmp4 \
    -method PUT -headers "Authorization: Bearer <stream_key>" %[1]s/ingest/<channel>/index.m3u8
`, base, cr.StreamKey, cr.HostToken)
	return nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// endAfter maps the flag to origin.Config: 0 on the command line means
// never (the config's zero value means the default).
func endAfter(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// resumeMargin maps the flag to origin.Config: 0 on the command line means
// none (the config's zero value means the default).
func resumeMargin(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
