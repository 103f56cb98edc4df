package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/origin"
	"hlsorigin/replay"
)

// apiError is the JSON error body of every 4xx/5xx answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// statusOf maps the origin's error vocabulary to HTTP, in one place.
var statusOf = []struct {
	err    error
	status int
	code   string
}{
	{origin.ErrNotFound, http.StatusNotFound, "not_found"},
	{replay.ErrNothing, http.StatusNotFound, "not_found"},
	{origin.ErrNotLive, http.StatusNotFound, "not_live"},
	{origin.ErrExists, http.StatusConflict, "exists"},
	{origin.ErrConflict, http.StatusConflict, "conflict"},
	{origin.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{origin.ErrForbidden, http.StatusForbidden, "forbidden"},
	{origin.ErrBadMedia, http.StatusBadRequest, "bad_media"},
	{origin.ErrInvalid, http.StatusBadRequest, "invalid"},
	{origin.ErrTooLong, http.StatusUnprocessableEntity, "segment_too_long"},
	{origin.ErrUnprocessable, http.StatusUnprocessableEntity, "unprocessable"},
	{origin.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{origin.ErrRateLimited, http.StatusTooManyRequests, "rate_limited"},
	{origin.ErrDiskFull, http.StatusInsufficientStorage, "disk_full"},
	{origin.ErrStorage, http.StatusInternalServerError, "storage"},
	{errStreamsFull, http.StatusServiceUnavailable, "too_many_streams"},
}

// errStreamsFull: the total cap of event streams is reached.
var errStreamsFull = errors.New("event streams full")

// classify returns the status and code of err.
func classify(err error) (int, string) {
	for _, m := range statusOf {
		if errors.Is(err, m.err) {
			return m.status, m.code
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code, codeForStatus(fe.Code)
	}
	return http.StatusInternalServerError, "internal"
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusRequestTimeout:
		return "timeout"
	case http.StatusRequestedRangeNotSatisfiable:
		return "range_not_satisfiable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// writeError answers err as JSON. Server errors keep their detail in logs.
func (s *Server) writeError(c *fiber.Ctx, err error) error {
	status, code := classify(err)
	s.noteAuthFailure(c, code)
	msg := err.Error()
	if status >= 500 {
		s.log.Error("request failed", "method", c.Method(), "path", logPath(c), "client", s.clientAddr(c), "err", err)
		if code == "internal" {
			msg = "internal error"
		}
	}
	s.metrics.errors.WithLabelValues(code).Inc()
	if status == http.StatusNotFound {
		c.Set(fiber.HeaderCacheControl, "public, max-age=1")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Status(status).JSON(apiError{Error: msg, Code: code})
}
