package condition_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/router/condition"
)

func TestParseRuleValid(t *testing.T) {
	tests := []struct {
		rule      string
		blacklist bool
	}{
		{"host = 1.1.1.1 => host = 2.2.2.2", false},
		{"=> host = 2.2.2.2", false},
		{"host = 2.2.2.2", false},
		{"host = 1.1.1.1 =>", true},
		{"host = 1.1.1.1 => false", true},
		{"true => false", true},
		{"host = 1.1.1.1 => ,", false},
		{"host=a&host!=b,c&method=x => host=$host", false},
		{"host = a => host = b & != c", false}, // "&" then "!=": the separator run before "!=" is skipped
		{"host = , = a => host = b", false},    // a "," not followed by a token is skipped
		{"a = 1 => b = 2 => c = 3", false},     // only the first "=>" splits; '>' is a token
		{"host = a =", false},                  // a trailing separator is skipped
		{"consumer.provider.host = a => x = b", false},
		{"host = 1.1.1.1\t=>\nhost = 2.2.2.2", false},
		{"host = a & & b = c", false}, // "& " is skipped; "&b" is a key
		{"true & = x => b", false},    // when is not exactly "true": key true, "& " skipped, "= x" its value
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			r, err := condition.ParseRule(tt.rule)
			require.NoError(t, err)
			require.Equal(t, tt.rule, r.String())
			require.Equal(t, tt.blacklist, r.Blacklist())
		})
	}
}

// TestParseRuleInvalid pins Java's error wording: the side's text, the
// separator, its index (UTF-16) in the side and the token after it.
func TestParseRuleInvalid(t *testing.T) {
	tests := []struct {
		rule, want string
	}{
		{"host == 1.2.3.4", `Illegal route rule "host == 1.2.3.4", The error char '==' at index 5 before "1.2.3.4".`},
		{"host == 1.2.3.4 => host = 1", `Illegal route rule "host == 1.2.3.4", The error char '==' at index 5 before "1.2.3.4".`},
		{"= 1.2.3.4 => host = 1", `Illegal route rule "= 1.2.3.4", The error char '=' at index 0 before "1.2.3.4".`},
		{"!= 1.2.3.4 => host = 1", `Illegal route rule "!= 1.2.3.4", The error char '!=' at index 0 before "1.2.3.4".`},
		{"host = a => , b", `Illegal route rule ", b", The error char ',' at index 0 before "b".`},
		{"host = , a", `Illegal route rule "host = , a", The error char ',' at index 7 before "a".`},
		{"host , a", `Illegal route rule "host , a", The error char ',' at index 5 before "a".`},
		{"host = a && b = c", `Illegal route rule "host = a && b = c", The error char '&&' at index 9 before "b".`},
		{"host =! a", `Illegal route rule "host =! a", The error char '=!' at index 5 before "a".`},
		{"host != a !b", `Illegal route rule "host != a !b", The error char '!' at index 10 before "b".`},
		{"host = a,,b", `Illegal route rule "host = a,,b", The error char ',,' at index 8 before "b".`},
		{"host = a !=, b", `Illegal route rule "host = a !=, b", The error char '!=,' at index 9 before "b".`},
		{"host=a => host=b&=c", `Illegal route rule "host=b&=c", The error char '&=' at index 6 before "c".`},
		{"host=a => host=b=!c", `Illegal route rule "host=b=!c", The error char '=!' at index 6 before "c".`},
		{"host =, a", `Illegal route rule "host =, a", The error char '=,' at index 5 before "a".`},
		{"应用 == x", `Illegal route rule "应用 == x", The error char '==' at index 3 before "x".`},
		{"𝔸 == x", `Illegal route rule "𝔸 == x", The error char '==' at index 3 before "x".`},
		{"consumer.host == a => b", `Illegal route rule "host == a", The error char '==' at index 5 before "a".`},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := condition.ParseRule(tt.rule)
			require.Error(t, err)
			var se *condition.SyntaxError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.rule, se.Rule)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

func TestParseRuleBlank(t *testing.T) {
	for _, rule := range []string{"", " ", "\t\n", "\x00 \x01"} {
		_, err := condition.ParseRule(rule)
		require.ErrorIs(t, err, condition.ErrBlankRule, "%q", rule)
		require.Contains(t, err.Error(), "Illegal route rule!")
		require.False(t, errors.As(err, new(*condition.SyntaxError)))
	}
}
