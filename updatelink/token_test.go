package updatelink

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
)

func signer(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenRoundTrip(t *testing.T) {
	s := signer(t)
	tok, err := s.Issue(Update, 42, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok, Update, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.CaseID != 42 || c.Purpose != Update || !c.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("claims %+v", c)
	}
	again, _ := s.Issue(Update, 42, now.Add(time.Hour))
	if again == tok {
		t.Error("two tokens for the same case and expiry are equal: the nonce is missing")
	}
	if strings.ContainsAny(tok, "+/=") || len(tok) > 64 {
		t.Errorf("token %q is not short URL-safe text", tok)
	}
}

func TestTokenRefused(t *testing.T) {
	s := signer(t)
	tok, err := s.Issue(Update, 42, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other, _ := NewSigner([]byte("another secret, also 32 bytes long!"))
	foreign, _ := other.Issue(Update, 42, now.Add(time.Hour))
	unsub, _ := s.Issue(Unsubscribe, 42, now.Add(time.Hour))
	for _, tc := range []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"another case id", flip(9), now, ErrInvalid},
		{"a later expiry", flip(17), now, ErrInvalid},
		{"another purpose byte", flip(1), now, ErrInvalid},
		{"a changed signature", flip(len(raw) - 1), now, ErrInvalid},
		{"truncated", tok[:len(tok)-2], now, ErrInvalid},
		{"empty", "", now, ErrInvalid},
		{"not base64", "%%%", now, ErrInvalid},
		{"signed with another secret", foreign, now, ErrInvalid},
		{"an unsubscribe token as an update link", unsub, now, ErrInvalid},
		{"expired", tok, now.Add(time.Hour), ErrExpired},
		{"long expired", tok, now.Add(400 * 24 * time.Hour), ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(tc.token, Update, tc.at)
			if !errors.Is(err, tc.want) || recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
				t.Errorf("Verify = %v (code %q), want %v with EUNAUTHORIZED", err, recoup.ErrorCode(err), tc.want)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	l, err := NewLinks("https://pay.example.com/", signer(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := l.UpdateURL(7, now)
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := strings.CutPrefix(u, "https://pay.example.com/u/")
	if !ok {
		t.Fatalf("update URL %q", u)
	}
	c, err := l.Signer().Verify(tok, Update, now.Add(DefaultUpdateTTL-time.Second))
	if err != nil || c.CaseID != 7 {
		t.Fatalf("claims %+v, %v", c, err)
	}
	x, _ := l.UnsubscribeURL(7, now)
	tok, ok = strings.CutPrefix(x, "https://pay.example.com/unsubscribe/")
	if _, err := l.Signer().Verify(tok, Unsubscribe, now.Add(300*24*time.Hour)); !ok || err != nil {
		t.Fatalf("unsubscribe URL %q: %v", x, err)
	}
	for _, bad := range []string{"", "pay.example.com", "ftp://pay.example.com"} {
		if _, err := NewLinks(bad, signer(t), 0, 0); err == nil {
			t.Errorf("NewLinks(%q) accepted", bad)
		}
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
}

// A notice's links carry their own purposes: a notice token never opens a case's page (the
// same number would name another object), and a case's never opens a notice's.
func TestNoticeLinks(t *testing.T) {
	s, err := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLinks("https://pay.example.com", s, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		url     func(int64, time.Time) (string, error)
		prefix  string
		purpose Purpose
		others  []Purpose
	}{
		{l.NoticeUpdateURL, "https://pay.example.com/n/", NoticeUpdate, []Purpose{Update, Unsubscribe, NoticeUnsubscribe}},
		{l.NoticeUnsubscribeURL, "https://pay.example.com/unsubscribe/n/", NoticeUnsubscribe, []Purpose{Update, Unsubscribe, NoticeUpdate}},
	} {
		u, err := tc.url(7, now)
		if err != nil || !strings.HasPrefix(u, tc.prefix) {
			t.Fatalf("%q %v", u, err)
		}
		tok := strings.TrimPrefix(u, tc.prefix)
		if c, err := s.Verify(tok, tc.purpose, now); err != nil || c.CaseID != 7 {
			t.Errorf("%s: %+v %v", tc.purpose, c, err)
		}
		for _, p := range tc.others {
			if _, err := s.Verify(tok, p, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("a %s token verified for %s: %v", tc.purpose, p, err)
			}
		}
	}
}

// A token must not tell whoever holds it which case it opens (ids are sequential: the next
// customer's is one more) nor when it expires.
func TestTokenIsOpaque(t *testing.T) {
	s := signer(t)
	exp := now.Add(time.Hour)
	tok, err := s.Issue(Update, 42, exp)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	var id, at [8]byte
	binary.BigEndian.PutUint64(id[:], 42)
	binary.BigEndian.PutUint64(at[:], uint64(exp.Unix()))
	if bytes.Contains(raw, id[:]) || bytes.Contains(raw, at[:]) || bytes.Contains(raw, at[4:]) {
		t.Errorf("token %q shows the case id or the expiry: % x", tok, raw)
	}
}

// One token has one spelling: the decoder that skips CR and LF, or ignores unused bits, would
// accept several.
func TestTokenStrictSpelling(t *testing.T) {
	s := signer(t)
	tok, err := s.Issue(Update, 42, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[len(tok)-1])
	sibling := tok[:len(tok)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last^1])
	for name, spelling := range map[string]string{
		"a line feed inside":       tok[:20] + "\n" + tok[20:],
		"a carriage return inside": tok[:20] + "\r" + tok[20:],
		"CR LF at the end":         tok + "\r\n",
		"padding":                  tok + "==",
		"unused bits set":          sibling,
		"standard alphabet":        strings.NewReplacer("-", "+", "_", "/").Replace(tok),
	} {
		t.Run(name, func(t *testing.T) {
			if spelling == tok {
				t.Skip("the token has no character this spelling changes")
			}
			if _, err := s.Verify(spelling, Update, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("Verify(%q) = %v, want ErrInvalid", spelling, err)
			}
		})
	}
}

// Links sent before version 2 keep working until they expire: a customer may still use an
// unsubscribe link of last year's email.
func TestVersion1TokensStillVerify(t *testing.T) {
	s := signer(t)
	b := make([]byte, body1Len)
	b[0], b[1] = version1, byte(Unsubscribe)
	binary.BigEndian.PutUint64(b[2:], 42)
	binary.BigEndian.PutUint64(b[10:], uint64(now.Add(time.Hour).Unix()))
	binary.BigEndian.PutUint64(b[18:], 7)
	tok := base64.RawURLEncoding.EncodeToString(append(b, mac(s.keys[0].mac, b)...))
	c, err := s.Verify(tok, Unsubscribe, now)
	if err != nil || c.CaseID != 42 || c.Nonce != 7 {
		t.Fatalf("claims %+v, %v", c, err)
	}
	if _, err := s.Verify(tok, Update, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a version 1 token for another purpose: %v", err)
	}
}
