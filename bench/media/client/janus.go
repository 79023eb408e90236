package main

// One participant on Janus VideoRoom (Janus 1.x multistream API over its WebSocket transport):
// publishers join as "publisher" and publish an offer from a pion PeerConnection (Opus, and
// VP8 as one layer — the top one — or H.264); receivers list the room's publishers once every
// join has had time to happen and subscribe to all their audio and to the video of the first
// `lastN` video publishers (Janus has no last-N of its own; this mirrors the raw mediasoup floor).

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

const janusLastN = 9

type janusMsg struct {
	Janus       string          `json:"janus"`
	Transaction string          `json:"transaction"`
	SessionID   uint64          `json:"session_id"`
	Sender      uint64          `json:"sender"`
	Data        json.RawMessage `json:"data"`
	PluginData  struct {
		Data json.RawMessage `json:"data"`
	} `json:"plugindata"`
	Jsep  *webrtc.SessionDescription `json:"jsep"`
	Error *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"error"`
}

type janusConn struct {
	ws      *websocket.Conn
	writeMu sync.Mutex
	mu      sync.Mutex
	waiters map[string]chan janusMsg
	session uint64
	closed  chan struct{}
}

func dialJanus(url string) (*janusConn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{"janus-protocol"}}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	c := &janusConn{ws: ws, waiters: map[string]chan janusMsg{}, closed: make(chan struct{})}
	go func() {
		defer close(c.closed)
		for {
			_, raw, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m janusMsg
			if json.Unmarshal(raw, &m) != nil || m.Transaction == "" || m.Janus == "ack" {
				continue
			}
			c.mu.Lock()
			ch := c.waiters[m.Transaction]
			delete(c.waiters, m.Transaction)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}()
	return c, nil
}

// call sends one Janus request and waits for its final answer (success, error or the plugin's
// asynchronous event for the same transaction).
func (c *janusConn) call(body map[string]any, timeout time.Duration) (janusMsg, error) {
	tx := fmt.Sprintf("t%d", rand.Int63())
	body["transaction"] = tx
	if c.session != 0 {
		body["session_id"] = c.session
	}
	ch := make(chan janusMsg, 1)
	c.mu.Lock()
	c.waiters[tx] = ch
	c.mu.Unlock()
	raw, _ := json.Marshal(body)
	c.writeMu.Lock()
	err := c.ws.WriteMessage(websocket.TextMessage, raw)
	c.writeMu.Unlock()
	if err != nil {
		return janusMsg{}, err
	}
	select {
	case m := <-ch:
		if m.Janus == "error" && m.Error != nil {
			return m, fmt.Errorf("janus %d: %s", m.Error.Code, m.Error.Reason)
		}
		var pe struct {
			ErrorCode int    `json:"error_code"`
			Error     string `json:"error"`
		}
		if json.Unmarshal(m.PluginData.Data, &pe) == nil && pe.ErrorCode != 0 {
			return m, fmt.Errorf("plugin %d: %s", pe.ErrorCode, pe.Error)
		}
		return m, nil
	case <-time.After(timeout):
		c.mu.Lock()
		delete(c.waiters, tx)
		c.mu.Unlock()
		return janusMsg{}, errors.New("janus: timed out")
	case <-c.closed:
		return janusMsg{}, errors.New("janus: socket closed")
	}
}

func (c *janusConn) attach() (uint64, error) {
	return c.attachPlugin("janus.plugin.videoroom")
}

func (c *janusConn) attachPlugin(plugin string) (uint64, error) {
	m, err := c.call(map[string]any{"janus": "attach", "plugin": plugin}, reqTimeout)
	if err != nil {
		return 0, err
	}
	var d struct{ ID uint64 }
	_ = json.Unmarshal(m.Data, &d)
	return d.ID, nil
}

// createSession creates the Janus session every later request belongs to and keeps it alive
// (Janus drops a session silent for session_timeout) until stop closes.
func (c *janusConn) createSession(stop <-chan struct{}) error {
	m, err := c.call(map[string]any{"janus": "create"}, reqTimeout)
	if err != nil {
		return err
	}
	var d struct{ ID uint64 }
	_ = json.Unmarshal(m.Data, &d)
	c.session = d.ID
	go func() {
		t := time.NewTicker(20 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				go func() { _, _ = c.call(map[string]any{"janus": "keepalive"}, 5*time.Second) }()
			}
		}
	}()
	return nil
}

func (c *janusConn) message(handle uint64, body map[string]any, jsep *webrtc.SessionDescription) (janusMsg, error) {
	req := map[string]any{"janus": "message", "handle_id": handle, "body": body}
	if jsep != nil {
		req["jsep"] = jsep
	}
	return c.call(req, reqTimeout)
}

// openJanus is the opening every Janus participant shares: connect, create a kept-alive session
// (until stop closes) and attach plugin. The connection comes back even when a later step failed,
// so that it is still hung up; the error names the step. attachStart is when the attach began,
// the start of the participant's join time.
func openJanus(url, plugin string, stop <-chan struct{}) (conn *janusConn, handle uint64, attachStart time.Time, err error) {
	if conn, err = dialJanus(url); err != nil {
		return nil, 0, attachStart, fmt.Errorf("connect: %w", err)
	}
	if err = conn.createSession(stop); err != nil {
		return conn, 0, attachStart, fmt.Errorf("create session: %w", err)
	}
	attachStart = time.Now()
	if handle, err = conn.attachPlugin(plugin); err != nil {
		return conn, 0, attachStart, fmt.Errorf("attach: %w", err)
	}
	return conn, handle, attachStart, nil
}

// hangUp destroys the session (and with it its handles) and closes the socket.
func (c *janusConn) hangUp() {
	_, _ = c.call(map[string]any{"janus": "destroy"}, 3*time.Second)
	_ = c.ws.Close()
}

type janusSession struct {
	p     ParticipantPlan
	plan  *Plan
	lib   *Library
	res   *ParticipantResult
	clock func() time.Duration

	conn     *janusConn
	room     uint64
	pcs      []*webrtc.PeerConnection
	stop     chan struct{}
	mu       sync.Mutex
	counters []*streamCounter
}

func janusRoomID(name string) uint64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return uint64(h.Sum32()%1_000_000_000) + 1000
}

func (s *janusSession) api() *webrtc.API { return janusWebRTCAPI() }

func janusWebRTCAPI() *webrtc.API {
	me := &webrtc.MediaEngine{}
	_ = me.RegisterDefaultCodecs()
	// libnice (Janus) never offers loopback candidates, so Janus gets this host's own IPv4
	// addresses: still one machine (the kernel routes them over lo), but not 127.0.0.1.
	se := newSettingEngine()
	se.SetIncludeLoopbackCandidate(false)
	se.SetIPFilter(func(ip net.IP) bool { return ip.To4() != nil })
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
}

func (s *janusSession) run(deadline time.Time) {
	s.stop = make(chan struct{})
	defer s.finish()
	conn, handle, joinStart, err := openJanus(s.plan.WsURL, "janus.plugin.videoroom", s.stop)
	s.conn = conn
	if err != nil {
		s.res.Error = err.Error()
		return
	}
	s.room = janusRoomID(s.p.Room)
	// Everyone tries to create the room; "already exists" (427) is fine.
	if _, err := conn.message(handle, map[string]any{"request": "create", "room": s.room, "publishers": 100, "bitrate": 0, "videocodec": "vp8,h264", "audiocodec": "opus", "notify_joining": false}, nil); err != nil && !strings.Contains(err.Error(), "427") {
		s.res.Error = "create room: " + err.Error()
		return
	}
	if _, err := conn.message(handle, map[string]any{"request": "join", "ptype": "publisher", "room": s.room, "display": s.p.Name}, nil); err != nil {
		s.res.Error = "join: " + err.Error()
		return
	}
	s.res.JoinMs = float64(time.Since(joinStart).Microseconds()) / 1000
	if s.p.Audio != "none" || s.p.Video != "none" {
		if err := s.publish(handle); err != nil {
			s.res.Error = "publish: " + err.Error()
			return
		}
	}
	if s.p.Receive {
		// Subscribe once every participant had time to join and publish.
		settle := time.Duration(s.plan.JoinSpreadMs)*time.Millisecond + 2*time.Second - s.clock()
		if settle > 0 {
			time.Sleep(settle)
		}
		if err := s.subscribe(); err != nil {
			s.res.Error = "subscribe: " + err.Error()
			return
		}
	}
	s.res.Joined = true
	if waitForEnd(deadline, conn.closed) {
		s.res.Error = "janus socket closed"
	}
}

func (s *janusSession) finish() {
	close(s.stop)
	now := time.Now()
	s.mu.Lock()
	for _, c := range s.counters {
		s.res.Streams = append(s.res.Streams, c.snapshot(now))
	}
	s.mu.Unlock()
	teardownBounded(5*time.Second, func() {
		for _, pc := range s.pcs {
			_ = pc.Close()
		}
		if s.conn != nil {
			s.conn.hangUp()
		}
	})
}

func gatheredOffer(pc *webrtc.PeerConnection, offer bool, remote *webrtc.SessionDescription) (*webrtc.SessionDescription, error) {
	if remote != nil {
		if err := pc.SetRemoteDescription(*remote); err != nil {
			return nil, err
		}
	}
	var desc webrtc.SessionDescription
	var err error
	if offer {
		desc, err = pc.CreateOffer(nil)
	} else {
		desc, err = pc.CreateAnswer(nil)
	}
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return nil, err
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return nil, errors.New("ICE gathering timed out")
	}
	return pc.LocalDescription(), nil
}

func (s *janusSession) publish(handle uint64) error {
	pc, err := s.api().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	s.pcs = append(s.pcs, pc)
	var starts []func()
	if s.p.Audio != "none" {
		track, err := addOpusTrack(pc, s.p.Name, webrtc.RTPTransceiverDirectionSendonly)
		if err != nil {
			return err
		}
		starts = append(starts, func() {
			sendAudio(track, s.lib.Opus, 0, func() bool { return isSpeaking(s.p, s.plan, s.clock()) }, s.stop, &s.res.PacketsSent, voiceCounter(s.p.Name))
		})
		s.res.Produced = append(s.res.Produced, "audio")
	}
	if s.p.Video != "none" {
		mime, clip, codec := webrtc.MimeTypeVP8, s.lib.VP8[2], "vp8"
		if s.p.Video == "h264" {
			mime, clip, codec = webrtc.MimeTypeH264, s.lib.H264, "h264"
		}
		capab := webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}
		if codec == "h264" {
			capab.SDPFmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
		}
		track, err := webrtc.NewTrackLocalStaticRTP(capab, "video", s.p.Name)
		if err != nil {
			return err
		}
		tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return err
		}
		want := &atomic.Bool{}
		drainRTCP(tr.Sender(), want)
		starts = append(starts, func() { sendVideo(track, clip, codec, want, s.stop, &s.res.PacketsSent) })
		s.res.Produced = append(s.res.Produced, map[bool]string{true: "vp8", false: "h264"}[codec == "vp8"])
	}
	offer, err := gatheredOffer(pc, true, nil)
	if err != nil {
		return err
	}
	m, err := s.conn.message(handle, map[string]any{"request": "publish"}, offer)
	if err != nil {
		return err
	}
	if m.Jsep == nil {
		return errors.New("no answer from janus")
	}
	if err := pc.SetRemoteDescription(*m.Jsep); err != nil {
		return err
	}
	for _, f := range starts {
		go f()
	}
	return nil
}

// addOpusTrack adds the Opus track a participant sends its clip on (direction: sendonly, or
// sendrecv where the same transceiver receives the mix), with its RTCP drained.
func addOpusTrack(pc *webrtc.PeerConnection, name string, direction webrtc.RTPTransceiverDirection) (*webrtc.TrackLocalStaticRTP, error) {
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", name)
	if err != nil {
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: direction})
	if err != nil {
		return nil, err
	}
	drainRTCP(tr.Sender(), nil)
	return track, nil
}

func drainRTCP(sender *webrtc.RTPSender, keyframeWanted *atomic.Bool) {
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					if keyframeWanted != nil {
						keyframeWanted.Store(true)
					}
				}
			}
		}
	}()
}

func (s *janusSession) subscribe() error {
	handle, err := s.conn.attach()
	if err != nil {
		return err
	}
	m, err := s.conn.message(handle, map[string]any{"request": "listparticipants", "room": s.room}, nil)
	if err != nil {
		return err
	}
	var list struct {
		Participants []struct {
			ID        uint64 `json:"id"`
			Display   string `json:"display"`
			Publisher bool   `json:"publisher"`
		} `json:"participants"`
	}
	_ = json.Unmarshal(m.PluginData.Data, &list)
	planOf := map[string]ParticipantPlan{}
	for _, p := range s.plan.Participants {
		if p.Room == s.p.Room {
			planOf[p.Name] = p
		}
	}
	sort.Slice(list.Participants, func(i, j int) bool { return list.Participants[i].Display < list.Participants[j].Display })
	var streams []map[string]any
	videos := 0
	for _, p := range list.Participants {
		pp, ok := planOf[p.Display]
		if !p.Publisher || !ok || p.Display == s.p.Name {
			continue
		}
		// Our publishers' mids: audio first ("0") when there is audio, then video.
		mid := 0
		if pp.Audio != "none" {
			streams = append(streams, map[string]any{"feed": p.ID, "mid": "0"})
			mid = 1
		}
		if pp.Video != "none" && s.p.Mode == "video" && videos < janusLastN {
			streams = append(streams, map[string]any{"feed": p.ID, "mid": fmt.Sprint(mid)})
			videos++
		}
	}
	if len(streams) == 0 {
		return nil
	}
	subscribedAt := time.Now()
	m, err = s.conn.message(handle, map[string]any{"request": "join", "ptype": "subscriber", "room": s.room, "streams": streams}, nil)
	if err != nil {
		return err
	}
	if m.Jsep == nil {
		return errors.New("no offer from janus")
	}
	var attached struct {
		Streams []struct {
			Mid         string `json:"mid"`
			Type        string `json:"type"`
			FeedDisplay string `json:"feed_display"`
		} `json:"streams"`
	}
	_ = json.Unmarshal(m.PluginData.Data, &attached)
	byMid := map[string]string{}
	for _, st := range attached.Streams {
		byMid[st.Mid] = st.FeedDisplay
	}
	pc, err := s.api().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	s.pcs = append(s.pcs, pc)
	pc.OnTrack(func(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		mid := ""
		for _, t := range pc.GetTransceivers() {
			if t.Receiver() == receiver {
				mid = t.Mid()
			}
		}
		codec := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(track.Codec().MimeType, "video/"), "audio/"))
		counter := newStreamCounter(byMid[mid], track.Kind().String(), codec, float64(track.Codec().ClockRate), subscribedAt)
		s.mu.Lock()
		s.counters = append(s.counters, counter)
		s.mu.Unlock()
		drainReceiverRTCP(receiver)
		countRTP(track, counter)
	})
	answer, err := gatheredOffer(pc, false, m.Jsep)
	if err != nil {
		return err
	}
	_, err = s.conn.message(handle, map[string]any{"request": "start"}, answer)
	return err
}
