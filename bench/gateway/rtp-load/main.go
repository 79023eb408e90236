// rtp-load: the gateway bench's plain-RTP load client. One UDP socket per leg on loopback; every
// 20 ms it sends each leg the next packet of a looped G.711 A-law clip (the payloads of a pcap,
// e.g. sipp's g711a.pcap, re-cut into 20 ms packets) and counts what each leg receives (its mix): packets, loss (sequence
// gaps), loud packets (the mix is not silence).
//
// Protocol (so the driver can learn the ports before the server tells it where to send):
//
//	stdout line 1: {"ports":[p1,p2,...]}            the legs' local ports, after binding
//	stdin line:    {"targets":[{"ip":..,"port":..}|null,...],"seconds":S}
//	                                                 null target = receive only (sipp sends)
//	stdout line 2: {"legs":[...], "ticks":n, "lateTicks":n}   after S seconds
//
// With -write-pcap FILE it only writes the 20 ms clip as a pcap (for sipp) and exits. With
// -base-port the legs bind fixed ports (where sipp callers advertise their media, see run.mjs).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"time"
)

type target struct {
	IP   string `json:"ip"`
	Port int    `json:"port"`
}

type command struct {
	Targets []*target `json:"targets"`
	Seconds float64   `json:"seconds"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "rtp-load: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	legCount := flag.Int("legs", 1, "number of legs (sockets)")
	pcapFile := flag.String("pcap", "/usr/share/sip-tester/g711a.pcap", "pcap whose PT 8 RTP payloads are looped")
	maxSeconds := flag.Float64("max-seconds", 900, "hard cap on the run")
	writePcapFile := flag.String("write-pcap", "", "write the clip, looped for -pcap-seconds, as a 20 ms pcap to this file and exit")
	pcapSeconds := flag.Float64("pcap-seconds", 0, "length of the -write-pcap file (0: the clip once)")
	basePort := flag.Int("base-port", 0, "bind leg i to base-port + i*port-step (0: any free port)")
	portStep := flag.Int("port-step", 2, "see -base-port")
	flag.Parse()
	if *legCount < 1 || *legCount > 2000 {
		fail("legs must be 1..2000")
	}
	clip, err := rtpPayloadsFromPcap(*pcapFile, 8)
	if err != nil {
		fail("%v", err)
	}
	clip = repacketise(clip, 160)
	if *writePcapFile != "" {
		frames := clip
		for len(frames) < int(*pcapSeconds*50) {
			frames = append(frames, clip[len(frames)%len(clip)])
		}
		if err := writePcap(*writePcapFile, frames); err != nil {
			fail("%v", err)
		}
		return
	}
	legs := make([]*leg, *legCount)
	ports := make([]int, *legCount)
	for i := range legs {
		addr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
		if *basePort > 0 {
			addr.Port = *basePort + i**portStep
		}
		conn, err := net.ListenUDP("udp4", addr)
		if err != nil {
			fail("bind: %v", err)
		}
		_ = conn.SetReadBuffer(256 * 1024)
		legs[i] = &leg{conn: conn, ssrc: rand.Uint32(), seq: uint16(rand.Intn(1 << 16)), ts: rand.Uint32(), pts: map[byte]int{}}
		ports[i] = conn.LocalAddr().(*net.UDPAddr).Port
	}
	out := json.NewEncoder(os.Stdout)
	_ = out.Encode(map[string]any{"ports": ports})

	in := bufio.NewReader(os.Stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		fail("reading the command: %v", err)
	}
	var cmd command
	if err := json.Unmarshal(line, &cmd); err != nil {
		fail("bad command: %v", err)
	}
	if cmd.Seconds <= 0 || cmd.Seconds > *maxSeconds {
		fail("seconds must be in (0, %v]", *maxSeconds)
	}
	for i, t := range cmd.Targets {
		if i < len(legs) && t != nil {
			legs[i].target = &net.UDPAddr{IP: net.ParseIP(t.IP), Port: t.Port}
		}
	}
	start := time.Now()
	for _, l := range legs {
		go l.receive(start)
	}
	// One ticker for all legs; a tick that fires more than a frame late is counted (the client's
	// own scheduling, so its lateness is not blamed on the server).
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	deadline := start.Add(time.Duration(cmd.Seconds * float64(time.Second)))
	ticks, lateTicks := 0, 0
	next := start.Add(20 * time.Millisecond)
	for now := range ticker.C {
		if now.After(deadline) {
			break
		}
		if now.Sub(next) > 20*time.Millisecond {
			lateTicks++
		}
		next = now.Add(20 * time.Millisecond)
		ticks++
		for _, l := range legs {
			l.send(clip)
		}
	}
	// Let the last mixes arrive, then stop the receivers.
	time.Sleep(200 * time.Millisecond)
	results := make([]legResult, len(legs))
	for i, l := range legs {
		results[i] = l.result(start)
		l.conn.Close()
	}
	_ = out.Encode(map[string]any{"legs": results, "ticks": ticks, "lateTicks": lateTicks, "clipFrames": len(clip)})
}
