package updatelink

import (
	"testing"
	"time"
)

func TestFormToken(t *testing.T) {
	s, err := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner([]byte("fedcba9876543210fedcba9876543210"))
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	link, _ := s.Issue(Update, 7, now.Add(time.Hour))
	link2, _ := s.Issue(Update, 7, now.Add(time.Hour))
	tok := s.FormToken(link, "pause", now)
	tests := []struct {
		name                string
		s                   *Signer
		link, action, token string
		at                  time.Time
		want                bool
	}{
		{"the page's own form", s, link, "pause", tok, now.Add(time.Minute), true},
		{"another action", s, link, "pay_now", tok, now, false},
		{"another link of the same case", s, link2, "pause", tok, now, false},
		{"another key", other, link, "pause", tok, now, false},
		{"expired", s, link, "pause", tok, now.Add(FormTTL), false},
		{"from the future", s, link, "pause", s.FormToken(link, "pause", now.Add(time.Hour)), now, false},
		{"tampered", s, link, "pause", tok[:len(tok)-2] + "AA", now, false},
		{"empty", s, link, "pause", "", now, false},
		{"a link token is no form token", s, link, "pause", link, now, false},
	}
	for _, tt := range tests {
		if got := tt.s.CheckFormToken(tt.link, tt.action, tt.token, tt.at); got != tt.want {
			t.Errorf("%s: CheckFormToken = %v, want %v", tt.name, got, tt.want)
		}
	}
}
