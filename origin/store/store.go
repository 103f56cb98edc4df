package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Store is the origin's persistent storage: one meta DB and time-bucketed blob DBs.
type Store struct {
	o    Options
	meta *badger.DB
	bk   *bucketSet
	disk *diskGuard

	life    sync.RWMutex // held shared by every operation, exclusively by Close
	pruneMu sync.Mutex   // one Prune at a time
	closed  bool

	stop     chan struct{} // closed by Close: background goroutines end
	stopOnce sync.Once
	bg       sync.WaitGroup
}

// Open opens or creates the store in o.Dir.
func Open(o Options) (*Store, error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	blobDir := filepath.Join(o.Dir, "blobs")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		return nil, wrap("create data dir", err)
	}
	if err := removeTrash(blobDir); err != nil {
		return nil, err
	}
	meta, err := badger.Open(metaOptions(filepath.Join(o.Dir, "meta"), o.Logger))
	if err != nil {
		return nil, wrap("open meta db", err)
	}
	if err := checkVersion(meta, o.Dir); err != nil {
		meta.Close()
		return nil, err
	}
	s := &Store{o: o, meta: meta, disk: &diskGuard{dir: o.Dir, min: o.MinFreeBytes}, stop: make(chan struct{})}
	s.bk = newBucketSet(blobDir, o)
	if writebackSupported && o.Writeback > 0 {
		s.bg.Add(1)
		go s.writebackLoop(o.Writeback)
	}
	return s, nil
}

// checkVersion writes the storage version on first use and refuses newer data.
func checkVersion(db *badger.DB, dir string) error {
	var have []byte
	err := db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(keyVersion))
		if err == nil {
			have, err = it.ValueCopy(nil)
		}
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		v := binary.BigEndian.AppendUint32(nil, storageVersion)
		return wrap("write storage version", db.Update(func(txn *badger.Txn) error {
			return txn.Set([]byte(keyVersion), v)
		}))
	}
	if err != nil {
		return wrap("read storage version", err)
	}
	if len(have) != 4 {
		return fmt.Errorf("store %s: %w: storage version key has %d bytes", dir, ErrCorrupt, len(have))
	}
	if v := binary.BigEndian.Uint32(have); v > storageVersion {
		return fmt.Errorf("store %s: %w: found version %d, this binary supports up to %d; upgrade hlsorigin",
			dir, ErrNewerVersion, v, storageVersion)
	}
	return nil
}

// removeTrash finishes directory removals that a crash interrupted.
func removeTrash(blobDir string) error {
	ents, err := os.ReadDir(blobDir)
	if err != nil {
		return wrap("list buckets", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), trashPrefix) {
			if err := os.RemoveAll(filepath.Join(blobDir, e.Name())); err != nil {
				return wrap("remove trash", err)
			}
		}
	}
	return nil
}

// enter starts an operation; every successful enter needs a leave.
func (s *Store) enter() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.life.RUnlock() }

// Close syncs and closes every DB. Later calls return ErrClosed; Close is idempotent.
func (s *Store) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.bg.Wait()
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.bk.closeAll()
	if serr := s.meta.Sync(); err == nil {
		err = wrap("sync meta", serr)
	}
	if cerr := s.meta.Close(); err == nil {
		err = wrap("close meta", cerr)
	}
	return err
}

// Sync forces the meta DB and the open write buckets to stable storage
// (fsync). Use it after durable-critical state such as a pause record.
func (s *Store) Sync() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.meta.Sync(); err != nil {
		return wrap("sync meta", err)
	}
	return s.bk.syncWritable()
}

// DiskUsage returns the bytes allocated on disk under Dir. Badger's files
// are sparse while open (vlog files are mmapped at twice their size), so
// this counts allocated blocks, not apparent sizes, where the OS tells.
func (s *Store) DiskUsage() (int64, error) { return dirUsage(s.o.Dir) }

func dirUsage(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed by a concurrent prune
		}
		if err != nil || d.IsDir() {
			return err
		}
		if info, ierr := d.Info(); ierr == nil {
			total += allocated(info)
		}
		return nil
	})
	return total, err
}
