//go:build unix

package store

import (
	"io/fs"
	"syscall"
)

// allocated returns the bytes a file occupies on disk (st_blocks * 512).
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}
