package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

const trashPrefix = ".trash-"

// bucketSet owns the blob bucket DBs. One mutex + cond guards the map; a
// bucket is used only while its refs > 0 and is closed only at refs == 0
// (LRU eviction, Prune, Close). Users waiting for a closing bucket wait on
// its gone channel, so two Badger handles never share a directory.
type bucketSet struct {
	dir  string
	span int64 // seconds
	max  int
	now  func() time.Time
	log  *slog.Logger

	mu    sync.Mutex
	cond  *sync.Cond
	m     map[int64]*bucket
	floor int64 // buckets starting before floor were pruned
	tick  uint64
}

type bucket struct {
	start   int64
	ready   chan struct{} // closed once db/err are set
	db      *badger.DB
	err     error
	refs    int
	lastUse uint64
	gone    chan struct{} // non-nil while closing; closed when closed

	written  atomic.Int64 // bytes committed since the last writeback tick
	vlog     uint32       // newest value-log file id seen (writeback goroutine only)
	wbWarned bool         // writeback goroutine only
}

func newBucketSet(dir string, o Options) *bucketSet {
	bs := &bucketSet{dir: dir, span: int64(o.BucketSpan / time.Second), max: o.MaxOpenBuckets,
		now: o.Now, log: o.Logger, m: map[int64]*bucket{}}
	bs.cond = sync.NewCond(&bs.mu)
	return bs
}

// startOf is the start (unix seconds) of the bucket containing t.
func (bs *bucketSet) startOf(t time.Time) int64 {
	u := t.Unix()
	r := u % bs.span
	if r < 0 {
		r += bs.span
	}
	return u - r
}

func (bs *bucketSet) path(start int64) string {
	return filepath.Join(bs.dir, strconv.FormatInt(start, 10))
}

// writable: the current bucket and the previous one (overlap) take writes.
func (bs *bucketSet) writable(start int64) bool {
	cur := bs.startOf(bs.now())
	return start == cur || start == cur-bs.span
}

// writeTarget is the bucket for a blob stamped at: its own bucket when it is
// writable, else the current one (late or early stamps, e.g. encoder clocks).
func (bs *bucketSet) writeTarget(at time.Time) (int64, error) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.startOf(at)
	if bs.writable(b) && b >= bs.floor {
		return b, nil
	}
	if cur := bs.startOf(bs.now()); cur >= bs.floor {
		return cur, nil
	}
	return 0, fmt.Errorf("store: current bucket already pruned (clock went backwards?)")
}

// acquire returns bucket start with a reference held; create opens a missing
// bucket directory, otherwise a missing bucket is ErrNotFound.
func (bs *bucketSet) acquire(start int64, create bool) (*bucket, error) {
	for {
		bs.mu.Lock()
		if start < bs.floor {
			bs.mu.Unlock()
			return nil, fmt.Errorf("bucket %d pruned: %w", start, ErrNotFound)
		}
		b := bs.m[start]
		if b != nil && b.gone != nil {
			gone := b.gone
			bs.mu.Unlock()
			<-gone
			continue
		}
		if b == nil {
			return bs.openLocked(start, create)
		}
		b.refs++
		bs.tick++
		b.lastUse = bs.tick
		bs.mu.Unlock()
		<-b.ready
		if b.err != nil {
			bs.release(b)
			return nil, b.err
		}
		return b, nil
	}
}

// openLocked is called with mu held and returns with it released.
func (bs *bucketSet) openLocked(start int64, create bool) (*bucket, error) {
	if _, err := os.Stat(bs.path(start)); !create && errors.Is(err, fs.ErrNotExist) {
		bs.mu.Unlock()
		return nil, fmt.Errorf("bucket %d missing: %w", start, ErrNotFound)
	}
	bs.tick++
	b := &bucket{start: start, ready: make(chan struct{}), refs: 1, lastUse: bs.tick}
	bs.m[start] = b
	bs.mu.Unlock()
	db, err := badger.Open(blobOptions(bs.path(start), bs.log))
	bs.mu.Lock()
	b.db, b.err = db, wrap(fmt.Sprintf("open bucket %d", start), err)
	if err != nil {
		delete(bs.m, start)
	}
	close(b.ready)
	bs.mu.Unlock()
	if err != nil {
		bs.release(b)
		return nil, b.err
	}
	return b, nil
}

// release drops a reference and closes least recently used read buckets
// beyond max. It never holds a bucket reference while closing another.
func (bs *bucketSet) release(b *bucket) {
	bs.mu.Lock()
	b.refs--
	if b.refs == 0 {
		bs.cond.Broadcast()
	}
	victims := bs.victimsLocked()
	bs.mu.Unlock()
	for _, v := range victims {
		bs.finishClose(v)
	}
}

// victimsLocked marks idle, non-writable buckets as closing, LRU first.
func (bs *bucketSet) victimsLocked() []*bucket {
	var out []*bucket
	for bs.openCountLocked() > bs.max {
		var lru *bucket
		for _, b := range bs.m {
			idle := b.refs == 0 && b.gone == nil && b.db != nil && !bs.writable(b.start)
			if idle && (lru == nil || b.lastUse < lru.lastUse) {
				lru = b
			}
		}
		if lru == nil {
			break
		}
		lru.gone = make(chan struct{})
		out = append(out, lru)
	}
	return out
}

func (bs *bucketSet) openCountLocked() int {
	n := 0
	for _, b := range bs.m {
		if b.gone == nil {
			n++
		}
	}
	return n
}

// finishClose closes a bucket already marked gone with no references.
func (bs *bucketSet) finishClose(b *bucket) error {
	err := b.db.Sync()
	if cerr := b.db.Close(); err == nil {
		err = cerr
	}
	bs.mu.Lock()
	if bs.m[b.start] == b {
		delete(bs.m, b.start)
	}
	bs.mu.Unlock()
	close(b.gone)
	if err != nil {
		bs.log.Warn("close bucket", "bucket", b.start, "err", err)
	}
	return wrap(fmt.Sprintf("close bucket %d", b.start), err)
}
