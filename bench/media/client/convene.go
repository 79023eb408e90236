package main

// One participant on Convene's protocol (also spoken by raw-mediasoup.mjs): hello, join,
// media.setCapabilities, a send and/or a recv transport driven as ORTC objects (pion's
// ICEGatherer/ICETransport/DTLSTransport, the same model as mediasoup's transports, so no SDP),
// producers for audio and video, and the consumers the server announces.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

const reqTimeout = 20 * time.Second

const audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

type rtpCodecCap struct {
	Kind                 string         `json:"kind"`
	MimeType             string         `json:"mimeType"`
	PreferredPayloadType int            `json:"preferredPayloadType"`
	ClockRate            int            `json:"clockRate"`
	Channels             int            `json:"channels,omitempty"`
	Parameters           map[string]any `json:"parameters"`
	RtcpFeedback         []any          `json:"rtcpFeedback"`
}

type rtpHdrExtCap struct {
	Kind        string `json:"kind"`
	URI         string `json:"uri"`
	PreferredID int    `json:"preferredId"`
	Encrypt     bool   `json:"preferredEncrypt"`
	Direction   string `json:"direction,omitempty"`
}

type rtpCaps struct {
	Codecs           []rtpCodecCap  `json:"codecs"`
	HeaderExtensions []rtpHdrExtCap `json:"headerExtensions"`
}

type transportInfo struct {
	ID            string `json:"id"`
	IceParameters webrtc.ICEParameters
	IceCandidates []struct {
		Foundation string `json:"foundation"`
		Priority   uint32 `json:"priority"`
		IP         string `json:"ip"`
		Address    string `json:"address"`
		Protocol   string `json:"protocol"`
		Port       uint16 `json:"port"`
	} `json:"iceCandidates"`
	DtlsParameters struct {
		Fingerprints []webrtc.DTLSFingerprint `json:"fingerprints"`
	} `json:"dtlsParameters"`
}

type consumerView struct {
	ID             string `json:"id"`
	ProducerID     string `json:"producerId"`
	ParticipantID  string `json:"participantId"`
	Kind           string `json:"kind"`
	Source         string `json:"source"`
	ProducerPaused bool   `json:"producerPaused"`
	RtpParameters  struct {
		Codecs []struct {
			MimeType    string `json:"mimeType"`
			PayloadType int    `json:"payloadType"`
			ClockRate   int    `json:"clockRate"`
		} `json:"codecs"`
		Encodings []struct {
			SSRC uint32 `json:"ssrc"`
		} `json:"encodings"`
	} `json:"rtpParameters"`
}

type ortcTransport struct {
	id     string
	ice    *webrtc.ICETransport
	dtls   *webrtc.DTLSTransport
	gather *webrtc.ICEGatherer
}

type consumed struct {
	view     consumerView
	receiver *webrtc.RTPReceiver
	counter  *streamCounter
}

// conveneSession is one participant.
type conveneSession struct {
	p        ParticipantPlan
	plan     *Plan
	lib      *Library
	res      *ParticipantResult
	sig      *signaling
	api      *webrtc.API
	caps     rtpCaps
	joinedAt time.Time

	mu        sync.Mutex
	names     map[string]string // participantId → displayName
	send      *ortcTransport
	recv      *ortcTransport
	consumers map[string]*consumed
	// Notifications about consumers still being set up (consumer.added is handled off the
	// read loop, so a quick consumer.closed/paused can overtake it).
	closedEarly map[string]bool
	pausedEarly map[string]bool
	early       []consumerView
	// Per video sender: set when the SFU asked for a keyframe.
	keyframeRequests map[*webrtc.TrackLocalStaticRTP]*atomic.Bool
	stop             chan struct{}
	wg               sync.WaitGroup
	clock            func() time.Duration
}

func newSettingEngine() webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	// Loopback only: the bench never touches another interface.
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return se
}

func (s *conveneSession) onNotification(name string, data json.RawMessage) {
	switch name {
	case "roster.joined", "roster.updated":
		var d struct {
			Participant struct{ ID, DisplayName string } `json:"participant"`
		}
		if json.Unmarshal(data, &d) == nil {
			s.mu.Lock()
			s.names[d.Participant.ID] = d.Participant.DisplayName
			s.mu.Unlock()
		}
	case "speaker.active", "consumer.layersChanged":
		at := time.Since(clientStart).Seconds()
		s.mu.Lock()
		if name == "speaker.active" && len(s.res.SpeakerChangesS) < 100 {
			s.res.SpeakerChangesS = append(s.res.SpeakerChangesS, at)
		} else if name == "consumer.layersChanged" && len(s.res.LayerChangesS) < 100 {
			s.res.LayerChangesS = append(s.res.LayerChangesS, at)
		}
		s.mu.Unlock()
	case "consumer.added":
		var v consumerView
		if json.Unmarshal(data, &v) == nil {
			// Off the read loop: consuming makes a request whose answer that loop delivers.
			go s.addConsumer(v)
		}
	case "consumer.closed":
		var d struct{ ConsumerID string }
		if json.Unmarshal(data, &d) == nil {
			s.closeConsumer(d.ConsumerID)
		}
	case "consumer.paused", "consumer.resumed":
		var d struct{ ConsumerID string }
		if json.Unmarshal(data, &d) == nil {
			s.mu.Lock()
			c := s.consumers[d.ConsumerID]
			if c == nil {
				s.pausedEarly[d.ConsumerID] = name == "consumer.paused"
			}
			s.mu.Unlock()
			if c != nil {
				c.counter.setPaused(name == "consumer.paused")
			}
		}
	}
}

func (s *conveneSession) run(deadline time.Time) {
	s.names = map[string]string{}
	s.consumers = map[string]*consumed{}
	s.closedEarly = map[string]bool{}
	s.pausedEarly = map[string]bool{}
	s.stop = make(chan struct{})
	defer s.finish()
	sig, err := dialSignaling(s.plan.WsURL, s.onNotification)
	if err != nil {
		s.res.Error = "connect: " + err.Error()
		return
	}
	s.sig = sig
	if err := sig.request("hello", map[string]any{"protocolVersion": 1}, nil, reqTimeout); err != nil {
		s.res.Error = "hello: " + err.Error()
		return
	}
	s.joinedAt = time.Now()
	var joined struct {
		ParticipantID         string                             `json:"participantId"`
		State                 string                             `json:"state"`
		RouterRtpCapabilities rtpCaps                            `json:"routerRtpCapabilities"`
		Roster                []struct{ ID, DisplayName string } `json:"roster"`
	}
	mode := s.p.Mode
	if err := sig.request("join", map[string]any{"address": s.p.Room, "displayName": s.p.Name, "mode": mode, "bandwidthKbps": s.p.BandwidthKbps}, &joined, reqTimeout); err != nil {
		s.res.Error = "join: " + err.Error()
		return
	}
	if joined.State != "joined" {
		s.res.Error = "join: state " + joined.State
		return
	}
	s.res.ParticipantID = joined.ParticipantID
	s.res.JoinMs = float64(time.Since(s.joinedAt).Microseconds()) / 1000
	s.mu.Lock()
	for _, r := range joined.Roster {
		s.names[r.ID] = r.DisplayName
	}
	s.mu.Unlock()
	s.caps = joined.RouterRtpCapabilities
	if s.api, err = s.buildAPI(); err != nil {
		s.res.Error = "api: " + err.Error()
		return
	}
	if err := sig.request("media.setCapabilities", map[string]any{"rtpCapabilities": s.clientCaps()}, nil, reqTimeout); err != nil {
		s.res.Error = "setCapabilities: " + err.Error()
		return
	}
	if s.p.Receive {
		t, err := s.openTransport("recv")
		if err != nil {
			s.res.Error = "recv transport: " + err.Error()
			return
		}
		s.mu.Lock()
		s.recv = t
		early := s.early
		s.early = nil
		s.mu.Unlock()
		for _, v := range early {
			go s.addConsumer(v)
		}
	}
	if s.p.Audio != "none" || s.p.Video != "none" {
		t, err := s.openTransport("send")
		if err != nil {
			s.res.Error = "send transport: " + err.Error()
			return
		}
		s.send = t
		if err := s.produce(); err != nil {
			s.res.Error = "produce: " + err.Error()
			return
		}
	}
	s.res.Joined = true
	if waitForEnd(deadline, sig.closed) {
		s.res.Error = "signalling closed by server"
	}
}

func (s *conveneSession) finish() {
	close(s.stop)
	now := time.Now()
	s.mu.Lock()
	for _, c := range s.consumers {
		s.res.Streams = append(s.res.Streams, c.counter.snapshot(now))
	}
	s.mu.Unlock()
	if s.sig != nil {
		_ = s.sig.request("leave", map[string]any{}, nil, 3*time.Second)
		s.sig.close()
	}
	teardownBounded(3*time.Second, func() {
		for _, t := range []*ortcTransport{s.send, s.recv} {
			if t != nil {
				_ = t.dtls.Stop()
				_ = t.ice.Stop()
			}
		}
	})
}

func findCodec(caps rtpCaps, mime string) *rtpCodecCap {
	for i := range caps.Codecs {
		if strings.EqualFold(caps.Codecs[i].MimeType, mime) {
			return &caps.Codecs[i]
		}
	}
	return nil
}

func (s *conveneSession) audioLevelID() int {
	for _, h := range s.caps.HeaderExtensions {
		if h.URI == audioLevelURI && h.Kind == "audio" {
			return h.PreferredID
		}
	}
	return 0
}

const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// buildAPI registers the router's codecs at the router's payload types, so what we send and what
// consumers carry both resolve.
func (s *conveneSession) buildAPI() (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	reg := func(mime string, kind webrtc.RTPCodecType, clock uint32, ch uint16, fmtp string) error {
		c := findCodec(s.caps, mime)
		if c == nil {
			return fmt.Errorf("router offers no %s", mime)
		}
		return me.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: clock, Channels: ch, SDPFmtpLine: fmtp},
			PayloadType:        webrtc.PayloadType(c.PreferredPayloadType),
		}, kind)
	}
	if err := reg(webrtc.MimeTypeOpus, webrtc.RTPCodecTypeAudio, 48000, 2, "minptime=10;useinbandfec=1"); err != nil {
		return nil, err
	}
	if err := reg(webrtc.MimeTypeVP8, webrtc.RTPCodecTypeVideo, 90000, 0, ""); err != nil {
		return nil, err
	}
	if err := reg(webrtc.MimeTypeH264, webrtc.RTPCodecTypeVideo, 90000, 0, h264Fmtp); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(newSettingEngine())), nil
}

// clientCaps: the router's codecs without RTX, feedback or header extensions. Without
// transport-cc/REMB the SFU runs no bandwidth estimation towards us, so simulcast layers follow
// the SFU's own layer choice; without NACK/RTX what we count as lost is really lost.
func (s *conveneSession) clientCaps() map[string]any {
	var codecs []map[string]any
	for _, c := range s.caps.Codecs {
		if strings.HasSuffix(strings.ToLower(c.MimeType), "/rtx") {
			continue
		}
		m := map[string]any{"kind": c.Kind, "mimeType": c.MimeType, "preferredPayloadType": c.PreferredPayloadType, "clockRate": c.ClockRate, "parameters": c.Parameters, "rtcpFeedback": []any{}}
		if c.Channels > 0 {
			m["channels"] = c.Channels
		}
		codecs = append(codecs, m)
	}
	return map[string]any{"codecs": codecs, "headerExtensions": []any{}}
}

func (s *conveneSession) openTransport(direction string) (*ortcTransport, error) {
	var info transportInfo
	if err := s.sig.request("transport.create", map[string]any{"direction": direction}, &info, reqTimeout); err != nil {
		return nil, err
	}
	gatherer, err := s.api.NewICEGatherer(webrtc.ICEGatherOptions{})
	if err != nil {
		return nil, err
	}
	iceT := s.api.NewICETransport(gatherer)
	dtls, err := s.api.NewDTLSTransport(iceT, nil)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	var once sync.Once
	gatherer.OnLocalCandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			once.Do(func() { close(done) })
		}
	})
	if err := gatherer.Gather(); err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return nil, errors.New("ICE gathering timed out")
	}
	var remote []webrtc.ICECandidate
	for _, c := range info.IceCandidates {
		if strings.ToLower(c.Protocol) != "udp" {
			continue
		}
		addr := c.Address
		if addr == "" {
			addr = c.IP
		}
		remote = append(remote, webrtc.ICECandidate{Foundation: c.Foundation, Priority: c.Priority, Address: addr, Protocol: webrtc.ICEProtocolUDP, Port: c.Port, Typ: webrtc.ICECandidateTypeHost})
	}
	if err := iceT.SetRemoteCandidates(remote); err != nil {
		return nil, err
	}
	local, err := dtls.GetLocalParameters()
	if err != nil {
		return nil, err
	}
	fps := make([]map[string]string, 0, len(local.Fingerprints))
	for _, f := range local.Fingerprints {
		fps = append(fps, map[string]string{"algorithm": f.Algorithm, "value": strings.ToUpper(f.Value)})
	}
	if err := s.sig.request("transport.connect", map[string]any{"transportId": info.ID, "dtlsParameters": map[string]any{"role": "client", "fingerprints": fps}}, nil, reqTimeout); err != nil {
		return nil, err
	}
	role := webrtc.ICERoleControlling
	if err := iceT.Start(gatherer, info.IceParameters, &role); err != nil {
		return nil, fmt.Errorf("ICE: %w", err)
	}
	if err := dtls.Start(webrtc.DTLSParameters{Role: webrtc.DTLSRoleServer, Fingerprints: info.DtlsParameters.Fingerprints}); err != nil {
		return nil, fmt.Errorf("DTLS: %w", err)
	}
	return &ortcTransport{id: info.ID, ice: iceT, dtls: dtls, gather: gatherer}, nil
}

func (s *conveneSession) newSender(mime, fmtp string, kind string) (*webrtc.TrackLocalStaticRTP, uint32, error) {
	capab := webrtc.RTPCodecCapability{MimeType: mime, SDPFmtpLine: fmtp}
	if mime == webrtc.MimeTypeOpus {
		capab.ClockRate, capab.Channels, capab.SDPFmtpLine = 48000, 2, "minptime=10;useinbandfec=1"
	} else {
		capab.ClockRate = 90000
	}
	track, err := webrtc.NewTrackLocalStaticRTP(capab, kind, s.p.Name)
	if err != nil {
		return nil, 0, err
	}
	sender, err := s.api.NewRTPSender(track, s.send.dtls)
	if err != nil {
		return nil, 0, err
	}
	ssrc := rand.Uint32()>>1 + 1
	params := sender.GetParameters()
	params.Encodings[0].SSRC = webrtc.SSRC(ssrc)
	if err := sender.Send(params); err != nil {
		return nil, 0, err
	}
	// Read RTCP so the SRTCP buffers never fill; a PLI/FIR asks for a keyframe, which the
	// video loop answers by jumping to one (as a browser's encoder would produce one).
	keyframeWanted := &atomic.Bool{}
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					keyframeWanted.Store(true)
				}
			}
		}
	}()
	s.mu.Lock()
	if s.keyframeRequests == nil {
		s.keyframeRequests = map[*webrtc.TrackLocalStaticRTP]*atomic.Bool{}
	}
	s.keyframeRequests[track] = keyframeWanted
	s.mu.Unlock()
	return track, ssrc, nil
}

func (s *conveneSession) produce() error {
	cname := fmt.Sprintf("bench-%d", rand.Int63())
	if s.p.Audio != "none" {
		opus := findCodec(s.caps, webrtc.MimeTypeOpus)
		track, ssrc, err := s.newSender(webrtc.MimeTypeOpus, "", "audio")
		if err != nil {
			return err
		}
		levelID := s.audioLevelID()
		exts := []any{}
		if levelID != 0 {
			exts = append(exts, map[string]any{"uri": audioLevelURI, "id": levelID, "encrypt": false, "parameters": map[string]any{}})
		}
		params := map[string]any{
			"codecs":           []any{map[string]any{"mimeType": opus.MimeType, "payloadType": opus.PreferredPayloadType, "clockRate": 48000, "channels": 2, "parameters": map[string]any{"useinbandfec": 1, "usedtx": 1}, "rtcpFeedback": []any{}}},
			"headerExtensions": exts,
			"encodings":        []any{map[string]any{"ssrc": ssrc, "dtx": true}},
			"rtcp":             map[string]any{"cname": cname, "reducedSize": true},
		}
		if err := s.sig.request("producer.create", map[string]any{"transportId": s.send.id, "kind": "audio", "rtpParameters": params, "source": "mic"}, nil, reqTimeout); err != nil {
			return err
		}
		s.res.Produced = append(s.res.Produced, "audio")
		s.goSend(func() {
			sendAudio(track, s.lib.Opus, uint8(levelID), s.speaking, s.stop, &s.res.PacketsSent, voiceCounter(s.p.Name))
		})
	}
	switch s.p.Video {
	case "simulcast", "vp8":
		vp8 := findCodec(s.caps, webrtc.MimeTypeVP8)
		layers := []int{2}
		if s.p.Video == "simulcast" {
			layers = []int{0, 1, 2}
		}
		var encodings []any
		var tracks []*webrtc.TrackLocalStaticRTP
		for _, l := range layers {
			track, ssrc, err := s.newSender(webrtc.MimeTypeVP8, "", "video")
			if err != nil {
				return err
			}
			tracks = append(tracks, track)
			encodings = append(encodings, map[string]any{"ssrc": ssrc, "scalabilityMode": "L1T1", "maxBitrate": s.plan.LayerKbps[l] * 1000})
		}
		params := map[string]any{
			"codecs":           []any{map[string]any{"mimeType": vp8.MimeType, "payloadType": vp8.PreferredPayloadType, "clockRate": 90000, "parameters": map[string]any{}, "rtcpFeedback": []any{map[string]any{"type": "nack", "parameter": "pli"}, map[string]any{"type": "ccm", "parameter": "fir"}}}},
			"headerExtensions": []any{},
			"encodings":        encodings,
			"rtcp":             map[string]any{"cname": cname, "reducedSize": true},
		}
		if err := s.sig.request("producer.create", map[string]any{"transportId": s.send.id, "kind": "video", "rtpParameters": params, "source": "camera"}, nil, reqTimeout); err != nil {
			return err
		}
		s.res.Produced = append(s.res.Produced, s.p.Video)
		for i, l := range layers {
			track, clip := tracks[i], s.lib.VP8[l]
			want := s.keyframeRequests[track]
			s.goSend(func() { sendVideo(track, clip, "vp8", want, s.stop, &s.res.PacketsSent) })
		}
	case "h264":
		h264 := findCodec(s.caps, webrtc.MimeTypeH264)
		track, ssrc, err := s.newSender(webrtc.MimeTypeH264, h264Fmtp, "video")
		if err != nil {
			return err
		}
		params := map[string]any{
			"codecs":           []any{map[string]any{"mimeType": h264.MimeType, "payloadType": h264.PreferredPayloadType, "clockRate": 90000, "parameters": map[string]any{"packetization-mode": 1, "profile-level-id": "42e01f", "level-asymmetry-allowed": 1}, "rtcpFeedback": []any{map[string]any{"type": "nack", "parameter": "pli"}}}},
			"headerExtensions": []any{},
			"encodings":        []any{map[string]any{"ssrc": ssrc}},
			"rtcp":             map[string]any{"cname": cname, "reducedSize": true},
		}
		if err := s.sig.request("producer.create", map[string]any{"transportId": s.send.id, "kind": "video", "rtpParameters": params, "source": "camera"}, nil, reqTimeout); err != nil {
			return err
		}
		s.res.Produced = append(s.res.Produced, "h264")
		want := s.keyframeRequests[track]
		s.goSend(func() { sendVideo(track, s.lib.H264, "h264", want, s.stop, &s.res.PacketsSent) })
	}
	return nil
}

func (s *conveneSession) goSend(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// speaking: "always", "never", or a rotation slot: slot k speaks during every k-th switch period.
func (s *conveneSession) speaking() bool {
	return isSpeaking(s.p, s.plan, s.clock())
}

func (s *conveneSession) addConsumer(v consumerView) {
	s.mu.Lock()
	if s.recv == nil {
		s.early = append(s.early, v)
		s.mu.Unlock()
		return
	}
	recv := s.recv
	name := s.names[v.ParticipantID]
	s.mu.Unlock()
	if name == "" {
		name = v.ParticipantID
	}
	if len(v.RtpParameters.Codecs) == 0 || len(v.RtpParameters.Encodings) == 0 {
		return
	}
	codec := v.RtpParameters.Codecs[0]
	kind := webrtc.RTPCodecTypeAudio
	if v.Kind == "video" {
		kind = webrtc.RTPCodecTypeVideo
	}
	receiver, err := s.api.NewRTPReceiver(kind, recv.dtls)
	if err != nil {
		return
	}
	ssrc := v.RtpParameters.Encodings[0].SSRC
	if err := receiver.Receive(webrtc.RTPReceiveParameters{Encodings: []webrtc.RTPDecodingParameters{{RTPCodingParameters: webrtc.RTPCodingParameters{SSRC: webrtc.SSRC(ssrc), PayloadType: webrtc.PayloadType(codec.PayloadType)}}}}); err != nil {
		return
	}
	codecName := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(codec.MimeType, "video/"), "audio/"))
	counter := newStreamCounter(name, v.Kind, codecName, float64(codec.ClockRate), s.joinedAt)
	counter.setPaused(v.ProducerPaused)
	c := &consumed{view: v, receiver: receiver, counter: counter}
	s.mu.Lock()
	s.consumers[v.ID] = c
	closedAlready := s.closedEarly[v.ID]
	if p, ok := s.pausedEarly[v.ID]; ok {
		counter.setPaused(p)
	}
	s.mu.Unlock()
	if closedAlready {
		s.closeConsumer(v.ID)
		return
	}
	go countRTP(receiver.Track(), counter)
	drainReceiverRTCP(receiver)
	_ = s.sig.request("consumer.resume", map[string]any{"consumerId": v.ID}, nil, reqTimeout)
}

func (s *conveneSession) closeConsumer(id string) {
	s.mu.Lock()
	c := s.consumers[id]
	if c == nil {
		s.closedEarly[id] = true
	}
	s.mu.Unlock()
	if c == nil {
		return
	}
	c.counter.markClosed(time.Now())
	_ = c.receiver.Stop()
}
