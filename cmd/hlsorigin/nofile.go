package main

import (
	"log/slog"
	"syscall"

	"hlsorigin/api"
)

// raiseNoFile raises the soft open-file limit to the hard limit (every
// connection, Badger table and value log file holds a descriptor) and
// returns the limit now in force (0 if unknown).
func raiseNoFile(log *slog.Logger) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		log.Warn("open-file limit unknown", "err", err)
		return 0
	}
	if rl.Cur < rl.Max {
		old := rl.Cur
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			log.Warn("could not raise the open-file limit", "soft", old, "hard", rl.Max, "err", err)
			return old
		}
		log.Info("open-file limit raised to the hard limit", "from", old, "to", rl.Cur)
		return rl.Cur
	}
	log.Info("open-file limit", "soft", rl.Cur, "hard", rl.Max)
	return rl.Cur
}

// connReserve is the descriptors kept out of the automatic connection cap
// for the store, the data directory and the process itself.
const connReserve = 256

// autoMaxConns is the connection cap of -max-conns 0: 3/4 of the open-file
// limit, keeping at least connReserve descriptors free (at least 16).
func autoMaxConns(nofile uint64) int {
	if nofile == 0 {
		return 0 // unknown: no cap; accept still survives EMFILE
	}
	n := min(nofile*3/4, nofile-min(nofile, connReserve))
	return int(max(n, 16))
}

// applyNetConfig sets the connection, body, event-stream and vote limits,
// the timeouts, trusted proxies and CORS sites of the server from the
// (validated) flags.
func applyNetConfig(opt *api.Options, cfg config, nofile uint64) {
	opt.ReadTimeout, opt.WriteTimeout, opt.IdleTimeout = cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout
	opt.TrustedProxies, _ = api.ParseTrustedProxies(cfg.TrustedProxies)
	switch {
	case cfg.MaxConns > 0:
		opt.MaxConns = cfg.MaxConns
	case cfg.MaxConns == 0:
		opt.MaxConns = autoMaxConns(nofile)
	}
	opt.MaxConnsPerIP = max(0, cfg.MaxConnsPerIP)
	opt.AllowedOrigins, _ = parseOrigins(cfg.AllowedOrigins)
	opt.MaxJSONBytes, opt.MaxVotersPerIP = cfg.MaxJSONBytes, cfg.MaxVotersIP
	opt.MaxEventStreams, opt.MaxEventStreamsPerIP, opt.MaxReplayBytes = cfg.MaxStreams, cfg.MaxStreamsIP, cfg.MaxReplayBytes
}
