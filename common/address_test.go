package common

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAppendDefaultPort(t *testing.T) {
	tests := []struct {
		address string
		port    int
		want    string
	}{
		{"h:0", 20880, "h:20880"},
		{"h", 20880, "h:20880"},
		{"h:", 20880, "h:20880"},
		{"h:1", 20880, "h:1"},
		{"h:000", 20880, "h:20880"},
		{"[::1]:0", 2181, "[::1]:2181"},
		{"[::1]:20880", 2181, "[::1]:20880"},
		{"[::1]", 2181, "[::1]:2181"},
		{"h:x", 20880, "h:x"},
		{"", 20880, ""},
		{"h", 0, "h"},
		{"h", -1, "h"},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			require.Equal(t, tt.want, AppendDefaultPort(tt.address, tt.port))
		})
	}
}

func TestBackupAddress(t *testing.T) {
	tests := []struct {
		url  string
		port int
		want string
	}{
		{"dubbo://127.0.0.0/t?backup=127.0.0.1,127.0.0.2", 0, "127.0.0.0,127.0.0.1,127.0.0.2"},
		{"dubbo://127.0.0.0/t?backup=127.0.0.1,127.0.0.2", 2181, "127.0.0.0:2181,127.0.0.1:2181,127.0.0.2:2181"},
		{"zookeeper://10.0.0.1:2182/t?backup=10.0.0.2:2183, 10.0.0.3", 2181, "10.0.0.1:2182,10.0.0.2:2183,10.0.0.3:2181"},
		{"zookeeper://10.0.0.1:2182/t", 2181, "10.0.0.1:2182"},
		{"zookeeper://10.0.0.1/t?backup=,10.0.0.2", 2181, "10.0.0.1:2181,10.0.0.2:2181"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			require.Equal(t, tt.want, MustParse(tt.url).BackupAddress(tt.port))
		})
	}
}

func TestBackupURLs(t *testing.T) {
	u := MustParse("zookeeper://admin:pw@10.0.0.1:2181/r?backup=10.0.0.2:2182,10.0.0.3,,bad:port,[::1]:2183,[::2],h:0&timeout=5")
	got := u.BackupURLs()
	var full []string
	for _, b := range got {
		full = append(full, b.FullString())
	}
	params := "?backup=10.0.0.2:2182,10.0.0.3,,bad:port,[::1]:2183,[::2],h:0&timeout=5"
	require.Equal(t, []string{
		"zookeeper://admin:pw@10.0.0.1:2181/r" + params,
		"zookeeper://admin:pw@10.0.0.2:2182/r" + params,
		"zookeeper://admin:pw@10.0.0.3:2181/r" + params,
		"zookeeper://admin:pw@[::1]:2183/r" + params,
		"zookeeper://admin:pw@[::2]:2181/r" + params,
		"zookeeper://admin:pw@h:2181/r" + params,
	}, full)
	require.Same(t, u, got[0])

	single := MustParse("zookeeper://10.0.0.1:2181")
	require.Equal(t, []*URL{single}, single.BackupURLs())
}

func TestParseAddress(t *testing.T) {
	defaults := map[string]string{
		"protocol": "zookeeper", "username": "admin", "password": "hello1234", "host": "ignored",
		"port": "2181", "path": "/context", "version": "1.0.0", "timeout": "", "group": "g",
	}
	tests := []struct {
		name     string
		address  string
		defaults map[string]string
		want     string
	}{
		{"bare host", "192.168.0.1", nil, "dubbo://192.168.0.1:9090"},
		{"host and port", "192.168.0.1:2181", nil, "dubbo://192.168.0.1:2181"},
		{"port 0 is missing", "192.168.0.1:0", nil, "dubbo://192.168.0.1:9090"},
		{"with protocol", "zookeeper://192.168.0.1:2181", nil, "zookeeper://192.168.0.1:2181"},
		{"commas become backup", "192.168.0.1:10000, 192.168.0.2,192.168.0.3", nil,
			"dubbo://192.168.0.1:10000?backup=192.168.0.2,192.168.0.3"},
		{"commas after a protocol are not split", "zookeeper://192.168.0.1:2181?backup=192.168.0.2,192.168.0.3", nil,
			"zookeeper://192.168.0.1:2181?backup=192.168.0.2,192.168.0.3"},
		{"defaults fill what is missing", "192.168.0.1", defaults,
			"zookeeper://admin:hello1234@192.168.0.1:2181/context?group=g&version=1.0.0"},
		{"defaults do not override", "nacos://u:p@192.168.0.1:8848/path?version=2.0.0&group=", defaults,
			"nacos://u:p@192.168.0.1:8848/path?group=g&version=2.0.0"},
		{"default protocol only when empty", "192.168.0.1", map[string]string{"protocol": ""}, "dubbo://192.168.0.1:9090"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseAddress(tt.address, tt.defaults)
			require.NoError(t, err)
			require.Equal(t, tt.want, u.FullString())
		})
	}
	_, err := ParseAddress("192.168.0.1", map[string]string{"port": "x"})
	require.EqualError(t, err, `parse address "192.168.0.1": invalid default port "x"`)
}

func TestParseAddressBackupAddress(t *testing.T) {
	u, err := ParseAddress("10.0.0.1:2181,10.0.0.2:2182,10.0.0.3", map[string]string{"protocol": "zookeeper"})
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1:2181,10.0.0.2:2182,10.0.0.3:2181", u.BackupAddress(2181))
}

func TestParseAddresses(t *testing.T) {
	urls, err := ParseAddresses("192.168.0.1|192.168.0.2:2181 ; zookeeper://192.168.0.3:2182?backup=a,b|", nil)
	require.NoError(t, err)
	var got []string
	for _, u := range urls {
		got = append(got, u.FullString())
	}
	require.Equal(t, []string{
		"dubbo://192.168.0.1:9090",
		"dubbo://192.168.0.2:2181",
		"zookeeper://192.168.0.3:2182?backup=a,b",
	}, got)

	_, err = ParseAddresses("|", nil)
	require.ErrorContains(t, err, `parse addresses "|": no address`)
	_, err = ParseAddresses("a|h:x", nil)
	require.ErrorContains(t, err, `parse addresses "a|h:x": parse address "h:x"`)
}

func TestEmptyURL(t *testing.T) {
	tests := []struct {
		key, category, want string
	}{
		{"g/a.b.Foo:1.0.0", "providers", "empty://0.0.0.0/a.b.Foo?category=providers&group=g&version=1.0.0"},
		{"a.b.Foo", "routers", "empty://0.0.0.0/a.b.Foo?category=routers"},
		{"a.b.Foo:1.0.0", "configurators", "empty://0.0.0.0/a.b.Foo?category=configurators&version=1.0.0"},
		{"g/a.b.Foo", "providers", "empty://0.0.0.0/a.b.Foo?category=providers&group=g"},
		{"a.b.Foo:", "providers", "empty://0.0.0.0/a.b.Foo?category=providers"},
		{"/a.b.Foo", "providers", "empty://0.0.0.0/a.b.Foo?category=providers"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			u := EmptyURL(tt.key, tt.category)
			require.Equal(t, tt.want, u.String())
			require.Equal(t, EmptyProtocol, u.Protocol())
			require.Equal(t, tt.category, u.Category())
		})
	}
	require.Equal(t, "g/a.b.Foo:1.0.0", EmptyURL("g/a.b.Foo:1.0.0", "providers").ServiceKey())
}

func TestIsAnyHostIsLocalHost(t *testing.T) {
	tests := []struct {
		url          string
		any, isLocal bool
	}{
		{"dubbo://0.0.0.0:20880", true, false},
		{"dubbo://10.0.0.1:20880?anyhost=true", true, false},
		{"dubbo://10.0.0.1:20880?anyhost=TRUE", true, false},
		{"dubbo://10.0.0.1:20880?anyhost=false", false, false},
		{"dubbo://localhost:20880", false, true},
		{"dubbo://LocalHost", false, true},
		{"dubbo://127.0.0.1", false, true},
		{"dubbo://127.1.22.255:1", false, true},
		{"dubbo://127.0.0.1234", false, false},
		{"dubbo://127.0.0", false, false},
		{"dubbo://127.0.0.", false, false},
		{"dubbo://127.0.0.1.1", false, false},
		{"dubbo://1127.0.0.1", false, false},
		{"dubbo://127.a.0.1", false, false},
		{"dubbo://10.0.0.1?localhost=true", false, true},
		{"dubbo://10.0.0.1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u := MustParse(tt.url)
			require.Equal(t, tt.any, u.IsAnyHost(), "IsAnyHost")
			require.Equal(t, tt.isLocal, u.IsLocalHost(), "IsLocalHost")
		})
	}
}
