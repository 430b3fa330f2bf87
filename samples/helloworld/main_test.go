package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHelloWorld(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, 30))
	text := out.String()
	require.Equal(t, 3, strings.Count(text, "exported injvm://"))
	require.Contains(t, text, "consumer found 3 providers")
	before, after, ok := strings.Cut(text, "stopped provider-2")
	require.True(t, ok)
	require.Equal(t, 30, strings.Count(before, "Hello world #"))
	require.Equal(t, 30, strings.Count(after, "Hello world #"))
	require.NotContains(t, after, "from provider-2")
	require.Contains(t, after, "the registry now lists 2 providers; all 60 calls succeeded")
}
