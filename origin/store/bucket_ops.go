package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// drop forgets bucket start for good: later acquires get ErrNotFound, the DB
// is closed once its readers are done, and the directory is removed (renamed
// to trash first so a crash never leaves a half-deleted Badger directory).
func (bs *bucketSet) drop(start int64) error {
	bs.mu.Lock()
	bs.floor = max(bs.floor, start+bs.span)
	for {
		b := bs.m[start]
		if b == nil {
			break
		}
		if b.gone != nil {
			gone := b.gone
			bs.mu.Unlock()
			<-gone
			bs.mu.Lock()
			continue
		}
		if b.refs > 0 {
			bs.cond.Wait() // then look again: eviction may have closed it meanwhile
			continue
		}
		b.gone = make(chan struct{})
		bs.mu.Unlock()
		bs.finishClose(b) // a failed close must not keep expired media on disk
		bs.mu.Lock()
	}
	bs.mu.Unlock()
	return removeBucketDir(bs.dir, start)
}

func removeBucketDir(dir string, start int64) error {
	src := filepath.Join(dir, strconv.FormatInt(start, 10))
	trash := filepath.Join(dir, trashPrefix+strconv.FormatInt(start, 10))
	if err := os.Rename(src, trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return wrap("trash bucket", err)
	}
	return wrap("remove bucket", os.RemoveAll(trash))
}

// starts lists the bucket directories on disk, oldest first.
func (bs *bucketSet) starts() ([]int64, error) {
	ents, err := os.ReadDir(bs.dir)
	if err != nil {
		return nil, wrap("list buckets", err)
	}
	var out []int64
	for _, e := range ents {
		if v, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// syncWritable fsyncs the open write buckets.
func (bs *bucketSet) syncWritable() error {
	bs.mu.Lock()
	var open []*bucket
	for _, b := range bs.m {
		if b.gone == nil && b.db != nil && bs.writable(b.start) {
			b.refs++
			open = append(open, b)
		}
	}
	bs.mu.Unlock()
	var err error
	for _, b := range open {
		if serr := b.db.Sync(); serr != nil && err == nil {
			err = wrap(fmt.Sprintf("sync bucket %d", b.start), serr)
		}
		bs.release(b)
	}
	return err
}

// closeAll closes every bucket; the caller guarantees no operation is running.
func (bs *bucketSet) closeAll() error {
	bs.mu.Lock()
	var all []*bucket
	for _, b := range bs.m {
		if b.gone == nil && b.db != nil {
			b.gone = make(chan struct{})
			all = append(all, b)
		}
	}
	bs.mu.Unlock()
	var err error
	for _, b := range all {
		if cerr := bs.finishClose(b); err == nil {
			err = cerr
		}
	}
	return err
}
