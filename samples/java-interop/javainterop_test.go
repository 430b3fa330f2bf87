package javainterop

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/samples/java-interop/userservice"
)

// javaLike answers as the captured Java provider does (see the capture
// README): CI has no Java Dubbo provider, so the sample is checked against
// a fleet provider speaking for the same Java classes.
type javaLike struct{ port int }

func user(id int64) *userservice.User {
	return &userservice.User{
		ID: id, Name: "user-" + strconv.FormatInt(id, 10), Age: 30, Created: time.UnixMilli(1700000000000),
		Balance: userservice.Decimal("1234.50"), Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"},
		Status: userservice.Active,
	}
}

func (javaLike) GetUser(id int64) (*userservice.User, error) {
	if id < 0 {
		return nil, &dubbo.JavaException{Class: "java.lang.IllegalArgumentException", Message: "negative id"}
	}
	return user(id), nil
}
func (javaLike) ListUsers(n int32) ([]*userservice.User, error) {
	out := make([]*userservice.User, n)
	for i := range out {
		out[i] = user(int64(i + 1))
	}
	return out, nil
}
func (javaLike) Count(words []string) (map[string]int32, error) {
	out := map[string]int32{}
	for _, w := range words {
		out[w]++
	}
	return out, nil
}
func (javaLike) Add(a, b int32) (int32, error)      { return a + b, nil }
func (javaLike) AddLong(a, b int64) (int64, error)  { return a + b, nil }
func (javaLike) Flip(b bool) (bool, error)          { return !b, nil }
func (javaLike) Half(d float64) (float64, error)    { return d / 2, nil }
func (javaLike) EchoBytes(b []byte) ([]byte, error) { return b, nil }
func (javaLike) Echo(s string) (string, error)      { return s, nil }
func (javaLike) Ping() error                        { return nil }
func (javaLike) Save(u *userservice.User) (*userservice.User, error) {
	c := *u
	c.ID++
	return &c, nil
}
func (j javaLike) Whoami() (string, error) { return "java-" + strconv.Itoa(j.port), nil }

func startJavaLike(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&side=provider", port, userservice.Interface, userservice.Interface))
	svc, err := service.New(u, javaLike{port: port})
	require.NoError(t, err)
	exp, err := dubbo.New().Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	return "dubbo://" + u.Address()
}

func build(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, out)
	return bin
}

func TestConsumerAndInvokeLines(t *testing.T) {
	target := startJavaLike(t)
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Dir(here)
	root := filepath.Join(dir, "..", "..")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	consumer := exec.CommandContext(ctx, build(t, dir, "./consumer", "consumer"), "-config", filepath.Join(dir, "consumer", "consumer.yml"))
	consumer.Env = append(os.Environ(), "USER_SERVICE_URL="+target)
	out, err := consumer.CombinedOutput()
	require.NoError(t, err, "consumer: %s", out)
	for _, want := range []string{
		"getUser(7): id=7 name=user-7 age=30 created=2023-11-14T22:13:20Z balance=1234.50 tags=[a b] attrs=map[k:v] status=ACTIVE",
		"listUsers(2): 2 users, user-1 and user-2",
		"count([a b a]): a=2 b=1",
		"add(2, 3): 5",
		"save(alice 41): id=42 status=SUSPENDED",
		"getUser(-1): java.lang.IllegalArgumentException: negative id (business error: true)",
	} {
		require.Contains(t, string(out), want)
	}

	// The fleet invoke lines of the README.
	fleet := build(t, root, "./cmd/fleet", "fleet")
	tests := []struct {
		args   []string
		code   int
		output []string
	}{
		{[]string{"invoke", target, userservice.Interface, "getUser", "7", "--types", "long"}, 0, []string{`"name": "user-7"`, `"age": 30`}},
		{[]string{"invoke", target, userservice.Interface, "getUser", "7", "--types", "long", "--generic"}, 0, []string{`"name": "user-7"`, `"class": "org.apache.dubbo.sample.User"`}},
		{[]string{"invoke", target, userservice.Interface, "add", "2", "3", "--types", "int,int"}, 0, []string{"5"}},
		{[]string{"invoke", target, userservice.Interface, "getUser", "-1", "--types", "long"}, 1, []string{"java.lang.IllegalArgumentException: negative id"}},
	}
	for _, tt := range tests {
		cmd := exec.CommandContext(ctx, fleet, tt.args...)
		out, err := cmd.CombinedOutput()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		require.Equal(t, tt.code, code, "%v: %s", tt.args, out)
		for _, want := range tt.output {
			require.Contains(t, string(out), want, "%v", tt.args)
		}
	}
}
