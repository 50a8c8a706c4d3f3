package recoup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// plainDecision is a Decision without its MarshalJSON: encoding/json's own encoding of it.
type plainDecision Decision

func FuzzDecisionJSON(f *testing.F) {
	f.Add("retry", "funds; Mon 2 Jan 10:00 CET; p=0.31 <best> & \"quoted\"", "", "until", "2026-01-02T10:00:00Z", int64(1767348000), 0)
	f.Add("final_action", "é\u2028\x01\xff", "cancel_subscription", "k<", "v\\\n\t", int64(-1), 3600)
	f.Add("nothing", "", "", "", "", int64(0), -18000)
	f.Fuzz(func(t *testing.T, kind, reason, action, key, value string, unix int64, offset int) {
		d := Decision{Kind: DecisionKind(kind), At: time.Unix(unix%(1<<36), 0).In(time.FixedZone("", offset%86400)),
			Reason: reason, FinalAction: FinalAction(action)}
		if key != "" || value != "" {
			d.Inputs = map[string]string{key: value, "zone": "Europe/Paris", "a" + key: value + "b"}
		}
		got, err := json.Marshal(d)
		want, werr := json.Marshal(plainDecision(d))
		if (err != nil) != (werr != nil) {
			t.Fatalf("errors differ: %v and %v", err, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		direct, _ := d.MarshalJSON()
		if err == nil && !bytes.Equal(direct, want) {
			t.Fatalf("MarshalJSON\n got %s\nwant %s", direct, want)
		}
	})
}

func TestAppendJSONStrings(t *testing.T) {
	for _, m := range []map[string]string{nil, {}, {"to": "paid", "from": "retrying", "<": "&\u2029"}} {
		want, _ := json.Marshal(m)
		if got := AppendJSONStrings(nil, m); !bytes.Equal(got, want) {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// plainAttempt and plainDecline are Attempt and Decline without their MarshalJSON.
type (
	plainAttempt struct {
		ID              int64         `json:"id"`
		CaseID          int64         `json:"case_id"`
		N               int           `json:"n"`
		Source          AttemptSource `json:"source"`
		IdempotencyKey  string        `json:"idempotency_key,omitempty"`
		PaymentMethodID string        `json:"payment_method_id,omitempty"`
		Card            CardSource    `json:"card,omitempty"`
		Status          AttemptStatus `json:"status"`
		Decline         *plainDecline `json:"decline,omitempty"`
		StartedAt       time.Time     `json:"started_at"`
		FinishedAt      time.Time     `json:"finished_at,omitzero"`
	}
	plainDecline Decline
)

func FuzzAttemptJSON(f *testing.F) {
	f.Add(int64(7), int64(3), 2, "recoup", "case_3_attempt_2", "pm_1", "failed", true, "card_declined", "insufficient_funds", "visa <&>", "funds", int64(1767348000), int64(60))
	f.Add(int64(0), int64(0), 0, "", "", "", "", false, "", "", "", "", int64(0), int64(0))
	f.Add(int64(-1), int64(1<<40), -3, "stripe", "é\u2028", "\xff", "pending", true, "", "", "", "", int64(-62135596800), int64(-1))
	f.Fuzz(func(t *testing.T, id, caseID int64, n int, source, key, pm, status string, declined bool, code, declineCode, brand, category string, started, took int64) {
		a := Attempt{ID: id, CaseID: caseID, N: n, Source: AttemptSource(source), IdempotencyKey: key, PaymentMethodID: pm,
			Card: CardSource(pm), Status: AttemptStatus(status), StartedAt: time.Unix(started%(1<<36), 0).UTC()}
		if took > 0 {
			a.FinishedAt = a.StartedAt.Add(time.Duration(took) * time.Millisecond)
		}
		p := plainAttempt{a.ID, a.CaseID, a.N, a.Source, a.IdempotencyKey, a.PaymentMethodID, a.Card, a.Status, nil, a.StartedAt, a.FinishedAt}
		if declined {
			a.Decline = &Decline{Code: code, DeclineCode: declineCode, CardBrand: brand, Category: Category(category), Message: key}
			d := plainDecline(*a.Decline)
			p.Decline = &d
		}
		got, err := json.Marshal(a)
		want, werr := json.Marshal(p)
		if (err != nil) != (werr != nil) {
			t.Fatalf("errors differ: %v and %v", err, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		if direct, _ := a.MarshalJSON(); err == nil && !bytes.Equal(direct, want) {
			t.Fatalf("MarshalJSON\n got %s\nwant %s", direct, want)
		}
	})
}

// The hand-written encoders know every field: a field added to Attempt, Decline or Decision
// must be added to their MarshalJSON (and to plainAttempt) too.
func TestEncodersKnowEveryField(t *testing.T) {
	tags := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, rt.Field(i).Name+" "+rt.Field(i).Tag.Get("json"))
		}
		return out
	}
	for _, tc := range []struct {
		v    any
		want []string
	}{
		{Attempt{}, tags(plainAttempt{})},
		{Decline{}, []string{"Code code,omitempty", "DeclineCode decline_code,omitempty", "AdviceCode advice_code,omitempty",
			"NetworkAdviceCode network_advice_code,omitempty", "NetworkDeclineCode network_decline_code,omitempty",
			"OutcomeType outcome_type,omitempty", "OutcomeReason outcome_reason,omitempty", "NetworkStatus network_status,omitempty",
			"Message message,omitempty", "CardBrand card_brand,omitempty", "CardFunding card_funding,omitempty",
			"CardCountry card_country,omitempty", "Category category,omitempty"}},
		{Decision{}, []string{"Kind kind", "At at", "Reason reason", "FinalAction final_action,omitempty", "Inputs inputs,omitempty"}},
	} {
		if got := tags(tc.v); !slices.Equal(got, tc.want) {
			t.Errorf("%T has fields %v; its MarshalJSON writes %v", tc.v, got, tc.want)
		}
	}
}

// An entry's detail from SetDetail is what encoding/json gives, and Validate trusts it only
// while Detail is still that encoding: a detail replaced or cut afterwards is scanned again.
func TestSetDetailIsValidatedOnceReplaced(t *testing.T) {
	d := Decision{Kind: DecideRetry, At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Reason: `a "quoted" <reason>`, Inputs: map[string]string{"b": "2", "a": "1"}}
	for _, v := range []any{d, map[string]string{"from": "open", "to": "retrying"}, struct{ N int }{3}} {
		e := TimelineEntry{Kind: EntryDecision}
		if err := e.SetDetail(v); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v)
		if string(e.Detail) != string(want) {
			t.Errorf("SetDetail(%T) = %s, want %s", v, e.Detail, want)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("SetDetail(%T): %v", v, err)
		}
		cut := e
		cut.Detail = cut.Detail[:len(cut.Detail)-1]
		replaced := e
		replaced.Detail = []byte(`{"a":`)
		for name, bad := range map[string]TimelineEntry{"cut": cut, "replaced": replaced} {
			if bad.Validate() == nil {
				t.Errorf("%s detail %s of %T validated", name, bad.Detail, v)
			}
		}
	}
}

type textKind string

func (t textKind) MarshalText() ([]byte, error) { return []byte("text:" + string(t)), nil }

type jsonKind int

func (j jsonKind) MarshalJSON() ([]byte, error) { return []byte(`"json"`), nil }

type plainKind string
type plainCount uint16

// appendJSONFlat writes a map of plain values exactly as encoding/json does, and declines every
// map holding a value whose encoding it does not know (floats, structs, pointers, slices, and
// named types with their own JSON or text encoding), which SetDetail then encodes as
// encoding/json does.
func TestAppendJSONFlatMatchesEncodingJSON(t *testing.T) {
	flat := []map[string]any{
		nil, {},
		{"n": 3, "idempotency_key": "recoup_in_1_2", "first": true, "none": nil},
		{"step": int64(-7), "x": int32(9), "channel": plainKind("email <&> é\u2028"), "count": plainCount(65535), "u8": uint8(7), "i8": int8(-8)},
		{"state": CaseState("retrying"), "source": SourceRecoup, "b": false, "quote\"key": "v\\"},
	}
	for _, m := range flat {
		got, ok := appendJSONFlat([]byte("prefix"), m)
		want, _ := json.Marshal(m)
		if !ok || string(got) != "prefix"+string(want) {
			t.Errorf("appendJSONFlat(%v) = %s, %v; want %s", m, got, ok, want)
		}
		e := TimelineEntry{Kind: EntryAction}
		if err := e.SetDetail(m); err != nil || string(e.Detail) != string(want) {
			t.Errorf("SetDetail(%v) = %s, %v; want %s", m, e.Detail, err, want)
		}
	}
	x := 1
	for _, m := range []map[string]any{
		{"a": 1.5}, {"a": "ok", "t": textKind("k")}, {"j": jsonKind(1)}, {"s": struct{ A int }{1}},
		{"p": &x}, {"l": []string{"a"}}, {"m": map[string]int{"a": 1}}, {"at": time.Unix(0, 0).UTC()},
	} {
		if got, ok := appendJSONFlat([]byte("prefix"), m); ok || string(got) != "prefix" {
			t.Errorf("appendJSONFlat(%v) = %s, %v; want it declined", m, got, ok)
		}
		want, _ := json.Marshal(m)
		e := TimelineEntry{Kind: EntryAction}
		if err := e.SetDetail(m); err != nil || string(e.Detail) != string(want) {
			t.Errorf("SetDetail(%v) = %s, %v; want %s", m, e.Detail, err, want)
		}
	}
}

func FuzzAppendJSONFlat(f *testing.F) {
	f.Add("step", "email <b>", int64(3), true, uint16(9))
	f.Add("\xff", "é\u2028\x01", int64(-1), false, uint16(0))
	f.Fuzz(func(t *testing.T, k, s string, n int64, b bool, u uint16) {
		m := map[string]any{k: s, k + "n": n, k + "b": b, k + "u": plainCount(u), k + "k": plainKind(s), "z" + k: nil}
		got, ok := appendJSONFlat(nil, m)
		want, err := json.Marshal(m)
		if err != nil || !ok || string(got) != string(want) {
			t.Fatalf("appendJSONFlat(%q) = %s, %v; encoding/json %s, %v", m, got, ok, want, err)
		}
	})
}

// Money's words are the same as formatting with fmt: major units, two decimals, the currency.
func TestMoneyStringMatchesPrintf(t *testing.T) {
	ref := func(m Money) string {
		cur := strings.ToUpper(m.Currency)
		if IsZeroDecimal(m.Currency) {
			return fmt.Sprintf("%d %s", m.Amount, cur)
		}
		sign, a := "", m.Amount
		if a < 0 {
			sign, a = "-", -a
		}
		return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, cur)
	}
	for _, a := range []int64{0, 1, 9, 10, 99, 100, 101, 1234, 100000, -1, -5, -100, -1234, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		for _, cur := range []string{"usd", "eur", "jpy", "KRW", ""} {
			m := Money{Amount: a, Currency: cur}
			if got, want := m.String(), ref(m); got != want {
				t.Errorf("%+v: %q, want %q", m, got, want)
			}
		}
	}
	if got := (Money{Amount: 1205, Currency: "usd"}).String(); got != "12.05 USD" {
		t.Errorf("12.05 USD written %q", got)
	}
}
