package updatelink

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// FuzzVerify feeds link tokens a customer, or anyone who saw one, could forge or mangle. Verify
// must not panic; it accepts only a token this secret issued (another secret refuses the same
// token), for the purpose asked, before it expires; every refusal is EUNAUTHORIZED.
func FuzzVerify(f *testing.F) {
	s, err := NewSigner(secret)
	if err != nil {
		f.Fatal(err)
	}
	other, err := NewSigner([]byte("another secret of thirty-two bytes!"))
	if err != nil {
		f.Fatal(err)
	}
	tok, err := s.Issue(Update, 42, now.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok, uint8(Update), int64(0))
	f.Add(tok, uint8(Unsubscribe), int64(2*3600))
	f.Add("", uint8(0), int64(0))
	f.Add("AQEAAAAAAAAAKgAAAABp", uint8(1), int64(-1))
	f.Fuzz(func(t *testing.T, token string, purpose uint8, shift int64) {
		at := now.Add(time.Duration(shift) * time.Second)
		c, err := s.Verify(token, Purpose(purpose), at)
		if err != nil {
			if recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
				t.Fatalf("%q: %v, want EUNAUTHORIZED", token, err)
			}
			return
		}
		if c.Purpose != Purpose(purpose) || c.CaseID <= 0 || !at.Before(c.Expires) {
			t.Fatalf("%q accepted with claims %+v for purpose %d at %s", token, c, purpose, at)
		}
		if _, err := other.Verify(token, Purpose(purpose), at); err == nil {
			t.Fatalf("%q is accepted under another secret", token)
		}
	})
}
