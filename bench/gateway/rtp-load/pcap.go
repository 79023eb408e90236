package main

import (
	"encoding/binary"
	"fmt"
	"os"
)

// rtpPayloadsFromPcap returns the payloads of the RTP packets with payload type pt in a classic
// pcap file (Ethernet, Linux cooked or raw IPv4 link types; IPv4/UDP only) — enough for sipp's
// g711a.pcap.
func rtpPayloadsFromPcap(file string, pt byte) ([][]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(data) < 24 {
		return nil, fmt.Errorf("%s: too short for a pcap", file)
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a classic pcap", file)
	}
	link := order.Uint32(data[20:])
	var out [][]byte
	for off := 24; off+16 <= len(data); {
		capLen := int(order.Uint32(data[off+8:]))
		off += 16
		if capLen < 0 || off+capLen > len(data) {
			break
		}
		frame := data[off : off+capLen]
		off += capLen
		var ip []byte
		switch link {
		case 1: // Ethernet
			if len(frame) < 14 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
				continue
			}
			ip = frame[14:]
		case 113: // Linux cooked
			if len(frame) < 16 || binary.BigEndian.Uint16(frame[14:]) != 0x0800 {
				continue
			}
			ip = frame[16:]
		case 101, 228: // raw IPv4
			ip = frame
		default:
			return nil, fmt.Errorf("%s: link type %d not handled", file, link)
		}
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 17 {
			continue
		}
		ihl := int(ip[0]&0x0f) * 4
		if len(ip) < ihl+8 {
			continue
		}
		rtp := ip[ihl+8:]
		if len(rtp) < 12 || rtp[0]>>6 != 2 || rtp[1]&0x7f != pt {
			continue
		}
		hdr := 12 + 4*int(rtp[0]&0x0f)
		if rtp[0]&0x10 != 0 {
			if len(rtp) < hdr+4 {
				continue
			}
			hdr += 4 + 4*int(binary.BigEndian.Uint16(rtp[hdr+2:]))
		}
		end := len(rtp)
		if rtp[0]&0x20 != 0 && end > hdr {
			end -= int(rtp[end-1])
		}
		if end <= hdr {
			continue
		}
		out = append(out, append([]byte(nil), rtp[hdr:end]...))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no RTP packets with payload type %d", file, pt)
	}
	return out, nil
}
