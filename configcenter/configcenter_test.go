package configcenter_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
)

func TestFromRegistry(t *testing.T) {
	tests := []struct{ registry, want string }{
		{"zookeeper://10.0.0.1:2181?timeout=3000", "zookeeper://10.0.0.1:2181?timeout=3000"},
		{"zookeeper://10.0.0.1:2181?group=g&refer=a%3Db", "zookeeper://10.0.0.1:2181?group=g&namespace=g"},
		{"nacos://u:p@10.0.0.1:8848?namespace=ns", "nacos://u:p@10.0.0.1:8848?namespace=ns"},
		{"nacos://10.0.0.1:8848?namespace=ns&group=DEFAULT_GROUP&nacos.group=G", "nacos://10.0.0.1:8848?namespace=ns"},
	}
	for _, tt := range tests {
		got := configcenter.FromRegistry(common.MustParse(tt.registry))
		require.Equal(t, common.MustParse(tt.want).String(), got.String(), tt.registry)
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := configcenter.Open(common.MustParse("etcd://127.0.0.1:2379"))
	require.ErrorContains(t, err, `unknown config center "etcd" (forgotten import?)`)
}
