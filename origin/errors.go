package origin

import "errors"

// The error vocabulary of the origin. The API maps each to an HTTP status in
// one place (api/errors.go).
var (
	ErrNotFound      = errors.New("not found")
	ErrExists        = errors.New("already exists")
	ErrInvalid       = errors.New("invalid request")
	ErrUnauthorized  = errors.New("unauthorized")
	ErrForbidden     = errors.New("forbidden")
	ErrBadMedia      = errors.New("bad media")
	ErrTooLong       = errors.New("segment longer than target duration")
	ErrNotLive       = errors.New("channel has no media yet")
	ErrStorage       = errors.New("storage failure")
	ErrDiskFull      = errors.New("disk full")
	ErrConflict      = errors.New("conflict")
	ErrTooLarge      = errors.New("too large")
	ErrRateLimited   = errors.New("rate limited")
	ErrUnprocessable = errors.New("unprocessable")
)
