package main

// Decoding only (to tell a silent mix from a real one): ITU-T G.711 expansion tables.
var alawTable, ulawTable [256]int16

func init() {
	for i := 0; i < 256; i++ {
		a := byte(i) ^ 0x55
		t := int(a&0x0f) << 4
		seg := int(a&0x70) >> 4
		switch seg {
		case 0:
			t += 8
		case 1:
			t += 0x108
		default:
			t = (t + 0x108) << (seg - 1)
		}
		if a&0x80 == 0 {
			t = -t
		}
		alawTable[i] = int16(t)

		u := ^byte(i)
		v := ((int(u&0x0f) << 3) + 0x84) << (int(u&0x70) >> 4)
		if u&0x80 != 0 {
			ulawTable[i] = int16(0x84 - v)
		} else {
			ulawTable[i] = int16(v - 0x84)
		}
	}
}

// meanAbs is the mean absolute sample value of a G.711 payload (pt 0 = µ-law, 8 = A-law).
func meanAbs(payload []byte, pt byte) int {
	if len(payload) == 0 {
		return 0
	}
	table := &alawTable
	if pt == 0 {
		table = &ulawTable
	}
	sum := 0
	for _, b := range payload {
		s := int(table[b])
		if s < 0 {
			s = -s
		}
		sum += s
	}
	return sum / len(payload)
}
