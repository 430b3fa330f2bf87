package common

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestCompareKeys(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "a", -1},
		{"a", "b", -1},
		{"a", "ab", -1},
		{"B", "a", -1},
		{"timeout", "timestamp", -1},
		{"a.b", "a_b", -1},
		{"é", "z", 1},
		{"中", "中文", -1},
		{"\uffff", "\U00010000", 1},     // Java: U+10000 is D800 DC00 < FFFF
		{"\ue000", "\U0010FFFF", 1},     // DBFF DFFF < E000
		{"\ud7ff", "\U00010000", -1},    // D7FF < D800
		{"x\uffffy", "x\U00010000y", 1}, // after a shared ASCII prefix
		{"\U00010000", "\U00010001", -1},
		{"\U00010400", "\U000103FF", 1}, // differ in the high surrogate
	}
	for _, tt := range tests {
		t.Run(tt.a+"~"+tt.b, func(t *testing.T) {
			require.Equal(t, tt.want, compareKeys(tt.a, tt.b))
			require.Equal(t, -tt.want, compareKeys(tt.b, tt.a))
			if utf8.ValidString(tt.a) && utf8.ValidString(tt.b) {
				require.Equal(t, tt.want, compareUTF16(tt.a, tt.b))
			}
		})
	}
}

// TestCompareKeysIsATotalOrder checks transitivity on random strings mixing
// ASCII, BMP, astral characters and invalid bytes, where a mistake in the
// fast paths would show.
func TestCompareKeysIsATotalOrder(t *testing.T) {
	alphabet := []string{"a", "b", ".", "é", "中", "\uffff", "\ue000", "\U00010000", "\U0010ffff", "\xe4", "\xb8", "\xad", "\xff"}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]string, 400)
	for i := range keys {
		n := rng.IntN(5)
		s := ""
		for range n {
			s += alphabet[rng.IntN(len(alphabet))]
		}
		keys[i] = s
	}
	slices.SortFunc(keys, compareKeys)
	for i := range keys {
		for j := i; j < len(keys); j++ {
			c := compareKeys(keys[i], keys[j])
			if keys[i] == keys[j] {
				require.Zero(t, c)
			} else {
				require.Negative(t, c, "%q then %q", keys[i], keys[j])
			}
		}
	}
}

func TestCompareJoined(t *testing.T) {
	keys := []string{"", "s", "say", "say.", "say.t", "say.timeout", "say.timeouts", "sayHello.timeout", "say/x", "say-x", "sa", "名.t", "\U00010000.t"}
	for _, k := range keys {
		for _, m := range []string{"say", "sa", "名", "\U00010000", ""} {
			for _, name := range []string{"", "t", "timeout"} {
				require.Equal(t, compareKeys(k, m+"."+name), compareJoined(k, m, name), "%q vs %q.%q", k, m, name)
			}
		}
	}
}
