package main

import (
	"time"

	"github.com/pion/webrtc/v4"
)

func readTrack(receiver *webrtc.RTPReceiver, counter *streamCounter) {
	track := receiver.Track()
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		counter.onPacket(p, p.MarshalSize(), time.Now())
	}
}
