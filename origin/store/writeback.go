package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Value-log writeback. Badger writes a bucket's value log through a shared
// mmap and, when a file reaches blobVlogFile bytes, msyncs all of it before
// opening the next one. That flush runs in the DB's single write goroutine,
// so every segment commit of every channel waits behind it: at 600 Mbit/s
// of ingest a 64 MB file fills in under a second and its flush (~30 ms on a
// 500 MB/s disk, all of it dirty since the kernel's own writeback starts
// only after dirty_expire_centisecs, 30 s by default) stalls the queue once
// per file. The store asks the kernel to start writing the newest value-log
// file of each bucket written since the last tick (sync_file_range with
// SYNC_FILE_RANGE_WRITE: it queues the I/O and does not wait for it), so
// the rotation finds at most a tick's worth of dirty pages. Durability is
// unchanged: Sync and durable records still fsync.

// defaultWriteback is how often buckets written to are flushed ahead.
const defaultWriteback = 100 * time.Millisecond

// writebackLoop runs until stop is closed.
func (s *Store) writebackLoop(every time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.bk.writeback()
		}
	}
}

// writeback starts writeback of the buckets written since the last call.
func (bs *bucketSet) writeback() {
	bs.mu.Lock()
	var todo []*bucket
	for _, b := range bs.m {
		if b.gone == nil && b.db != nil && b.written.Swap(0) > 0 {
			b.refs++
			todo = append(todo, b)
		}
	}
	bs.mu.Unlock()
	for _, b := range todo {
		if err := b.writeback(bs.path(b.start)); err != nil && !b.wbWarned {
			b.wbWarned = true // once per open bucket: it only costs latency
			bs.log.Warn("value log writeback", "bucket", b.start, "err", err)
		}
		bs.release(b)
	}
}

// writeback starts writeback of b's newest value-log file. Only the
// writeback goroutine calls it, so b.vlog needs no lock.
func (b *bucket) writeback(dir string) error {
	if b.vlog == 0 {
		fid, err := newestVlog(dir)
		if err != nil || fid == 0 {
			return err
		}
		b.vlog = fid
	}
	for {
		if _, err := os.Stat(vlogPath(dir, b.vlog+1)); err != nil {
			break
		}
		b.vlog++ // rotated: Badger flushed the previous file itself
	}
	return startWriteback(vlogPath(dir, b.vlog))
}

// vlogPath is Badger's value-log file name for fid.
func vlogPath(dir string, fid uint32) string {
	return filepath.Join(dir, fmt.Sprintf("%06d.vlog", fid))
}

// newestVlog returns the highest value-log file id in dir (0: none).
func newestVlog(dir string) (uint32, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var max uint32
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".vlog")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(v) > max {
			max = uint32(v)
		}
	}
	return max, nil
}
