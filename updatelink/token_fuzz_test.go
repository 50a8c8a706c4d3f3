package updatelink

import (
	"strings"
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

// FuzzRoundTrip issues tokens for any purpose, id and lifetime: a token issued verifies to
// exactly what was issued until it expires, and not after; changing any one of its characters
// makes it invalid; and the link it makes is redacted from a stored message. Seeds: the f.Add
// cases and testdata/fuzz/FuzzRoundTrip.
func FuzzRoundTrip(f *testing.F) {
	s, err := NewSigner(secret)
	if err != nil {
		f.Fatal(err)
	}
	l, err := NewLinks("https://pay.example.com/billing", s, 0, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(Update), int64(42), int64(3600), uint16(0), uint8(1))
	f.Add(uint8(Unsubscribe), int64(1), int64(365*24*3600), uint16(61), uint8(0x20))
	f.Add(uint8(NoticeUpdate), int64(1<<62), int64(1), uint16(30), uint8(0x80))
	f.Add(uint8(0), int64(-5), int64(-1), uint16(7), uint8(3))
	f.Fuzz(func(t *testing.T, purpose uint8, id, ttl int64, at uint16, flip uint8) {
		p := Purpose(purpose)
		exp := now.Add(time.Duration(ttl%(400*24*3600)) * time.Second)
		tok, err := s.Issue(p, id, exp)
		if id <= 0 {
			if err == nil {
				t.Fatalf("issued a token for id %d", id)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Verify(tok, p, now)
		switch {
		case !now.Before(exp.Truncate(time.Second)):
			if recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
				t.Fatalf("a token expired at %s verifies at %s: %v", exp, now, err)
			}
		case err != nil:
			t.Fatalf("a fresh token: %v", err)
		case c.Purpose != p || c.CaseID != id || c.Expires.Unix() != exp.Unix():
			t.Fatalf("issued %v %d %s, verified %+v", p, id, exp, c)
		}
		i := int(at) % len(tok)
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		j := (strings.IndexByte(alphabet, tok[i]) + 1 + int(flip)%63) % 64
		changed := tok[:i] + alphabet[j:j+1] + tok[i+1:]
		if _, err := s.Verify(changed, p, now.Add(-time.Hour)); err == nil {
			t.Fatalf("%q with character %d changed (%q) still verifies", tok, i, changed)
		}
		stored := Redact("Update: " + l.Base() + "/u/" + tok + ".")
		if stored != "Update: "+UpdateMarker+"." {
			t.Fatalf("stored as %q", stored)
		}
	})
}
