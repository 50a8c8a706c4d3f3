package recoup

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
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
