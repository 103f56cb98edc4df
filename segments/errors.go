package segments

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them
// with context, e.g. "parse segment: moof 1 traf 2: tfdt missing: malformed segment".
var (
	// ErrMalformed: the bytes cannot be decoded, are not fragmented MP4 of
	// the expected kind (init vs media), or are truncated.
	ErrMalformed = errors.New("malformed segment")
	// ErrNoSamples: a media segment (or one of its tracks) carries no samples.
	ErrNoSamples = errors.New("no samples")
	// ErrTrackMismatch: a segment's track IDs differ from its init's tracks.
	ErrTrackMismatch = errors.New("track mismatch")
	// ErrUnsupported: valid MP4 outside what the origin handles (codec,
	// track layout, non-CMAF addressing).
	ErrUnsupported = errors.New("unsupported")
	// ErrRange: a caller-supplied value is out of range (e.g. a Retime
	// offset that would make a decode time negative).
	ErrRange = errors.New("out of range")
)
