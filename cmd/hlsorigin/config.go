package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"hlsorigin/api"
	"hlsorigin/origin"
)

// config is layered: defaults -> flags -> HLSORIGIN_* environment
// (environment wins only for flags not given on the command line).
type config struct {
	Addr           string        // listen address; default 127.0.0.1:8080
	Data           string        // data directory; default ./data
	AdminToken     string        // admin bearer token (>= 32 characters); default: random, printed at start
	AdminTokenFile string        // file holding the admin token (first line), instead of -admin-token
	Demo           bool          // create channel "demo" and publish the bundled fixture on a loop
	PollMax        time.Duration // close a pause's audience poll after this long; default 0 = on resume
	Retention      time.Duration // archive retention; default 24h
	TargetDuration int           // fixed target duration (s); default 0 = from the first segment
	WindowFactor   float64       // live window in target durations; default 4
	LogLevel       string        // debug|info|warn|error; default info
	ReplayMin      time.Duration // replays cut pauses only from recordings at least this long; default 0
	ResumeMargin   time.Duration // extra slate after a resume, covering unseen encoder latency
	Slates         slateFlags
	MinFreeBytes   int64         // free space to keep on the data disk; ingest answers 507 below it
	RateLimits     bool          // per-client-IP rate limits on API writes; default on
	SegmentCache   int64         // bytes of archive segments kept in memory; negative: off
	HotBytes       int64         // bytes of the newest segments kept in memory across renditions; negative: no bound
	MaxConns       int           // open connections in total; 0: 3/4 of the open-file limit; negative: no cap
	MaxConnsPerIP  int           // open connections per client address (IPv6 /64); <= 0: no cap
	ReadTimeout    time.Duration // reading a request, body included (chunked ingest streams a segment while it encodes)
	WriteTimeout   time.Duration // writing an answer
	IdleTimeout    time.Duration // keep-alive connection without a request
	TrustedProxies string        // CIDR[,CIDR...] whose X-Forwarded-For/Forwarded name the client; default none
	PublishDelay   time.Duration // list (and serve) segments this long after they arrive; default 0
	AllowedOrigins string        // sites (scheme://host[:port],...) that may use the viewer writes cross-site; default none
	MaxJSONBytes   int           // JSON API body limit; default 8 KiB
	MaxStreams     int           // open event streams in total; default 5,000
	MaxStreamsIP   int           // open event streams per client address; default 32
	MaxReplayBytes int           // Last-Event-ID replay bound; default 64 KiB
	MaxVotersIP    int           // viewers voting from one address per poll; default 20, negative: no cap
	InputLossAfter time.Duration // input lost this long after the next segment was due: generated slate; 0 = 1.5 x target
	EndAfter       time.Duration // input lost this long: the session ends (EXT-X-ENDLIST); 0 = never
	EncoderClock   bool          // trust the encoder's program date time / prft as capture time (exact cut)
	// ShutdownTimeout bounds how long SIGTERM/SIGINT waits for requests in
	// flight before the store is closed; default 15s.
	ShutdownTimeout time.Duration
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hlsorigin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.Data, "data", "./data", "data directory (Badger)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "admin bearer token, at least 32 characters (default: random, printed at start)")
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", "", "read the admin token from this file's first line (keeps it out of the process list)")
	fs.BoolVar(&c.Demo, "demo", false, "create channel demo and publish the bundled fixture on a loop")
	fs.DurationVar(&c.PollMax, "poll-max-duration", 0, "close a pause's audience poll after this long (0: when the host resumes)")
	fs.DurationVar(&c.Retention, "retention", 24*time.Hour, "archive retention")
	fs.IntVar(&c.TargetDuration, "target-duration", 0, "fixed EXT-X-TARGETDURATION in seconds (0: from the first segment)")
	fs.Float64Var(&c.WindowFactor, "window-factor", 4, "live window length in target durations (>= 3)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.ResumeMargin, "resume-margin", origin.DefaultResumeMargin, "host video returns this much after the mapped resume instant (covers encoder latency the origin cannot see; 0 or negative: none)")
	fs.DurationVar(&c.PublishDelay, "publish-delay", 0, "list and serve live segments this long after they arrive, so a pause back-dated within it hides everything from its at (per channel: PATCH publish_delay)")
	fs.DurationVar(&c.ReplayMin, "replay-min-recording", 0, "leave pauses out of replays only for recordings at least this long")
	c.Slates.register(fs)
	fs.BoolVar(&c.RateLimits, "rate-limits", true, "per-client-address limits: rate limits on channel creation, pause/resume, rotation, viewer tokens, chat, poll votes and failed authentication, and -max-voters-per-ip (false: all off, for load tests from one address)")
	fs.Int64Var(&c.HotBytes, "hot-bytes", 1<<30, "memory for the newest segments of every rendition (the live edge), oldest out first; older ones come from the store (negative: no bound)")
	fs.Int64Var(&c.SegmentCache, "segment-cache-bytes", 256<<20, "memory for archive segments read back from the store (behind the live edge, replays), least recently used out (negative: off)")
	fs.Int64Var(&c.MinFreeBytes, "min-free-bytes", 512<<20, "free space to keep on the data disk: ingest answers 507 below it (negative: off)")
	fs.IntVar(&c.MaxConns, "max-conns", 0, "open connections in total; over it a connection gets 503 and is closed (0: 3/4 of the open-file limit; negative: no cap)")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", 512, "open connections per client address, IPv6 per /64, trusted proxies exempt (0: no cap)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 60*time.Second, "time to read a request with its body; must exceed a segment's duration (ffmpeg streams a segment while it encodes it)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 60*time.Second, "time to write an answer (event streams renew it per event)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "keep-alive connections idle this long are closed")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "CIDR[,CIDR...] of proxies whose X-Forwarded-For (or Forwarded) names the client: the right-most address not in these ranges is the client (default none: the TCP peer)")
	fs.StringVar(&c.AllowedOrigins, "allowed-origins", "", "sites (https://example.com,...) whose pages may take viewer tokens, chat and vote through CORS (default none: only the origin's own pages)")
	fs.IntVar(&c.MaxJSONBytes, "max-json-bytes", api.DefaultMaxJSONBytes, "body limit of JSON API requests, enforced while reading (ingest and slate uploads have their own)")
	fs.IntVar(&c.MaxStreams, "max-event-streams", api.DefaultMaxEventStreams, "open event streams (SSE) in total; over it 503")
	fs.IntVar(&c.MaxStreamsIP, "max-event-streams-per-ip", api.DefaultMaxEventStreamsPerIP, "open event streams per client address (IPv6 /64); over it 429")
	fs.IntVar(&c.MaxReplayBytes, "max-replay-bytes", api.DefaultMaxReplayBytes, "bytes of events replayed to a client reconnecting with Last-Event-ID (newest kept; a sync event stands for the rest)")
	fs.IntVar(&c.MaxVotersIP, "max-voters-per-ip", api.DefaultMaxVotersPerIP, "viewers that may vote from one client address (IPv6 /64) in one poll (negative: no cap)")
	fs.DurationVar(&c.InputLossAfter, "input-loss-after", 0, "when no segment arrived this long after the next one was due, the origin appends reconnecting slate segments itself (0: 1.5 x the target duration)")
	fs.DurationVar(&c.EndAfter, "end-after", 10*time.Minute, "end the session (EXT-X-ENDLIST in every live playlist) after this long without host media (0: never)")
	fs.BoolVar(&c.EncoderClock, "encoder-clock", false, "trust the encoder's EXT-X-PROGRAM-DATE-TIME / prft as the capture time of its frames: cut on the frame of the pause instant, host video back at the first keyframe after the resume, no margins (ffmpeg's runs ahead of capture by its encoder latency: see README)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "on SIGTERM/SIGINT, how long requests in flight may take to finish")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		env := "HLSORIGIN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !set[f.Name] {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %v", env, v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := c.loadAdminTokenFile(); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate names the bad flag.
func (c config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("-addr %q: %v", c.Addr, err)
	}
	if c.Data == "" {
		return fmt.Errorf("-data: must not be empty")
	}
	if c.PollMax < 0 {
		return fmt.Errorf("-poll-max-duration %s: must not be negative", c.PollMax)
	}
	if c.InputLossAfter < 0 {
		return fmt.Errorf("-input-loss-after %v: must not be negative", c.InputLossAfter)
	}
	if c.EndAfter < 0 {
		return fmt.Errorf("-end-after %v: must not be negative (0: never)", c.EndAfter)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("-shutdown-timeout %v: must be > 0", c.ShutdownTimeout)
	}
	for name, d := range map[string]time.Duration{"-read-timeout": c.ReadTimeout, "-write-timeout": c.WriteTimeout, "-idle-timeout": c.IdleTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s %v: must be > 0", name, d)
		}
	}
	if _, err := api.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("-trusted-proxies: %v", err)
	}
	if c.PublishDelay < 0 || c.PublishDelay > origin.MaxPublishDelay {
		return fmt.Errorf("-publish-delay %s: 0 to %s", c.PublishDelay, origin.MaxPublishDelay)
	}
	if err := c.checkAdminToken(); err != nil {
		return err
	}
	if _, err := parseOrigins(c.AllowedOrigins); err != nil {
		return fmt.Errorf("-allowed-origins: %v", err)
	}
	for name, v := range map[string]int{"-max-json-bytes": c.MaxJSONBytes, "-max-event-streams": c.MaxStreams,
		"-max-event-streams-per-ip": c.MaxStreamsIP, "-max-replay-bytes": c.MaxReplayBytes} {
		if v <= 0 {
			return fmt.Errorf("%s %d: must be > 0", name, v)
		}
	}
	if c.MaxVotersIP == 0 {
		return fmt.Errorf("-max-voters-per-ip 0: a number > 0, or negative for no cap")
	}
	if c.WindowFactor < 3 {
		return fmt.Errorf("-window-factor %s: must be >= 3", strconv.FormatFloat(c.WindowFactor, 'f', -1, 64))
	}
	if err := c.Slates.validate(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("-log-level %q: debug, info, warn or error", c.LogLevel)
	}
	return nil
}
