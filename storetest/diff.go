package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// diff describes how got differs from want, one line per differing field, or returns "" if
// they are equal. Times are equal if they are the same instant in the same location; nil and
// empty slices and maps are equal.
func diff(want, got any) string {
	var b strings.Builder
	diffValue(&b, "", reflect.ValueOf(want), reflect.ValueOf(got))
	return b.String()
}

func diffValue(b *strings.Builder, path string, want, got reflect.Value) {
	if !want.IsValid() || !got.IsValid() {
		if want.IsValid() != got.IsValid() {
			fmt.Fprintf(b, "%s: want %v, got %v\n", path, want, got)
		}
		return
	}
	if want.Type() != got.Type() {
		fmt.Fprintf(b, "%s: want type %s, got %s\n", path, want.Type(), got.Type())
		return
	}
	if want.Type() == timeType {
		w, g := want.Interface().(time.Time), got.Interface().(time.Time)
		if !w.Equal(g) || w.Location().String() != g.Location().String() {
			fmt.Fprintf(b, "%s: want %s, got %s\n", path, w.Format(time.RFC3339Nano+" MST"), g.Format(time.RFC3339Nano+" MST"))
		}
		return
	}
	switch want.Kind() {
	case reflect.Pointer, reflect.Interface:
		if want.IsNil() || got.IsNil() {
			if want.IsNil() != got.IsNil() {
				fmt.Fprintf(b, "%s: want %s, got %s\n", path, show(want), show(got))
			}
			return
		}
		diffValue(b, path, want.Elem(), got.Elem())
	case reflect.Struct:
		for i := range want.NumField() {
			if !want.Type().Field(i).IsExported() {
				continue
			}
			diffValue(b, path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i))
		}
	case reflect.Slice:
		if want.Type().Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
			if string(want.Bytes()) != string(got.Bytes()) {
				fmt.Fprintf(b, "%s: want %q, got %q\n", path, want.Bytes(), got.Bytes())
			}
			return
		}
		if want.Len() != got.Len() {
			fmt.Fprintf(b, "%s: want %d elements, got %d: want %s, got %s\n", path, want.Len(), got.Len(), show(want), show(got))
			return
		}
		for i := range want.Len() {
			diffValue(b, fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i))
		}
	case reflect.Map:
		if want.Len() != got.Len() {
			fmt.Fprintf(b, "%s: want %s, got %s\n", path, show(want), show(got))
			return
		}
		for _, k := range want.MapKeys() {
			g := got.MapIndex(k)
			if !g.IsValid() {
				fmt.Fprintf(b, "%s[%v]: missing\n", path, k)
				continue
			}
			diffValue(b, fmt.Sprintf("%s[%v]", path, k), want.MapIndex(k), g)
		}
	default:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			fmt.Fprintf(b, "%s: want %s, got %s\n", path, show(want), show(got))
		}
	}
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return fmt.Sprintf("&%+v", v.Elem().Interface())
	}
	return fmt.Sprintf("%#v", v.Interface())
}
