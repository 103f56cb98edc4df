package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Options configures a Store.
type Options struct {
	Dir string // required: data directory (meta/ and blobs/ live below)
	// Retention is how long segment and staged blobs are kept (default 24h).
	// A bucket is dropped once its end is at least Retention in the past.
	Retention time.Duration
	// BucketSpan is the width of one blob bucket: whole seconds, at most
	// Retention. Default Retention/24 capped at 1h (1h for 24h retention).
	// Disk holds about Retention+BucketSpan of media.
	BucketSpan time.Duration
	// MaxOpenBuckets caps open bucket DBs, write buckets included (default 4,
	// minimum 2). Older buckets are opened lazily for reads and closed LRU.
	MaxOpenBuckets int
	// MinFreeBytes is the free space Dir's filesystem must keep: writes fail
	// with ErrDiskFull below it (default 512 MiB; negative disables).
	MinFreeBytes int64
	// Writeback is how often the value-log files of buckets written since
	// the last tick are queued for writing to disk, so Badger's flush when
	// it starts the next file does not stall commits (see writeback.go).
	// Default 100ms; negative: off. Linux only.
	Writeback time.Duration
	Logger    *slog.Logger     // default slog.Default(); Badger logs at warning and above
	Now       func() time.Time // injectable clock (default time.Now)
}

// Badger tuning. Blob buckets keep values in the value log (ValueThreshold far
// below the 50 KB smallest segment), do not compress media and cache little.
const (
	blobValueThreshold = 1 << 10
	blobMemTable       = 16 << 20
	blobVlogFile       = 64 << 20
	blobBlockCache     = 1 << 20
	metaValueThreshold = 1 << 20
	metaMemTable       = 16 << 20
	metaBlockCache     = 8 << 20
)

func (o Options) withDefaults() Options {
	if o.Retention == 0 {
		o.Retention = 24 * time.Hour
	}
	if o.BucketSpan == 0 {
		o.BucketSpan = min(time.Hour, max(time.Second, (o.Retention/24).Truncate(time.Second)))
	}
	if o.MaxOpenBuckets == 0 {
		o.MaxOpenBuckets = 4
	}
	if o.Writeback == 0 {
		o.Writeback = defaultWriteback
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = 512 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate names the first bad field.
func (o Options) Validate() error {
	switch {
	case o.Dir == "":
		return fmt.Errorf("store: Options.Dir is required")
	case o.BucketSpan < time.Second || o.BucketSpan%time.Second != 0:
		return fmt.Errorf("store: Options.BucketSpan %v must be whole seconds >= 1s", o.BucketSpan)
	case o.Retention < o.BucketSpan:
		return fmt.Errorf("store: Options.Retention %v is shorter than BucketSpan %v", o.Retention, o.BucketSpan)
	case o.MaxOpenBuckets < 2:
		return fmt.Errorf("store: Options.MaxOpenBuckets %d < 2", o.MaxOpenBuckets)
	}
	return nil
}

func metaOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithValueThreshold(metaValueThreshold).
		WithMemTableSize(metaMemTable).
		WithNumMemtables(2).
		WithBlockCacheSize(metaBlockCache).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2).
		WithMetricsEnabled(false).
		WithLogger(slogAdapter{log.With("db", "meta")})
}

func blobOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithValueThreshold(blobValueThreshold).
		WithCompression(options.None).
		WithMemTableSize(blobMemTable).
		WithNumMemtables(2).
		WithValueLogFileSize(blobVlogFile).
		WithBlockCacheSize(blobBlockCache).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2).
		WithMetricsEnabled(false).
		WithLogger(slogAdapter{log.With("db", dir)})
}

// slogAdapter forwards Badger warnings and errors to slog; info/debug are dropped.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Errorf(f string, args ...any)   { a.log(slog.LevelError, f, args) }
func (a slogAdapter) Warningf(f string, args ...any) { a.log(slog.LevelWarn, f, args) }
func (a slogAdapter) Infof(string, ...any)           {}
func (a slogAdapter) Debugf(string, ...any)          {}

func (a slogAdapter) log(level slog.Level, f string, args []any) {
	msg := strings.TrimSpace(fmt.Sprintf(f, args...))
	a.l.Log(context.Background(), level, "badger: "+msg)
}
