package main

import (
	"encoding/binary"
	"net"
	"sync"
	"time"
)

// A loud packet is one whose mean absolute sample is above this (about -44 dBFS): a mix of the
// looped speech clip is well above it, a silent mix (all 0xd5/0xff bytes) is at 8 or 0.
const loudThreshold = 200

// leg is one participant: one UDP socket that sends the looped clip and receives its mix.
type leg struct {
	conn   *net.UDPConn
	target *net.UDPAddr
	ssrc   uint32
	seq    uint16
	ts     uint32
	frame  int
	packet []byte
	sent   int

	mu        sync.Mutex
	received  int
	loud      int
	sumLevel  int64
	started   bool
	baseSeq   uint32
	maxExtSeq uint32
	cycles    uint32
	lastSeq   uint16
	dupOrLate int
	bad       int
	firstAt   time.Time
	lastAt    time.Time
	fromPort  int
	pts       map[byte]int
}

type legResult struct {
	LocalPort     int          `json:"localPort"`
	Sent          int          `json:"sent"`
	Received      int          `json:"received"`
	Lost          int          `json:"lost"`
	DupOrLate     int          `json:"dupOrLate"`
	Invalid       int          `json:"invalid"`
	Loud          int          `json:"loud"`
	MeanLevel     int          `json:"meanLevel"`
	FirstPacketMs int64        `json:"firstPacketMs"`
	ActiveS       float64      `json:"activeS"`
	FromPort      int          `json:"fromPort"`
	PayloadTypes  map[byte]int `json:"payloadTypes"`
}

// send writes the next 20 ms packet (A-law, PT 8) of the looped clip.
func (l *leg) send(clip [][]byte) {
	if l.target == nil {
		return
	}
	payload := clip[l.frame%len(clip)]
	l.frame++
	n := 12 + len(payload)
	if cap(l.packet) < n {
		l.packet = make([]byte, n)
	}
	p := l.packet[:n]
	p[0] = 0x80
	p[1] = 8
	if l.sent == 0 {
		p[1] |= 0x80 // marker on the first packet of the talkspurt
	}
	binary.BigEndian.PutUint16(p[2:], l.seq)
	binary.BigEndian.PutUint32(p[4:], l.ts)
	binary.BigEndian.PutUint32(p[8:], l.ssrc)
	copy(p[12:], payload)
	if _, err := l.conn.WriteToUDP(p, l.target); err == nil {
		l.sent++
	}
	l.seq++
	l.ts += uint32(len(payload))
}

// receive counts the leg's incoming RTP until the socket is closed.
func (l *leg) receive(start time.Time) {
	buf := make([]byte, 2048)
	for {
		n, from, err := l.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		l.onPacket(buf[:n], from, start)
	}
}

func (l *leg) onPacket(p []byte, from *net.UDPAddr, start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(p) < 12 || p[0]>>6 != 2 {
		l.bad++
		return
	}
	pt := p[1] & 0x7f
	if pt >= 72 && pt <= 76 { // RTCP on a muxed port: not audio
		return
	}
	hdr := 12 + 4*int(p[0]&0x0f)
	if p[0]&0x10 != 0 && len(p) >= hdr+4 {
		hdr += 4 + 4*int(binary.BigEndian.Uint16(p[hdr+2:]))
	}
	if hdr > len(p) {
		l.bad++
		return
	}
	now := time.Now()
	seq := binary.BigEndian.Uint16(p[2:])
	if !l.started {
		l.started = true
		l.baseSeq = uint32(seq)
		l.maxExtSeq = uint32(seq)
		l.lastSeq = seq
		l.firstAt = now
		l.fromPort = from.Port
	} else {
		delta := seq - l.lastSeq
		if delta > 0 && delta < 0x8000 {
			if seq < l.lastSeq {
				l.cycles += 1 << 16
			}
			l.lastSeq = seq
			l.maxExtSeq = l.cycles | uint32(seq)
		} else {
			l.dupOrLate++
		}
	}
	l.received++
	l.lastAt = now
	l.pts[pt]++
	if pt == 0 || pt == 8 {
		level := meanAbs(p[hdr:], pt)
		l.sumLevel += int64(level)
		if level > loudThreshold {
			l.loud++
		}
	}
}

func (l *leg) result(start time.Time) legResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := legResult{LocalPort: l.conn.LocalAddr().(*net.UDPAddr).Port, Sent: l.sent, Received: l.received, DupOrLate: l.dupOrLate, Invalid: l.bad, Loud: l.loud, FirstPacketMs: -1, FromPort: l.fromPort, PayloadTypes: l.pts}
	if l.started {
		// RFC 3550 A.3: expected from the sequence-number span; what is missing from it is lost.
		expected := int(l.maxExtSeq-l.baseSeq) + 1
		inOrder := l.received - l.dupOrLate
		if expected > inOrder {
			r.Lost = expected - inOrder
		}
		r.FirstPacketMs = l.firstAt.Sub(start).Milliseconds()
		r.ActiveS = l.lastAt.Sub(l.firstAt).Seconds()
		if l.received > 0 {
			r.MeanLevel = int(l.sumLevel / int64(l.received))
		}
	}
	return r
}
