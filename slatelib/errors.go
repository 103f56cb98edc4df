package slatelib

import "hlsorigin/origin"

// The library speaks the origin's error vocabulary, so the API maps both
// in one place (api/errors.go).
var (
	ErrNotFound      = origin.ErrNotFound
	ErrInvalid       = origin.ErrInvalid
	ErrUnauthorized  = origin.ErrUnauthorized
	ErrBadMedia      = origin.ErrBadMedia
	ErrConflict      = origin.ErrConflict
	ErrTooLarge      = origin.ErrTooLarge
	ErrUnprocessable = origin.ErrUnprocessable
	ErrRateLimited   = origin.ErrRateLimited
)
