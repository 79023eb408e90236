package main

// What every kind of simulated participant does at the end of its meeting, whichever server.

import "time"

// waitForEnd holds a joined participant in its meeting until its deadline, SIGTERM (endEarly) or
// the server closing its signalling (closed); it reports whether the server closed it.
func waitForEnd(deadline time.Time, closed <-chan struct{}) (closedByServer bool) {
	select {
	case <-time.After(time.Until(deadline)):
	case <-endEarly:
	case <-closed:
		return true
	}
	return false
}

// teardownBounded runs teardown but waits for it at most limit: a connection that will not close
// must not hold the results back.
func teardownBounded(limit time.Duration, teardown func()) {
	done := make(chan struct{})
	go func() {
		teardown()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}
