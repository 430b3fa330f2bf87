package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

var (
	buildOnce sync.Once
	binDir    string // holds provider and consumer once built
	buildErr  error
)

// programs builds the provider and the consumer once per run, without
// -race whatever flags the suite runs under, so that they are quick, and
// returns the folder holding them.
func programs(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fleet-chaos-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		for _, prog := range []string{"provider", "consumer"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, prog), "./internal/"+prog)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %w\n%s", prog, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// TestMain runs the tests, checks that no goroutine of the suite is left
// behind and removes the programs.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "chaos: goroutines left behind:", err)
			code = 1
		}
	}
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
