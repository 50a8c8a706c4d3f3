package recoup

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
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
	return appendJSONObject(b, m, appendJSONString)
}

// appendJSONObject appends m as encoding/json writes a map: its keys in order, each value
// written by value.
func appendJSONObject[V any](b []byte, m map[string]V, value func([]byte, V) []byte) []byte {
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
		b = value(b, m[k])
	}
	return append(b, '}')
}

// appendJSONFlat appends m as encoding/json writes it when each value is null, a bool, an
// integer or a string (of any named string or integer type without its own JSON or text
// encoding), and reports false, appending nothing, for any other value.
func appendJSONFlat(b []byte, m map[string]any) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	for _, v := range m {
		if !flatJSON(v) {
			return b, false
		}
	}
	return appendJSONObject(b, m, appendFlatValue), true
}

// flatJSON reports whether appendFlatValue writes v as encoding/json does.
func flatJSON(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, int64, int32:
		return true
	case json.Marshaler, encoding.TextMarshaler:
		return false
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// appendFlatValue appends a value flatJSON accepts.
func appendFlatValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.String:
		return appendJSONString(b, r.String())
	case reflect.Bool:
		return strconv.AppendBool(b, r.Bool())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, r.Uint(), 10)
	}
	return strconv.AppendInt(b, r.Int(), 10)
}

// AppendJSONString appends s as encoding/json writes a string.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }

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

// MarshalJSON writes a as encoding/json writes it from its field tags, without reflection: the
// engine records every charge's start and outcome on the case's timeline.
func (a Attempt) MarshalJSON() ([]byte, error) {
	started, err := a.StartedAt.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"case_id":`...)
	b = strconv.AppendInt(b, a.CaseID, 10)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(a.N), 10)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, string(a.Source))
	b = appendOmitEmpty(b, "idempotency_key", a.IdempotencyKey)
	b = appendOmitEmpty(b, "payment_method_id", a.PaymentMethodID)
	b = appendOmitEmpty(b, "card", string(a.Card))
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(a.Status))
	if a.Decline != nil {
		b = append(b, `,"decline":`...)
		b = a.Decline.appendJSON(b)
	}
	b = append(b, `,"started_at":`...)
	b = append(b, started...)
	if !a.FinishedAt.IsZero() {
		finished, err := a.FinishedAt.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(b, `,"finished_at":`...)
		b = append(b, finished...)
	}
	return append(b, '}'), nil
}

// MarshalJSON writes d as encoding/json writes it from its field tags, without reflection.
func (d Decline) MarshalJSON() ([]byte, error) { return d.appendJSON(make([]byte, 0, 128)), nil }

func (d Decline) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	for _, f := range [...]struct{ name, v string }{
		{"code", d.Code}, {"decline_code", d.DeclineCode}, {"advice_code", d.AdviceCode},
		{"network_advice_code", d.NetworkAdviceCode}, {"network_decline_code", d.NetworkDeclineCode},
		{"outcome_type", d.OutcomeType}, {"outcome_reason", d.OutcomeReason}, {"network_status", d.NetworkStatus},
		{"message", d.Message}, {"card_brand", d.CardBrand}, {"card_funding", d.CardFunding},
		{"card_country", d.CardCountry}, {"category", string(d.Category)},
	} {
		if f.v == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendField(b, f.name, f.v)
	}
	return append(b, '}')
}

// appendField appends "name":"v".
func appendField(b []byte, name, v string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

// appendOmitEmpty appends ,"name":"v" unless v is empty.
func appendOmitEmpty(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendField(append(b, ','), name, v)
}
