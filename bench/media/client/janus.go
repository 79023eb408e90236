package main

import "time"

// janusSession speaks Janus VideoRoom's JSON API (see janus.go history); placeholder until built.
type janusSession struct {
	p     ParticipantPlan
	plan  *Plan
	lib   *Library
	res   *ParticipantResult
	clock func() time.Duration
}

func (s *janusSession) run(deadline time.Time) { s.res.Error = "janus: not implemented" }
