package common

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// zkCapture is what a ZooKeeper layout written by Java Dubbo 2.7.23
// (testdata/zk-layout*.txt, copied as-is from the shared captures) tells:
// the encoded node names of providers and consumers, and the decoded URLs
// with their parameter lists.
type zkCapture struct {
	file    string
	names   []string            // encoded node names, unique
	decoded []string            // decoded URLs in section 2
	params  []map[string]string // the "parameters:" list of each decoded URL
}

var zkNodeName = regexp.MustCompile(`/(?:providers|consumers)/([^ /]+%3A%2F%2F[^ /]+)$`)

func loadZKCaptures(tb testing.TB) []zkCapture {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "zk-layout*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no ZooKeeper captures in testdata: %v", err)
	}
	var caps []zkCapture
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			tb.Fatal(err)
		}
		c := zkCapture{file: file}
		seen := map[string]bool{}
		var cur map[string]string
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := zkNodeName.FindStringSubmatch(strings.TrimSpace(line)); m != nil && !seen[m[1]] {
				seen[m[1]] = true
				c.names = append(c.names, m[1])
			}
			switch {
			case strings.HasPrefix(line, "dubbo://") || strings.HasPrefix(line, "consumer://"):
				c.decoded = append(c.decoded, line)
				cur = map[string]string{}
				c.params = append(c.params, cur)
			case cur != nil && strings.HasPrefix(line, "    ") && strings.Contains(line, "="):
				k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
				cur[k] = v
			case cur != nil && strings.TrimSpace(line) == "":
				cur = nil
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
		if len(c.names) != 3 || len(c.decoded) != 3 {
			tb.Fatalf("%s: found %d node names and %d decoded URLs, want 3 and 3", file, len(c.names), len(c.decoded))
		}
		caps = append(caps, c)
	}
	return caps
}
