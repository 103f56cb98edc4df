package replay

import "errors"

// ErrNothing: the requested span holds no segment to export (the API
// answers 404).
var ErrNothing = errors.New("nothing to export")
