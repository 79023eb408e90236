package main

// Receive-side accounting for one consumed stream: sequence gaps (loss), RFC 3550 interarrival
// jitter, frames reassembled from RTP (a frame counts when all its packets arrived, from the first
// to the marker), freezes (no complete frame for more than 500 ms after the first one), bytes per
// spatial layer (the layer is the resolution read from VP8/H.264 keyframes), time to first frame.

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

const freezeGap = 500 * time.Millisecond

// opusSilentMaxBytes: Opus frames of silence are tiny — a DTX frame is 1 byte, and Janus
// AudioBridge's 16 kHz VBR encoder sends 8-byte payloads for a silent mix — while speech takes tens
// of bytes per 20 ms (25–60 for the gateway bench's speech clip). So a payload above this is
// sound, not silence: a cheap "did we hear anything" without decoding.
const opusSilentMaxBytes = 15

// clientStart is when the client began (main sets it), the origin of every *S timestamp.
var clientStart = time.Now()

// StreamStats is what a subscriber reports for one consumed stream.
type StreamStats struct {
	Publisher string  `json:"publisher"`
	Kind      string  `json:"kind"`
	Codec     string  `json:"codec"`
	Packets   uint64  `json:"packets"`
	Lost      uint64  `json:"lost"`
	Bytes     uint64  `json:"bytes"`
	Frames    uint64  `json:"frames"`
	Keyframes uint64  `json:"keyframes"`
	Freezes   uint64  `json:"freezes"`
	FrozenMs  float64 `json:"frozenMs"`
	// When freezes ended, in seconds since the client started (at most 10), to line them up
	// with speaker changes and layer switches.
	FreezeEndsS  []float64 `json:"freezeEndsS"`
	JitterMs     float64   `json:"jitterMs"`
	FirstFrameMs float64   `json:"firstFrameMs"` // from the subscriber's join request; -1 = none
	// From the consumer's announcement to its first frame: the switch time when last-N brings in
	// a new speaker long after the join.
	FirstFrameAfterAddMs float64        `json:"firstFrameAfterAddMs"`
	ActiveS              float64        `json:"activeS"`
	BytesByLayer         map[string]int `json:"bytesByLayer"` // "640x360" → bytes
	Closed               bool           `json:"closed"`
	PausedAtEnd          bool           `json:"pausedAtEnd"`
	ClosedAfterS         float64        `json:"closedAfterS,omitempty"`

	// Audio: Opus packets larger than a silent frame (opusSilentMaxBytes) — sound, not silence.
	VoicePackets uint64 `json:"voicePackets"`
	// Audio: voice packets its publisher sent while this stream was held (0: it said nothing, and
	// a stream that got no packets was rightly empty where the SFU drops DTX).
	PublisherVoiceSent uint64 `json:"publisherVoiceSent"`
}

type streamCounter struct {
	mu        sync.Mutex
	st        StreamStats
	clockRate float64
	joinedAt  time.Time
	started   time.Time
	haveSeq   bool
	lastSeq   uint16
	// jitter
	haveTransit bool
	lastTransit float64
	jitter      float64
	// frame assembly
	frameTS      uint32
	frameOK      bool
	frameStarted bool
	frameBytes   int
	expectSeq    uint16
	lastFrameAt  time.Time
	layer        string
	paused       bool
	voiceSent    *atomic.Uint64 // the publisher's (voiceCounter)
	voiceAtStart uint64
}

func newStreamCounter(publisher, kind, codec string, clockRate float64, joinedAt time.Time) *streamCounter {
	vs := voiceCounter(publisher)
	return &streamCounter{
		st:           StreamStats{Publisher: publisher, Kind: kind, Codec: codec, FirstFrameMs: -1, FirstFrameAfterAddMs: -1, BytesByLayer: map[string]int{}},
		clockRate:    clockRate,
		joinedAt:     joinedAt,
		started:      time.Now(),
		layer:        "?",
		voiceSent:    vs,
		voiceAtStart: vs.Load(),
	}
}

// setPaused: while the server has the consumer paused, a silence is not a freeze.
func (c *streamCounter) setPaused(p bool) {
	c.mu.Lock()
	c.paused = p
	if !p {
		c.lastFrameAt = time.Time{}
	}
	c.mu.Unlock()
}

func (c *streamCounter) onPacket(p *rtp.Packet, size int, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.Packets++
	c.st.Bytes += uint64(size)
	// Loss: forward sequence gaps (reordering within a small window is not loss).
	if c.haveSeq {
		diff := p.SequenceNumber - c.lastSeq
		if diff > 0 && diff < 0x8000 {
			c.st.Lost += uint64(diff - 1)
			c.lastSeq = p.SequenceNumber
		}
	} else {
		c.haveSeq = true
		c.lastSeq = p.SequenceNumber
	}
	// Jitter (RFC 3550 §6.4.1), in RTP clock units then ms.
	arrival := float64(now.UnixNano()) / 1e9 * c.clockRate
	transit := arrival - float64(p.Timestamp)
	if c.haveTransit {
		d := transit - c.lastTransit
		if d < 0 {
			d = -d
		}
		c.jitter += (d - c.jitter) / 16
	}
	c.haveTransit, c.lastTransit = true, transit

	if c.st.Kind == "audio" {
		if len(p.Payload) > opusSilentMaxBytes {
			c.st.VoicePackets++
		}
		c.frameDone(now, size)
		return
	}
	c.videoPacket(p, now)
}

func (c *streamCounter) videoPacket(p *rtp.Packet, now time.Time) {
	if !c.frameStarted || p.Timestamp != c.frameTS {
		// A new frame starts: it is whole only if its first packet is a frame start.
		c.frameTS = p.Timestamp
		c.frameStarted = true
		c.frameOK = isFrameStart(c.st.Codec, p.Payload)
		c.frameBytes = 0
		c.expectSeq = p.SequenceNumber
		if c.frameOK {
			if w, h, key := keyframeSize(c.st.Codec, p.Payload); key {
				c.st.Keyframes++
				if w > 0 {
					c.layer = itoa(w) + "x" + itoa(h)
				} else if c.st.Codec == "h264" {
					c.layer = "h264"
				}
			}
		}
	}
	if p.SequenceNumber != c.expectSeq {
		c.frameOK = false
	}
	c.expectSeq = p.SequenceNumber + 1
	c.frameBytes += len(p.Payload)
	c.st.BytesByLayer[c.layer] += len(p.Payload)
	if p.Marker {
		if c.frameOK {
			c.frameDone(now, c.frameBytes)
		}
		c.frameStarted = false
	}
}

func (c *streamCounter) frameDone(now time.Time, _ int) {
	if c.st.FirstFrameMs < 0 {
		c.st.FirstFrameMs = float64(now.Sub(c.joinedAt).Microseconds()) / 1000
		c.st.FirstFrameAfterAddMs = float64(now.Sub(c.started).Microseconds()) / 1000
	}
	if !c.lastFrameAt.IsZero() && !c.paused {
		if gap := now.Sub(c.lastFrameAt); gap > freezeGap && c.st.Kind == "video" {
			c.st.Freezes++
			c.st.FrozenMs += float64(gap.Milliseconds())
			if len(c.st.FreezeEndsS) < 10 {
				c.st.FreezeEndsS = append(c.st.FreezeEndsS, now.Sub(clientStart).Seconds())
			}
		}
	}
	c.lastFrameAt = now
	c.st.Frames++
}

func (c *streamCounter) snapshot(now time.Time) StreamStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.JitterMs = c.jitter / c.clockRate * 1000
	s.PausedAtEnd = c.paused
	if !c.st.Closed && c.st.Kind == "audio" {
		s.PublisherVoiceSent = c.voiceSent.Load() - c.voiceAtStart
	}
	s.ActiveS = now.Sub(c.started).Seconds()
	layers := make(map[string]int, len(c.st.BytesByLayer))
	for k, v := range c.st.BytesByLayer {
		layers[k] = v
	}
	s.BytesByLayer = layers
	return s
}

func (c *streamCounter) markClosed(now time.Time) {
	c.mu.Lock()
	c.st.Closed = true
	c.st.ClosedAfterS = now.Sub(c.joinedAt).Seconds()
	c.mu.Unlock()
}

func isFrameStart(codec string, payload []byte) bool {
	switch codec {
	case "vp8":
		// VP8 payload descriptor: S bit set and partition index 0.
		return len(payload) > 0 && payload[0]&0x10 != 0 && payload[0]&0x0f == 0
	case "h264":
		if len(payload) < 2 {
			return false
		}
		t := payload[0] & 0x1f
		if t == 28 { // FU-A: start bit
			return payload[1]&0x80 != 0
		}
		return true
	}
	return true
}

// keyframeSize reads a keyframe's resolution (VP8) or just detects an IDR/SPS (H.264).
func keyframeSize(codec string, payload []byte) (w, h int, key bool) {
	switch codec {
	case "vp8":
		off := vp8DescriptorLen(payload)
		if off < 0 || len(payload) < off+10 {
			return 0, 0, false
		}
		b := payload[off:]
		if b[0]&0x01 != 0 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
			return 0, 0, false
		}
		return int(b[6]) | int(b[7]&0x3f)<<8, int(b[8]) | int(b[9]&0x3f)<<8, true
	case "h264":
		if len(payload) < 2 {
			return 0, 0, false
		}
		t := payload[0] & 0x1f
		switch {
		case t == 5 || t == 7:
			return 0, 0, true
		case t == 24: // STAP-A: first aggregated NAL
			if len(payload) > 3 {
				n := payload[3] & 0x1f
				return 0, 0, n == 5 || n == 7
			}
		case t == 28:
			n := payload[1] & 0x1f
			return 0, 0, n == 5
		}
	}
	return 0, 0, false
}

func vp8DescriptorLen(p []byte) int {
	if len(p) < 1 {
		return -1
	}
	i := 1
	if p[0]&0x80 != 0 { // X
		if len(p) < 2 {
			return -1
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 { // I: PictureID
			if len(p) <= i {
				return -1
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K
			i++
		}
	}
	return i
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
