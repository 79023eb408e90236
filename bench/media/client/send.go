package main

// Publishers: each track is a TrackLocalStaticRTP fed by a pacing loop over a preloaded clip.
// RTP packets are built here (not by pion's sample writer) so that audio can carry the
// ssrc-audio-level extension the SFU's active-speaker detection reads.

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

const mtu = 1200

// keyframesOnRequest counts PLI/FIR answered, for the report.
var keyframesOnRequest atomic.Uint64

// voiceSentBy: per participant name, the voice (non-DTX) packets it has sent. All participants run
// in this process, so a subscriber's stream can tell "the publisher said nothing while I held the
// stream" (an SFU that drops DTX then rightly forwards nothing) from "packets went missing".
var voiceSentBy sync.Map

func voiceCounter(name string) *atomic.Uint64 {
	c, _ := voiceSentBy.LoadOrStore(name, new(atomic.Uint64))
	return c.(*atomic.Uint64)
}

// sendAudio loops Opus packets every 20 ms. While `speaking()` is false it sends a DTX packet
// (TOC byte only) every 400 ms with level 127 (silence), as WebRTC senders with DTX do.
func sendAudio(track *webrtc.TrackLocalStaticRTP, clip *Clip, levelExtID uint8, speaking func() bool, stop <-chan struct{}, sent *uint64, voice *atomic.Uint64) {
	seq := uint16(rand.Intn(65535))
	ts := rand.Uint32()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	i := rand.Intn(len(clip.Frames))
	n := 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		n++
		ts += 960
		frame := clip.Frames[i%len(clip.Frames)]
		i++
		talking := speaking()
		if !talking && n%20 != 0 {
			continue
		}
		level := byte(127)
		payload := frame
		if talking {
			// Speech-like levels (syllables and short dips): the speaker detector adapts to a
			// constant level as if it were background noise.
			level = byte(20 + rand.Intn(25))
			if n%16 < 3 {
				level = byte(80 + rand.Intn(20))
			}
		} else {
			payload = frame[:1]
		}
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: false}, Payload: payload}
		if levelExtID != 0 {
			voice := byte(0)
			if talking {
				voice = 0x80
			}
			_ = p.Header.SetExtension(levelExtID, []byte{voice | level})
		}
		seq++
		if track.WriteRTP(p) == nil {
			if sent != nil {
				atomic.AddUint64(sent, 1)
			}
			if talking && voice != nil {
				voice.Add(1)
			}
		}
	}
}

// sendVideo loops a clip's frames at its frame rate, packetised for its codec.
func sendVideo(track *webrtc.TrackLocalStaticRTP, clip *Clip, codec string, keyframeWanted *atomic.Bool, stop <-chan struct{}, sent *uint64) {
	var payloader rtp.Payloader
	if codec == "h264" {
		payloader = &codecs.H264Payloader{}
	} else {
		payloader = &codecs.VP8Payloader{EnablePictureID: true}
	}
	seq := uint16(rand.Intn(65535))
	ts := rand.Uint32()
	step := uint32(90 * clip.FrameMs)
	tick := time.NewTicker(time.Duration(clip.FrameMs) * time.Millisecond)
	defer tick.Stop()
	i := 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if keyframeWanted != nil && keyframeWanted.Swap(false) {
			// Back to the keyframe that starts the current group (at most one GOP back).
			k := i % len(clip.Frames)
			for k > 0 && !clip.Keyframes[k] {
				k--
			}
			i = k
			keyframesOnRequest.Add(1)
		}
		frame := clip.Frames[i%len(clip.Frames)]
		i++
		ts += step
		payloads := payloader.Payload(mtu, frame)
		for j, pl := range payloads {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: j == len(payloads)-1}, Payload: pl}
			seq++
			if track.WriteRTP(p) == nil && sent != nil {
				atomic.AddUint64(sent, 1)
			}
		}
	}
}
