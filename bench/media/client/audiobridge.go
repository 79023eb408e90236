package main

// One WebRTC participant in a Janus AudioBridge room (the gateway bench's "browser" on the Janus
// side): over Janus's WebSocket API it attaches to janus.plugin.audiobridge and joins an existing
// room (plan room = the numeric room id, created by the bench) with an audio-only sendrecv Opus
// offer. It sends the same looped Opus clip as the Convene-side browser and counts the room's
// mix it receives (one stream: AudioBridge mixes everyone but this participant into it).

import (
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

type audioBridgeSession struct {
	p    ParticipantPlan
	plan *Plan
	lib  *Library
	res  *ParticipantResult

	conn    *janusConn
	pc      *webrtc.PeerConnection
	stop    chan struct{}
	mu      sync.Mutex
	counter *streamCounter
}

func (s *audioBridgeSession) run(deadline time.Time) {
	s.stop = make(chan struct{})
	defer s.finish()
	room, err := strconv.ParseUint(s.p.Room, 10, 64)
	if err != nil {
		s.res.Error = "room: AudioBridge rooms are numeric ids, got " + s.p.Room
		return
	}
	conn, handle, joinStart, err := openJanus(s.plan.WsURL, "janus.plugin.audiobridge", s.stop)
	s.conn = conn
	if err != nil {
		s.res.Error = err.Error()
		return
	}
	if err := s.join(handle, room, joinStart); err != nil {
		s.res.Error = "join: " + err.Error()
		return
	}
	s.res.JoinMs = float64(time.Since(joinStart).Microseconds()) / 1000
	s.res.Joined = true
	if waitForEnd(deadline, conn.closed) {
		s.res.Error = "janus socket closed"
	}
}

// join sends `join` with the offer attached (Janus 1.x negotiates on join); if Janus answers the
// join without a JSEP, the offer goes again with `configure`, the older way.
func (s *audioBridgeSession) join(handle, room uint64, joinStart time.Time) error {
	pc, err := janusWebRTCAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	s.pc = pc
	track, err := addOpusTrack(pc, s.p.Name, webrtc.RTPTransceiverDirectionSendrecv)
	if err != nil {
		return err
	}
	pc.OnTrack(func(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		counter := newStreamCounter("mix", "audio", "opus", float64(remote.Codec().ClockRate), joinStart)
		s.mu.Lock()
		s.counter = counter
		s.mu.Unlock()
		drainReceiverRTCP(receiver)
		countRTP(remote, counter)
	})
	offer, err := gatheredOffer(pc, true, nil)
	if err != nil {
		return err
	}
	m, err := s.conn.message(handle, map[string]any{"request": "join", "room": room, "display": s.p.Name, "muted": false}, offer)
	if err != nil {
		return err
	}
	var joined struct {
		AudioBridge string `json:"audiobridge"`
	}
	_ = json.Unmarshal(m.PluginData.Data, &joined)
	if joined.AudioBridge != "joined" {
		return errors.New("unexpected answer: " + string(m.PluginData.Data))
	}
	if m.Jsep == nil {
		if m, err = s.conn.message(handle, map[string]any{"request": "configure", "muted": false}, offer); err != nil {
			return err
		}
		if m.Jsep == nil {
			return errors.New("no answer from janus")
		}
	}
	if err := pc.SetRemoteDescription(*m.Jsep); err != nil {
		return err
	}
	s.res.Produced = append(s.res.Produced, "audio")
	go sendAudio(track, s.lib.Opus, 0, func() bool { return s.p.Audio == "always" }, s.stop, &s.res.PacketsSent, voiceCounter(s.p.Name))
	return nil
}

func (s *audioBridgeSession) finish() {
	close(s.stop)
	s.mu.Lock()
	if s.counter != nil {
		s.res.Streams = append(s.res.Streams, s.counter.snapshot(time.Now()))
	}
	s.mu.Unlock()
	teardownBounded(5*time.Second, func() {
		if s.pc != nil {
			_ = s.pc.Close()
		}
		if s.conn != nil {
			s.conn.hangUp()
		}
	})
}
