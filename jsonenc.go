package recoup

import (
	"encoding/json"
	"slices"
)

// MarshalJSON writes d as encoding/json writes it from its field tags, without reflection: the
// engine records a decision on every plan of every case.
func (d Decision) MarshalJSON() ([]byte, error) {
	at, err := d.At.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 128+len(d.Reason)+32*len(d.Inputs))
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, string(d.Kind))
	b = append(b, `,"at":`...)
	b = append(b, at...)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, d.Reason)
	if d.FinalAction != "" {
		b = append(b, `,"final_action":`...)
		b = appendJSONString(b, string(d.FinalAction))
	}
	if len(d.Inputs) > 0 {
		b = append(b, `,"inputs":`...)
		b = AppendJSONStrings(b, d.Inputs)
	}
	return append(b, '}'), nil
}

// AppendJSONStrings appends m as encoding/json writes it: an object with its keys in order.
func AppendJSONStrings(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendJSONString appends s quoted as encoding/json quotes it (with its HTML escapes): printable
// ASCII as it is, a string with anything else through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
