package store

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// naiveSink is the baseline the bucket design replaces: one Badger DB with
// the same blob tuning, expired segments deleted key by key, value-log GC
// run after every prune until it finds nothing to rewrite.
type naiveSink struct {
	db        *badger.DB
	dir       string
	retention time.Duration
	live      []naiveKey // FIFO in write order
}

type naiveKey struct {
	key []byte
	at  time.Time
}

func openNaive(t testing.TB, retention time.Duration) *naiveSink {
	dir := t.TempDir()
	db, err := badger.Open(blobOptions(dir, quietLogger()))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return &naiveSink{db: db, dir: dir, retention: retention}
}

func (n *naiveSink) put(rend string, seq uint64, at time.Time, data []byte) error {
	k := binary.BigEndian.AppendUint64([]byte(rend+"/"), seq)
	n.live = append(n.live, naiveKey{k, at})
	return n.db.Update(func(txn *badger.Txn) error { return txn.Set(k, data) })
}

func (n *naiveSink) prune(now time.Time) error {
	cut := now.Add(-n.retention)
	i := 0
	for i < len(n.live) && n.live[i].at.Before(cut) {
		k := n.live[i].key
		if err := n.db.Update(func(txn *badger.Txn) error { return txn.Delete(k) }); err != nil {
			return err
		}
		i++
	}
	n.live = n.live[i:]
	for {
		err := n.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (n *naiveSink) usage() (int64, int64, error) {
	u, err := dirUsage(n.dir)
	return u, 0, err
}
