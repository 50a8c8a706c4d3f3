package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

func TestMoneySettings(t *testing.T) {
	p := mustParse(t, `backup_payment_method: {types: [card, sepa_debit], switch_default: on_success}
settle_remainder_below: 500
team_alert: {above: 50000, to: [ops@example.com], before_final: 48h}
segments:
  - {name: small, when: invoice.amount_due < 1000, backup_payment_method: {types: []}, team_alert: {channel: webhook}}
`)
	if b := p.Backup; b == nil || !b.Allows("card") || !b.Allows("sepa_debit") || b.Allows("us_bank_account") || b.SwitchDefault != policy.SwitchOnSuccess {
		t.Errorf("backup = %+v", p.Backup)
	}
	if p.SettleRemainderBelow != 500 {
		t.Errorf("settle_remainder_below = %d", p.SettleRemainderBelow)
	}
	a := p.TeamAlert
	if a == nil || a.Channel != "email" || a.Above != 50000 || a.BeforeFinal != 48*time.Hour || len(a.To) != 1 {
		t.Fatalf("team alert = %+v", a)
	}
	if !a.Marks(recoup.Money{Amount: 50000}) || a.Marks(recoup.Money{Amount: 49999}) {
		t.Error("team alert marks the wrong amounts")
	}
	small := p.For("small")
	if small.Backup != nil {
		t.Errorf("types: [] should turn the inherited backup off, got %+v", small.Backup)
	}
	if small.SettleRemainderBelow != 500 {
		t.Errorf("segment should inherit settle_remainder_below, got %d", small.SettleRemainderBelow)
	}
	if small.TeamAlert == nil || small.TeamAlert.Channel != "webhook" || small.TeamAlert.Above != 0 {
		t.Errorf("segment team alert = %+v", small.TeamAlert)
	}
	if d := policy.Default(); d.Backup != nil || d.SettleRemainderBelow != 0 || d.TeamAlert != nil {
		t.Error("the built-in policy must leave every money path off")
	}
}

func TestMoneySettingsRefused(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"backup without types", "backup_payment_method: {switch_default: never}\n", "backup_payment_method needs types"},
		{"unknown type", "backup_payment_method: {types: [crad]}\n", `unknown payment method type "crad"`},
		{"unknown switch", "backup_payment_method: {types: [card], switch_default: always}\n", `unknown switch_default "always"`},
		{"negative remainder", "settle_remainder_below: -1\n", "settle_remainder_below: must be 0-1000000"},
		{"email without to", "team_alert: {channel: email}\n", "needs to:"},
		{"bad address", "team_alert: {to: [not-an-address]}\n", `"not-an-address" is not an email address`},
		{"webhook with to", "team_alert: {channel: webhook, to: [a@example.com]}\n", "to is for channel email"},
		{"unknown channel", "team_alert: {channel: sms}\n", `unknown channel "sms"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse("p.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
