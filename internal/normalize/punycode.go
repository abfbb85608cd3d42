package normalize

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Punycode (RFC 3492) decoding, for the "xn--" labels of internationalized
// domain names. Only decoding is needed: WebsiteDomain keeps domains in
// Unicode.
const (
	pcBase        int32 = 36
	pcTMin        int32 = 1
	pcTMax        int32 = 26
	pcSkew        int32 = 38
	pcDamp        int32 = 700
	pcInitialBias int32 = 72
	pcInitialN    int32 = 128
	pcMaxRunes          = 63 // a label is at most 63 octets in ACE form
)

// punycodeDecode decodes s (without "xn--"); ok is false for malformed input.
func punycodeDecode(s string) (string, bool) {
	pos := 0
	output := make([]rune, 0, len(s))
	if d := strings.LastIndexByte(s, '-'); d >= 0 {
		for i := 0; i < d; i++ {
			if s[i] >= utf8.RuneSelf {
				return "", false
			}
			output = append(output, rune(s[i]))
		}
		pos = d + 1
	}
	i, n, bias := int32(0), pcInitialN, pcInitialBias
	for pos < len(s) {
		oldI, w := i, int32(1)
		for k := pcBase; ; k += pcBase {
			if pos == len(s) {
				return "", false
			}
			digit, ok := pcDigit(s[pos])
			if !ok {
				return "", false
			}
			pos++
			var overflow bool
			if i, overflow = pcMulAdd(i, digit, w); overflow {
				return "", false
			}
			t := k - bias
			if k <= bias {
				t = pcTMin
			} else if k >= bias+pcTMax {
				t = pcTMax
			}
			if digit < t {
				break
			}
			if w, overflow = pcMulAdd(0, w, pcBase-t); overflow {
				return "", false
			}
		}
		if len(output) >= pcMaxRunes {
			return "", false
		}
		x := int32(len(output) + 1)
		bias = pcAdapt(i-oldI, x, oldI == 0)
		n += i / x
		i %= x
		if n < 0 || n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
			return "", false
		}
		output = append(output, 0)
		copy(output[i+1:], output[i:])
		output[i] = n
		i++
	}
	return string(output), true
}

func pcMulAdd(a, b, c int32) (int32, bool) {
	p := int64(b) * int64(c)
	if p > math.MaxInt32-int64(a) {
		return 0, true
	}
	return a + int32(p), false
}

func pcAdapt(delta, numPoints int32, first bool) int32 {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := int32(0)
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

func pcDigit(c byte) (int32, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int32(c-'0') + 26, true
	case c >= 'a' && c <= 'z':
		return int32(c - 'a'), true
	case c >= 'A' && c <= 'Z':
		return int32(c - 'A'), true
	}
	return 0, false
}
