package common

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParamPositiveInt(t *testing.T) {
	u := MustParse("dubbo://h?p=3&zero=0&neg=-1&bad=x")
	tests := []struct {
		key     string
		def     int
		want    int
		wantErr error // nil: no error; errAny: some error
	}{
		{"p", 5, 3, nil},
		{"zero", 5, 5, ErrNotPositive},
		{"neg", 5, 5, ErrNotPositive},
		{"missing", 5, 5, nil},
		{"bad", 5, 5, strconv.ErrSyntax},
		{"p", 0, 0, errAny},
		{"p", -1, -1, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+strconv.Itoa(tt.def), func(t *testing.T) {
			n, err := u.ParamPositiveInt(tt.key, tt.def)
			require.Equal(t, tt.want, n)
			requireErr(t, tt.wantErr, err)
		})
	}
}

var errAny = errors.New("any error")

func requireErr(t *testing.T, want, got error) {
	t.Helper()
	switch want {
	case nil:
		require.NoError(t, got)
	case errAny:
		require.Error(t, got)
	default:
		require.ErrorIs(t, got, want)
	}
}

func TestPositiveDurations(t *testing.T) {
	u := MustParse("dubbo://h/S?timeout=-1&sayHello.timeout=0&sayBye.timeout=3000&ping.timeout=2s&bad.timeout=soon&connect.timeout=-5")
	tests := []struct {
		method  string
		want    time.Duration
		wantErr error
		key     string // named in the error
	}{
		{"sayHello", DefaultTimeout, ErrNotPositive, "sayHello.timeout"},
		{"sayBye", 3 * time.Second, nil, ""},
		{"ping", 2 * time.Second, nil, ""},
		{"bad", DefaultTimeout, errBadDuration, "bad.timeout"},
		{"other", DefaultTimeout, ErrNotPositive, "timeout"}, // falls back to timeout=-1
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			d, err := u.MethodParamPositiveDuration(tt.method, TimeoutKey, DefaultTimeout)
			require.Equal(t, tt.want, d)
			requireErr(t, tt.wantErr, err)
			if err != nil {
				require.Contains(t, err.Error(), "param "+tt.key+":")
			}
		})
	}
	d, err := u.ParamPositiveDuration(TimeoutKey, DefaultTimeout)
	require.Equal(t, DefaultTimeout, d)
	require.ErrorIs(t, err, ErrNotPositive)
	require.EqualError(t, err, `param timeout: invalid duration "-1": not positive`)
	_, err = u.ParamPositiveDuration(TimeoutKey, 0)
	require.Error(t, err, "a default that is not positive is the caller's mistake")
	n, err := u.MethodParamPositiveInt("sayHello", TimeoutKey, 7)
	require.Equal(t, 7, n)
	require.ErrorIs(t, err, ErrNotPositive)
}

func TestNonNegative(t *testing.T) {
	u := MustParse("dubbo://h/S?retries=-1&weight=0&sayHello.weight=-3&warmup=-100&forks=x&m.retries=4")
	tests := []struct {
		name    string
		get     func() (int, error)
		want    int
		wantErr error
	}{
		{"retries -1 is no retry", func() (int, error) { return u.MethodParamNonNegativeInt("other", RetriesKey, DefaultRetries) }, 0, ErrNegative},
		{"method retries", func() (int, error) { return u.MethodParamNonNegativeInt("m", RetriesKey, DefaultRetries) }, 4, nil},
		{"weight 0 is valid", func() (int, error) { return u.MethodParamNonNegativeInt("other", WeightKey, DefaultWeight) }, 0, nil},
		{"method weight -3", func() (int, error) { return u.MethodParamNonNegativeInt("sayHello", WeightKey, DefaultWeight) }, 0, ErrNegative},
		{"malformed gives the default", func() (int, error) { return u.ParamNonNegativeInt(ForksKey, 2) }, 2, strconv.ErrSyntax},
		{"absent gives the default", func() (int, error) { return u.ParamNonNegativeInt("absent", 9) }, 9, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := tt.get()
			require.Equal(t, tt.want, n)
			requireErr(t, tt.wantErr, err)
		})
	}
	d, err := u.ParamNonNegativeDuration(WarmupKey, DefaultWarmup)
	require.Zero(t, d, "a negative warm-up is none, as in Java")
	require.ErrorIs(t, err, ErrNegative)
	d, err = MustParse("dubbo://h?warmup=0").ParamNonNegativeDuration(WarmupKey, DefaultWarmup)
	require.NoError(t, err)
	require.Zero(t, d)
}

func TestCheckBoundedParams(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"dubbo://h/S?timeout=1000&retries=0&weight=0&warmup=0&forks=0", nil},
		{"override://0.0.0.0/S?category=configurators&timeout=-1", []string{`param timeout: invalid duration "-1": not positive`}},
		{"dubbo://h/S?sayHello.timeout=0&retries=-2&weight=x&heartbeat=0", []string{
			`param retries: invalid integer "-2": negative`,
			`param sayHello.timeout: invalid duration "0": not positive`,
			`param weight: invalid integer "x": invalid syntax`,
		}},
		// With methods listed, only their keys are method params.
		{"dubbo://h/S?methods=sayHello&heartbeat.timeout=0&sayHello.warmup=-1", []string{`param sayHello.warmup: invalid duration "-1": negative`}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			var got []string
			MustParse(tt.raw).CheckBoundedParams(func(err error) { got = append(got, err.Error()) })
			require.Equal(t, tt.want, got)
		})
	}
}

func TestBoundedGettersDoNotAllocate(t *testing.T) {
	u := MustParse("dubbo://h/S?timeout=1000&sayHello.timeout=3000&retries=2&weight=200&warmup=600000")
	require.Zero(t, testing.AllocsPerRun(100, func() {
		_, _ = u.MethodParamPositiveDuration("sayHello", TimeoutKey, DefaultTimeout)
		_, _ = u.MethodParamNonNegativeInt("sayHello", RetriesKey, DefaultRetries)
		_, _ = u.MethodParamNonNegativeInt("sayHello", WeightKey, DefaultWeight)
		_, _ = u.ParamNonNegativeDuration(WarmupKey, DefaultWarmup)
		u.CheckBoundedParams(func(error) {})
	}))
}
