// Package segments parses and validates CMAF (fragmented MP4) init and media
// segments as pushed by an HLS fMP4 encoder, and retimes media segments.
//
// Guarantees:
//   - It is pure: no I/O, no HTTP; it only reads the bytes it is given.
//   - No function panics on any input: decoder panics are recovered and
//     reported as ErrMalformed.
//   - Every error wraps exactly one of the sentinels in errors.go
//     (ErrMalformed, ErrNoSamples, ErrTrackMismatch, ErrUnsupported, ErrRange)
//     so callers can map them with errors.Is.
//   - A Segment returned by ParseSegment has, for every track of its Init,
//     at least one sample, sample data inside the mdat that follows its moof,
//     sample durations > 0 and continuous tfdt across the fragments of a track.
//   - Returned values never alias the input bytes, except Init.MP4 which is
//     decoded from Init.Raw, a private copy.
package segments
