package convert

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type User struct {
	ID       int64
	Name     string
	Tags     []string
	Birthday time.Time
	Manager  *User
	Alias    string `hessian:"nick"`
}

func TestTo(t *testing.T) {
	birthday := time.Date(2000, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want any
		err  string
	}{
		{"assignable", "x", "x", ""},
		{"int32 to int", int32(7), 7, ""},
		{"int64 to int32", int64(7), int32(7), ""},
		{"overflow", int64(1) << 40, int32(0), "overflows int32"},
		{"fraction", 1.5, 0, "overflows int"},
		{"int to float", 2, 2.0, ""},
		{"nil to pointer", nil, (*User)(nil), ""},
		{"nil to int", nil, 0, "cannot use nil as int"},
		{"value to pointer", User{Name: "a"}, &User{Name: "a"}, ""},
		{"pointer to value", &User{Name: "a"}, User{Name: "a"}, ""},
		{"slice of any", []any{"a", "b"}, []string{"a", "b"}, ""},
		{"slice element mismatch", []any{"a", 1}, []string(nil), "element 1: cannot use int as string"},
		{"hashmap", map[any]any{"a": int32(1)}, map[string]int64{"a": 1}, ""},
		{"pojo map to struct", map[string]any{"id": int64(9), "name": "bob", "tags": []any{"x"}, "birthday": birthday, "class": "com.a.User", "nick": "b"},
			User{ID: 9, Name: "bob", Tags: []string{"x"}, Birthday: birthday, Alias: "b"}, ""},
		{"nested pojo", map[any]any{"manager": map[any]any{"name": "boss"}}, User{Manager: &User{Name: "boss"}}, ""},
		{"pojo field mismatch", map[string]any{"id": "nine"}, User{}, "field ID: cannot use string as int64"},
		{"unrelated", "x", 0, "cannot use string as int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := To(tt.in, reflect.TypeOf(tt.want))
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got.Interface())
		})
	}
}

func TestToInterface(t *testing.T) {
	got, err := To(map[any]any{"a": 1}, reflect.TypeFor[any]())
	require.NoError(t, err)
	require.Equal(t, map[any]any{"a": 1}, got.Interface())
}
