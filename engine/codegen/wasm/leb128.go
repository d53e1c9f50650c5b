package wasm

// LEB128 integer encodings (§5.2.2 Integers). The encoders always produce the shortest form,
// which is also the only form the spec accepts for the wider values: at most ⌈N/7⌉ bytes
// for an N-bit integer.

// appendULEB128 appends v in unsigned LEB128: 7 bits per byte, low group first, the high bit of
// each byte set when another byte follows. Indices, counts and sizes use it (u32).
func appendULEB128(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// appendSLEB128 appends v in signed LEB128 (two's complement, arithmetic shift). Encoding stops
// when the remaining value is all sign bits and the sign bit (0x40) of the last group agrees
// with it. i32.const and i64.const immediates use it (s32, s64).
func appendSLEB128(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// appendU32 appends an index, count or size (u32).
func appendU32(b []byte, v uint32) []byte { return appendULEB128(b, uint64(v)) }
