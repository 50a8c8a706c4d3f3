package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSMSSettings(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "the-secret-twilio-token"
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	f := CommsFlags{SMSFrom: "+15550009999", SMSPrice: "0.0083 usd"}
	tests := []struct {
		name   string
		f      CommsFlags
		lookup func(string) (string, bool)
		public string
		on     bool
		err    string
	}{
		{name: "off", f: CommsFlags{}, lookup: env()},
		{name: "a sender without credentials", f: f, lookup: env(), err: "TWILIO_ACCOUNT_SID is not"},
		{name: "token from the environment", f: f, lookup: env("TWILIO_ACCOUNT_SID", sid, "TWILIO_AUTH_TOKEN", token), public: "https://pay.example.com", on: true},
		{name: "token from a file", f: f, lookup: env("TWILIO_ACCOUNT_SID", sid, "TWILIO_AUTH_TOKEN_FILE", file), public: "https://pay.example.com", on: true},
		{name: "both", f: f, lookup: env("TWILIO_ACCOUNT_SID", sid, "TWILIO_AUTH_TOKEN", token, "TWILIO_AUTH_TOKEN_FILE", file), public: "https://pay.example.com", err: "not both"},
		{name: "no token", f: f, lookup: env("TWILIO_ACCOUNT_SID", sid), public: "https://pay.example.com", err: "TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) is required"},
		{name: "no links", f: f, lookup: env("TWILIO_ACCOUNT_SID", sid, "TWILIO_AUTH_TOKEN", token), err: "RECOUP_PUBLIC_URL"},
		{name: "a bad price", f: CommsFlags{SMSFrom: "+15550009999", SMSPrice: "cheap"}, lookup: env("TWILIO_ACCOUNT_SID", sid, "TWILIO_AUTH_TOKEN", token), public: "https://pay.example.com", err: "RECOUP_SMS_PRICE"},
		{name: "a bad sender", f: CommsFlags{SMSFrom: "Acme"}, lookup: env("TWILIO_ACCOUNT_SID", sid, "TWILIO_AUTH_TOKEN", token), public: "https://pay.example.com", err: "E.164"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, in, err := tt.f.smsChannel(tt.lookup, tt.public)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), token) {
					t.Fatalf("error %v, want one saying %q (and no token)", err, tt.err)
				}
				return
			}
			if err != nil || (tw != nil) != tt.on {
				t.Fatalf("channel %v, error %v", tw, err)
			}
			if tt.on && (in.AuthToken != token || in.URL != "https://pay.example.com/webhooks/twilio") {
				t.Errorf("inbound %+v", in)
			}
		})
	}
	if m, c, err := parsePrice("0.0083 usd"); err != nil || m != 8300 || c != "USD" {
		t.Errorf("parsePrice = %d %q %v", m, c, err)
	}
}
