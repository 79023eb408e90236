package main

import (
	"encoding/binary"
	"os"
)

// repacketise cuts the clip into frames of `size` bytes (G.711: 160 = 20 ms). sipp's g711a.pcap
// carries 30 ms packets (240 bytes); Janus AudioBridge takes only 20 ms G.711, and 20 ms is what
// phones send, so both servers get the same audio in 20 ms packets.
func repacketise(clip [][]byte, size int) [][]byte {
	var all []byte
	for _, p := range clip {
		all = append(all, p...)
	}
	var out [][]byte
	for off := 0; off+size <= len(all); off += size {
		out = append(out, all[off:off+size])
	}
	return out
}

// writePcap writes the frames as a pcap of RTP/UDP/IPv4/Ethernet packets 20 ms apart (A-law,
// PT 8), for sipp's play_pcap_audio (which replays the payloads with the capture's timing and
// rewrites addresses and ports).
func writePcap(file string, frames [][]byte) error {
	var buf []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	buf = append(buf, hdr...)
	for i, payload := range frames {
		udpLen := 8 + 12 + len(payload)
		ipLen := 20 + udpLen
		frame := make([]byte, 14+ipLen)
		binary.BigEndian.PutUint16(frame[12:], 0x0800)
		ip := frame[14:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
		ip[8] = 64
		ip[9] = 17
		copy(ip[12:], []byte{127, 0, 0, 1})
		copy(ip[16:], []byte{127, 0, 0, 1})
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[j:]))
		}
		for sum > 0xffff {
			sum = (sum & 0xffff) + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		udp := ip[20:]
		binary.BigEndian.PutUint16(udp[0:], 6000)
		binary.BigEndian.PutUint16(udp[2:], 6002)
		binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))
		rtp := udp[8:]
		rtp[0] = 0x80
		rtp[1] = 8
		binary.BigEndian.PutUint16(rtp[2:], uint16(i))
		binary.BigEndian.PutUint32(rtp[4:], uint32(i*len(payload)))
		binary.BigEndian.PutUint32(rtp[8:], 0x5eed0001)
		copy(rtp[12:], payload)
		rec := make([]byte, 16)
		usec := i * 20000
		binary.LittleEndian.PutUint32(rec[0:], uint32(usec/1000000))
		binary.LittleEndian.PutUint32(rec[4:], uint32(usec%1000000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
		buf = append(buf, rec...)
		buf = append(buf, frame...)
	}
	return os.WriteFile(file, buf, 0o644)
}
