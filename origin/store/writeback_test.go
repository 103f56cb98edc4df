//go:build linux

package store

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vlogDirty sums the dirty bytes of this process's mappings of value-log
// files under dir, from /proc/self/smaps.
func vlogDirty(t *testing.T, dir string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			// A mapping header: "start-end perms offset dev inode path".
			in = len(fields) >= 6 && strings.HasPrefix(fields[5], dir) && strings.HasSuffix(fields[5], ".vlog")
			continue
		}
		if in && (fields[0] == "Shared_Dirty:" || fields[0] == "Private_Dirty:") {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

func expireCentisecs() int {
	b, err := os.ReadFile("/proc/sys/vm/dirty_expire_centisecs")
	if err != nil {
		return 0
	}
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}

// With writeback on, the pages a segment write dirtied in the value log
// are on their way to disk within a few ticks, long before the kernel's
// own writeback would start (dirty_expire_centisecs, 30 s by default) and
// before Badger's flush at the next file would have to write them while
// holding every commit. With it off (the control), the same bytes stay dirty.
func TestWritebackCleansValueLog(t *testing.T) {
	const n, size = 40, 512 << 10 // 20 MB, well below one value-log file
	// write puts n segments and returns the value log's dirty bytes right
	// after and once wait says stop (polled every 100 ms, 3 s at most).
	write := func(wb time.Duration, done func(dirty int64) bool) (written, dirty int64) {
		dir := t.TempDir()
		s := openTest(t, Options{Dir: dir, Writeback: wb, MinFreeBytes: -1})
		at := time.Now()
		for i := range uint64(n) {
			must(t, s.PutSegment("c", "r", i, at, nil, payload(i, size)))
		}
		written = vlogDirty(t, dir)
		for deadline := time.Now().Add(3 * time.Second); ; {
			time.Sleep(100 * time.Millisecond)
			if dirty = vlogDirty(t, dir); done(dirty) || time.Now().After(deadline) {
				return written, dirty
			}
		}
	}
	start := time.Now()
	written, dirty := write(-1, func(int64) bool { return time.Since(start) > time.Second })
	t.Logf("writeback off: %d MB dirty right after the writes, %d MB a second later", written>>20, dirty>>20)
	if written < n*size/2 {
		t.Skipf("only %d bytes of the value log counted dirty after writing %d: smaps does not show it here", written, n*size)
	}
	if exp := expireCentisecs(); exp >= 1000 && dirty < written/2 {
		t.Fatalf("writeback off: only %d of %d bytes still dirty a second later; this test cannot tell writeback on from off here", dirty, written)
	}
	written, dirty = write(50*time.Millisecond, func(d int64) bool { return d <= 1<<20 })
	t.Logf("writeback on: %d MB dirty right after the writes, %d KB a moment later", written>>20, dirty>>10)
	if dirty > 1<<20 {
		t.Fatalf("writeback on: %d bytes of the value log still dirty 3 s after the writes", dirty)
	}
}
