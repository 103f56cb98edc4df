package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"hlsorigin/audience"
	"hlsorigin/origin"
)

// Audience poll: opens with each pause, closes on resume (see audience/poll.go).

func (s *Server) pollRoutes() {
	s.app.Get("/api/v1/channels/:id/poll", s.getPoll)
	s.app.Post("/api/v1/channels/:id/poll/vote", s.limiter(LimitVote).Handler(), s.vote)
}

// optionID accepts an option id as a JSON string ("2") or number (2).
type optionID string

func (o *optionID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*o = optionID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("option: a string or a number")
	}
	*o = optionID(n.String())
	return nil
}

type voteReq struct {
	Option *optionID `json:"option"`
}

func (s *Server) vote(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	v, err := s.viewer(c, ch)
	if err != nil {
		return s.writeError(c, err)
	}
	var req voteReq
	if err := decodeJSON(c, &req); err != nil {
		return s.writeError(c, err)
	}
	if req.Option == nil {
		return s.writeError(c, fmt.Errorf("option is required: %w", origin.ErrInvalid))
	}
	done, err := s.voteCaps.reserve(s.aud, ch, s.clientKeyOf(c), v.ID, s.opt.MaxVotersPerIP)
	if err != nil {
		return s.writeError(c, err)
	}
	pv, err := s.aud.Vote(ch, v, string(*req.Option))
	done(err == nil)
	if err != nil {
		return s.writeError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(pv)
}

// getPoll answers the latest poll (or ?pause=ID's). With a viewer token it
// includes that viewer's own vote; a bad token is refused rather than ignored.
func (s *Server) getPoll(c *fiber.Ctx) error {
	ch, err := s.o.Channel(c.Params("id"))
	if err != nil {
		return s.writeError(c, err)
	}
	viewer := ""
	if bearer(c) != "" {
		v, err := s.viewer(c, ch)
		if err != nil {
			return s.writeError(c, err)
		}
		viewer = v.ID
	}
	pv, err := s.aud.Poll(ch, c.Query("pause"), viewer)
	if err != nil {
		return s.writeError(c, err)
	}
	if viewer != "" {
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.JSON(pv)
}

// pollOf is the poll of a pause for pause listings and the resume answer.
func (s *Server) pollOf(ch *origin.Channel, pauseID string) *audience.PollView {
	if pv, ok := s.aud.PollOf(ch, pauseID); ok {
		return &pv
	}
	return nil
}
