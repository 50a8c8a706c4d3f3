package recoup

import (
	"bytes"
	"encoding/json"
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
