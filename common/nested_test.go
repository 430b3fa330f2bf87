package common

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReferParams(t *testing.T) {
	consumer := map[string]string{
		"interface": "org.a.Svc", "methods": "sayHello,sayBye", "side": "consumer",
		"application": "demo", "timeout": "3000",
	}
	registry := NewURL("zookeeper", "10.0.0.1", 2181, "org.apache.dubbo.registry.RegistryService",
		map[string]string{ReferKey: Encode(ToQueryString(consumer)), "dubbo": "2.0.2"})
	// The registry URL renders refer encoded once and reads back the same.
	require.Contains(t, registry.String(), "refer=application%3Ddemo%26interface%3Dorg.a.Svc%26methods%3DsayHello%2CsayBye")
	reparsed := MustParse(registry.String())
	require.True(t, registry.Equal(reparsed))

	got, err := reparsed.ReferParams()
	require.NoError(t, err)
	require.Equal(t, consumer, got)

	got, err = MustParse("zookeeper://h/r?a=1").ReferParams()
	require.NoError(t, err)
	require.Nil(t, got, "absent refer")
	got, err = MustParse("zookeeper://h/r?refer=").ReferParams()
	require.NoError(t, err)
	require.Nil(t, got, "empty refer")

	_, err = MustParse("zookeeper://h/r?refer=a%3").ReferParams()
	require.EqualError(t, err, `refer param: unterminated escape sequence at index 1 of: "a%3"`)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
}

func TestExportURL(t *testing.T) {
	provider := MustParse("dubbo://u:pw@10.0.0.2:20880/org.a.Svc?anyhost=true&methods=a,b&interface=org.a.Svc&x=1%2B1")
	registry := NewURL("zookeeper", "10.0.0.1", 2181, "org.apache.dubbo.registry.RegistryService",
		map[string]string{ExportKey: Encode(provider.FullString())})
	require.Contains(t, registry.String(),
		"export=dubbo%3A%2F%2Fu%3Apw%4010.0.0.2%3A20880%2Forg.a.Svc%3Fanyhost%3Dtrue%26interface%3Dorg.a.Svc%26methods%3Da%2Cb%26x%3D1%252B1")

	got, err := MustParse(registry.FullString()).ExportURL()
	require.NoError(t, err)
	require.True(t, provider.Equal(got), "got %s", got.FullString())
	x, _ := got.Param("x")
	require.Equal(t, "1%2B1", x, "decoded once, not twice")

	got, err = registry.WithoutParams(ExportKey).ExportURL()
	require.NoError(t, err)
	require.Nil(t, got)

	_, err = registry.WithParam(ExportKey, "dubbo%3A%2F%2Fh%3Axx").ExportURL()
	require.EqualError(t, err, `export param: parse encoded url "dubbo%3A%2F%2Fh%3Axx": invalid port "xx"`)
}

func TestConsumerURLFromRegistry(t *testing.T) {
	tests := []struct {
		name     string
		registry string
		want     string
		err      error
	}{
		{
			name:     "spec example",
			registry: "zookeeper://10.20.30.40/Svc?a=b&refer=foo%3Dbar%26interface%3DSvc%26register.ip%3D10.20.30.40",
			want:     "dubbo://10.20.30.40/Svc?foo=bar&interface=Svc&register.ip=10.20.30.40",
		},
		{
			name:     "protocol from refer, host from the registry, monitor dropped",
			registry: "zookeeper://admin:pw@10.0.0.1:2181/org.apache.dubbo.registry.RegistryService?refer=protocol%3Dtri%26interface%3DSvc%26monitor%3Dx%26side%3Dconsumer&timeout=9",
			want:     "tri://10.0.0.1/Svc?interface=Svc&protocol=tri&side=consumer",
		},
		{
			name:     "no refer",
			registry: "zookeeper://10.0.0.1/Svc?a=b",
			err:      errNoRefer,
		},
		{
			name:     "refer without interface",
			registry: "zookeeper://10.0.0.1/Svc?refer=side%3Dconsumer",
			err:      errNoInterface,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConsumerURLFromRegistry(MustParse(tt.registry))
			if tt.err != nil {
				require.True(t, errors.Is(err, tt.err), "error %v", err)
				require.ErrorContains(t, err, "consumer url from registry")
				return
			}
			require.NoError(t, err)
			want := MustParse(tt.want)
			require.True(t, want.Equal(got), "got %s", got.FullString())
			require.Equal(t, want.FullString(), got.FullString())
			require.Equal(t, 0, got.Port())
		})
	}
	_, err := ConsumerURLFromRegistry(MustParse("zookeeper://admin:secret@h/r?refer=%zz"))
	require.ErrorContains(t, err, `invalid escape sequence "%zz"`)
	require.NotContains(t, err.Error(), "secret")
}
