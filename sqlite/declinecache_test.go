package sqlite

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/recoup-hq/recoup"
)

// TestDeclineCodecCached holds the cached codec to encoding/json's answers, on first use and on
// every later one, including text that is not Marshal's form and a value Marshal alters.
func TestDeclineCodecCached(t *testing.T) {
	tests := []struct {
		name string
		d    recoup.Decline
		text string // as stored, if not json.Marshal(d)
	}{
		{name: "full", d: recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", AdviceCode: "try_again_later",
			Message: "Your card has insufficient funds.", CardBrand: "visa", CardFunding: "debit", CardCountry: "US", Category: recoup.CategoryFunds}},
		{name: "empty", d: recoup.Decline{}},
		{name: "invalid UTF-8", d: recoup.Decline{Message: "bad \xff byte"}},
		{name: "other spelling", text: `{ "decline_code" : "do_not_honor", "unknown": 1 }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.text
			if text == "" {
				b, err := json.Marshal(tt.d)
				if err != nil {
					t.Fatal(err)
				}
				text = string(b)
				for i := range 3 {
					got, err := declineArg(&tt.d)
					if err != nil || got != text {
						t.Fatalf("encode %d: got %v, %v; want %s", i, got, err, text)
					}
				}
			}
			var want recoup.Decline
			if err := json.Unmarshal([]byte(text), &want); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				got, err := declineOf(sql.NullString{String: text, Valid: true})
				if err != nil || *got != want {
					t.Fatalf("decode %d: got %+v, %v; want %+v", i, got, err, want)
				}
				got.Code = "changed by the caller" // must not reach the cache
			}
		})
	}
}
