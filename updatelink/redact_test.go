package updatelink

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	l, err := NewLinks("https://pay.example.com/billing", signer(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	up, _ := l.UpdateURL(7, now)
	un, _ := l.UnsubscribeURL(7, now)
	nu, _ := l.NoticeUpdateURL(9, now)
	nx, _ := l.NoticeUnsubscribeURL(9, now)
	for _, tc := range []struct{ name, in, want string }{
		{"text", "Update your card: " + up + "\n\nStop these emails: " + un + "\n",
			"Update your card: [card update link]\n\nStop these emails: [unsubscribe link]\n"},
		{"html", `<a href="` + up + `">` + up + `</a> <a href='` + un + `'>stop</a>`,
			`<a href="[card update link]">[card update link]</a> <a href='[unsubscribe link]'>stop</a>`},
		{"notice links", "(" + nu + ") " + nx + ".", "([card update link]) [unsubscribe link]."},
		{"nothing to redact", "See https://shop.example.com/u/me and https://x.example/help", "See https://shop.example.com/u/me and https://x.example/help"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			if got != tc.want {
				t.Fatalf("Redact:\n got %q\nwant %q", got, tc.want)
			}
			for _, tok := range []string{up, un, nu, nx} {
				if strings.Contains(got, tok[strings.LastIndex(tok, "/")+1:]) {
					t.Errorf("a token is left in %q", got)
				}
			}
		})
	}
	stored := Redact("Update: " + up + " / stop: " + un)
	if !Redacted(stored) || Redacted("Update: "+up) {
		t.Error("Redacted does not tell a stored message from a live one")
	}
	if got := Restore(stored, "U", "X"); got != "Update: U / stop: X" {
		t.Errorf("Restore = %q", got)
	}
}
