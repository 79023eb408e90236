// Command convene-media-load is the media-plane load client of bench/media: publishers send
// pre-encoded Opus/VP8 (simulcast)/H.264 over real WebRTC (ICE, DTLS, SRTP), subscribers receive,
// depacketise and count. It reads a plan (JSON), runs it for a bounded time and writes results
// (JSON). Usage: convene-media-load -plan plan.json -out results.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// endEarly closes on SIGTERM: every participant leaves as at its deadline and the results are
// written, so a bench can end the client as soon as its measurement window is over.
var endEarly = make(chan struct{})

// Plan is one scenario step: who joins which room, sending and receiving what, for how long.
type Plan struct {
	Server         string            `json:"server"` // "convene" (also the raw mediasoup script), "janus" (VideoRoom) or "janus-audiobridge"
	WsURL          string            `json:"wsUrl"`
	MediaDir       string            `json:"mediaDir"`
	FPS            int               `json:"fps"`
	DurationS      float64           `json:"durationS"`      // how long everyone stays after the last join starts
	JoinSpreadMs   int               `json:"joinSpreadMs"`   // joins are spread evenly over this
	SpeakerSwitchS float64           `json:"speakerSwitchS"` // rotation period of speakers with a slot
	SpeakerSlots   int               `json:"speakerSlots"`
	LayerKbps      [3]int            `json:"layerKbps"`
	Participants   []ParticipantPlan `json:"participants"`
}

// ParticipantPlan is one simulated participant.
type ParticipantPlan struct {
	Name          string `json:"name"`
	Room          string `json:"room"`
	Mode          string `json:"mode"` // video | audio-only
	BandwidthKbps int    `json:"bandwidthKbps"`
	Audio         string `json:"audio"` // none | always | never (DTX) | slot
	SpeakerSlot   int    `json:"speakerSlot"`
	Video         string `json:"video"` // none | simulcast | vp8 | h264
	Receive       bool   `json:"receive"`
}

// ParticipantResult is what one participant saw.
type ParticipantResult struct {
	Name          string        `json:"name"`
	Room          string        `json:"room"`
	ParticipantID string        `json:"participantId,omitempty"`
	Joined        bool          `json:"joined"`
	Error         string        `json:"error,omitempty"`
	JoinMs        float64       `json:"joinMs"`
	Produced      []string      `json:"produced"`
	PacketsSent   uint64        `json:"packetsSent"`
	Streams       []StreamStats `json:"streams"`
	// Convene's speaker.active and consumer.layersChanged notifications, seconds since the client
	// started (at most 100 each).
	SpeakerChangesS []float64 `json:"speakerChangesS,omitempty"`
	LayerChangesS   []float64 `json:"layerChangesS,omitempty"`
}

// Results is the client's output.
type Results struct {
	StartedAt time.Time `json:"startedAt"`
	WallS     float64   `json:"wallS"`
	// KeyframesOnRequest: PLI/FIR from the SFU that publishers answered with a keyframe.
	KeyframesOnRequest uint64              `json:"keyframesOnRequest"`
	Participants       []ParticipantResult `json:"participants"`
}

func isSpeaking(p ParticipantPlan, plan *Plan, elapsed time.Duration) bool {
	switch p.Audio {
	case "always":
		return true
	case "slot":
		if plan.SpeakerSlots <= 0 || plan.SpeakerSwitchS <= 0 {
			return p.SpeakerSlot == 0
		}
		period := int(elapsed.Seconds() / plan.SpeakerSwitchS)
		return period%plan.SpeakerSlots == p.SpeakerSlot
	}
	return false
}

func main() {
	planFile := flag.String("plan", "", "plan JSON file")
	outFile := flag.String("out", "", "results JSON file (default stdout)")
	flag.Parse()
	raw, err := os.ReadFile(*planFile)
	if err != nil {
		fail(err)
	}
	var plan Plan
	if err := json.Unmarshal(raw, &plan); err != nil {
		fail(fmt.Errorf("plan: %w", err))
	}
	if plan.FPS == 0 {
		plan.FPS = 30
	}
	if plan.DurationS <= 0 || plan.DurationS > 600 || len(plan.Participants) == 0 || len(plan.Participants) > 2000 {
		fail(fmt.Errorf("plan: durationS must be in (0, 600] and participants in [1, 2000]"))
	}
	lib, err := loadLibrary(plan.MediaDir, plan.FPS)
	if err != nil {
		fail(err)
	}
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	go func() { <-terms; close(endEarly) }()
	start := time.Now()
	clientStart = start
	clock := func() time.Duration { return time.Since(start) }
	spread := time.Duration(plan.JoinSpreadMs) * time.Millisecond
	deadline := start.Add(spread + time.Duration(plan.DurationS*float64(time.Second)))
	results := make([]ParticipantResult, len(plan.Participants))
	var wg sync.WaitGroup
	for i, p := range plan.Participants {
		results[i] = ParticipantResult{Name: p.Name, Room: p.Room, Produced: []string{}, Streams: []StreamStats{}}
		delay := time.Duration(0)
		if len(plan.Participants) > 1 {
			delay = spread * time.Duration(i) / time.Duration(len(plan.Participants))
		}
		wg.Add(1)
		go func(i int, p ParticipantPlan) {
			defer wg.Done()
			time.Sleep(delay)
			res := &results[i]
			switch plan.Server {
			case "janus":
				s := &janusSession{p: p, plan: &plan, lib: lib, res: res, clock: clock}
				s.run(deadline)
			case "janus-audiobridge":
				s := &audioBridgeSession{p: p, plan: &plan, lib: lib, res: res}
				s.run(deadline)
			default:
				s := &conveneSession{p: p, plan: &plan, lib: lib, res: res, clock: clock}
				s.run(deadline)
			}
		}(i, p)
	}
	// Hard bound: results are written even if some participant hangs on the way out.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline) + 30*time.Second):
		fmt.Fprintln(os.Stderr, "convene-media-load: some participants did not finish in time")
	case <-afterEndEarly(10 * time.Second):
		fmt.Fprintln(os.Stderr, "convene-media-load: some participants did not finish in time")
	}
	out := Results{StartedAt: start, WallS: time.Since(start).Seconds(), Participants: results, KeyframesOnRequest: keyframesOnRequest.Load()}
	body, _ := json.MarshalIndent(out, "", " ")
	if *outFile == "" {
		os.Stdout.Write(body)
		return
	}
	if err := os.WriteFile(*outFile, body, 0o644); err != nil {
		fail(err)
	}
	os.Exit(0)
}

// afterEndEarly fires `grace` after a SIGTERM (never without one).
func afterEndEarly(grace time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		<-endEarly
		ch <- <-time.After(grace)
	}()
	return ch
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "convene-media-load:", err)
	os.Exit(2)
}
