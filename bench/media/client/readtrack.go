package main

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// countRTP counts a received track's packets until the track ends.
func countRTP(track *webrtc.TrackRemote, counter *streamCounter) {
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		counter.onPacket(p, p.MarshalSize(), time.Now())
	}
}

// drainReceiverRTCP reads and drops a receiver's incoming RTCP until it stops: pion's
// interceptors only run while someone reads it.
func drainReceiverRTCP(receiver *webrtc.RTPReceiver) {
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := receiver.Read(buf); err != nil {
				return
			}
		}
	}()
}
