package wasm

import (
	"bytes"
	"errors"
	"math"
	"math/bits"
	"testing"
)

func TestULEB128(t *testing.T) {
	tests := []struct {
		name string
		v    uint64
		want []byte
	}{
		{"0", 0, []byte{0x00}},
		{"1", 1, []byte{0x01}},
		{"63", 63, []byte{0x3f}},
		{"64", 64, []byte{0x40}},
		{"127", 127, []byte{0x7f}},
		{"128", 128, []byte{0x80, 0x01}},
		{"624485 (spec example)", 624485, []byte{0xe5, 0x8e, 0x26}},
		{"MaxInt32", math.MaxInt32, []byte{0xff, 0xff, 0xff, 0xff, 0x07}},
		{"MaxUint32", math.MaxUint32, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"MaxInt64", math.MaxInt64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{"MaxUint64", math.MaxUint64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendULEB128(nil, tt.v)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("appendULEB128(%d) = % x, want % x", tt.v, got, tt.want)
			}
			if v, n, err := decodeULEB128(got); err != nil || v != tt.v || n != len(got) {
				t.Fatalf("decode(% x) = %d, %d, %v; want %d, %d", got, v, n, err, tt.v, len(got))
			}
		})
	}
}

func TestSLEB128(t *testing.T) {
	tests := []struct {
		name string
		v    int64
		want []byte
	}{
		{"0", 0, []byte{0x00}},
		{"1", 1, []byte{0x01}},
		{"-1", -1, []byte{0x7f}},
		{"63", 63, []byte{0x3f}},
		{"64", 64, []byte{0xc0, 0x00}},
		{"-64", -64, []byte{0x40}},
		{"-65", -65, []byte{0xbf, 0x7f}},
		{"127", 127, []byte{0xff, 0x00}},
		{"-128", -128, []byte{0x80, 0x7f}},
		{"-123456 (spec example)", -123456, []byte{0xc0, 0xbb, 0x78}},
		{"MinInt32", math.MinInt32, []byte{0x80, 0x80, 0x80, 0x80, 0x78}},
		{"MaxInt32", math.MaxInt32, []byte{0xff, 0xff, 0xff, 0xff, 0x07}},
		{"MinInt64", math.MinInt64, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}},
		{"MaxInt64", math.MaxInt64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendSLEB128(nil, tt.v)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("appendSLEB128(%d) = % x, want % x", tt.v, got, tt.want)
			}
			if v, n, err := decodeSLEB128(got); err != nil || v != tt.v || n != len(got) {
				t.Fatalf("decode(% x) = %d, %d, %v; want %d, %d", got, v, n, err, tt.v, len(got))
			}
		})
	}
}

func TestLEB128Appends(t *testing.T) {
	b := appendSLEB128(appendULEB128([]byte{0xaa}, 300), -2)
	if want := []byte{0xaa, 0xac, 0x02, 0x7e}; !bytes.Equal(b, want) {
		t.Fatalf("got % x, want % x", b, want)
	}
}

// FuzzLEB128 checks that both encoders round-trip through an independent decoder and always
// produce the shortest encoding (§5.2.2 allows at most ⌈N/7⌉ bytes).
func FuzzLEB128(f *testing.F) {
	for _, v := range []uint64{0, 1, 63, 64, 127, 128, math.MaxInt32, math.MaxUint32, 1 << 63, math.MaxUint64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		b := appendULEB128(nil, u)
		if v, n, err := decodeULEB128(b); err != nil || v != u || n != len(b) {
			t.Fatalf("unsigned %d: % x decodes to %d, %d, %v", u, b, v, n, err)
		}
		if want := max(1, (bits.Len64(u)+6)/7); len(b) != want {
			t.Fatalf("unsigned %d: %d bytes, want %d", u, len(b), want)
		}

		s := int64(u)
		b = appendSLEB128(nil, s)
		if v, n, err := decodeSLEB128(b); err != nil || v != s || n != len(b) {
			t.Fatalf("signed %d: % x decodes to %d, %d, %v", s, b, v, n, err)
		}
		magnitude := bits.Len64(uint64(s)) // significant bits, plus one for the sign below
		if s < 0 {
			magnitude = bits.Len64(uint64(^s))
		}
		if want := (magnitude + 1 + 6) / 7; len(b) != want {
			t.Fatalf("signed %d: %d bytes, want %d", s, len(b), want)
		}
	})
}

var errTruncated = errors.New("truncated LEB128")

// decodeULEB128 is the textbook decoder, written independently of the encoders under test.
func decodeULEB128(b []byte) (v uint64, n int, err error) {
	var shift uint
	for i, c := range b {
		if shift >= 64 {
			return 0, 0, errors.New("LEB128 longer than 64 bits")
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errTruncated
}

func decodeSLEB128(b []byte) (v int64, n int, err error) {
	var shift uint
	for i, c := range b {
		if shift >= 64 {
			return 0, 0, errors.New("LEB128 longer than 64 bits")
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift // sign-extend
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, errTruncated
}
