//go:build !unix

package store

import "io/fs"

// allocated falls back to the apparent size where block counts are unknown.
func allocated(info fs.FileInfo) int64 { return info.Size() }
