package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

var timeType = reflect.TypeFor[time.Time]()

// Normalize returns a deep copy of v as a store may legitimately return it:
// every time.Time truncated to whole milliseconds (as MongoDB keeps them)
// and put in UTC, and every empty slice or map replaced by nil. Compare
// normalised values only.
func Normalize[T any](v T) T {
	src := reflect.ValueOf(&v).Elem()
	dst := reflect.New(src.Type()).Elem()
	normalize(dst, src)
	return dst.Interface().(T)
}

// Millis returns t truncated to milliseconds, in UTC, the way stores keep
// times (towards the Unix epoch, as the MongoDB driver does).
func Millis(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func normalize(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Struct:
		if src.Type() == timeType {
			dst.Set(reflect.ValueOf(Millis(src.Interface().(time.Time))))
			return
		}
		for i := range src.NumField() {
			if !src.Type().Field(i).IsExported() {
				panic("storetest: cannot normalise unexported field " + src.Type().Field(i).Name + " of " + src.Type().String())
			}
			normalize(dst.Field(i), src.Field(i))
		}
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		normalize(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.Len() == 0 {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			normalize(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.Len() == 0 {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			v := reflect.New(src.Type().Elem()).Elem()
			normalize(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		normalize(v, src.Elem())
		dst.Set(v)
	default:
		dst.Set(src)
	}
}

// Diff compares want and got after normalising both and returns one line
// per differing field ("" if they are equal).
func Diff[T any](want, got T) string {
	w, g := reflect.ValueOf(Normalize(want)), reflect.ValueOf(Normalize(got))
	var out []string
	diff(&out, typeName(w.Type()), w, g)
	return strings.Join(out, "\n")
}

func typeName(t reflect.Type) string {
	s := t.String()
	return strings.TrimPrefix(strings.TrimPrefix(s, "*"), "publisher.")
}

func diff(out *[]string, path string, w, g reflect.Value) {
	if len(*out) > 40 {
		return
	}
	if w.Kind() == reflect.Struct && w.Type() != timeType {
		for i := range w.NumField() {
			diff(out, path+"."+w.Type().Field(i).Name, w.Field(i), g.Field(i))
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer:
		if !w.IsNil() && !g.IsNil() {
			diff(out, path, w.Elem(), g.Elem())
			return
		}
	case reflect.Slice:
		if w.Len() == g.Len() {
			for i := range w.Len() {
				diff(out, fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
			}
			return
		}
	}
	if !reflect.DeepEqual(w.Interface(), g.Interface()) {
		*out = append(*out, fmt.Sprintf("%s: want %s, got %s", path, show(w), show(g)))
	}
}

func show(v reflect.Value) string {
	switch {
	case v.Kind() == reflect.Pointer && v.IsNil():
		return "nil"
	case v.Kind() == reflect.Pointer:
		return "&" + show(v.Elem())
	case v.Type() == timeType:
		return v.Interface().(time.Time).Format("2006-01-02T15:04:05.000Z07:00")
	case v.Kind() == reflect.String:
		s := v.String()
		if len(s) > 80 {
			s = s[:80] + "…"
		}
		return fmt.Sprintf("%q", s)
	case v.Kind() == reflect.Slice && v.Len() > 10:
		return fmt.Sprintf("%s of length %d", v.Type(), v.Len())
	}
	return fmt.Sprintf("%+v", v.Interface())
}

// AssertEqual fails t with a field-by-field difference if got differs from
// want after normalisation.
func AssertEqual[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if d := Diff(want, got); d != "" {
		t.Errorf("%s differs from what was expected:\n%s", what, d)
	}
}

// AssertCode fails t unless err carries the given publisher error code.
func AssertCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %s", what, code)
		return
	}
	if got := publisher.ErrorCode(err); got != code {
		t.Errorf("%s: got error code %q (%v), want %q", what, got, err, code)
	}
}

// Must fails t at once if err is not nil.
func Must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ids returns the ids of vs, in order.
func ids[T any](vs []T, id func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return out
}

// assertIDs fails t unless got holds exactly the ids of want, in order.
func assertIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("%s: got ids %v, want %v", what, got, want)
	}
}

// assertSameSet fails t unless got and want hold the same ids in any order.
func assertSameSet(t testing.TB, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	assertIDs(t, what+" (in any order)", g, w)
}
