package policy

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// More paths to the money, per segment: a backup payment method the customer keeps on file,
// settling a small unpaid rest, and alerting the merchant's team about the cases that matter.

// Backup lets recoup charge another payment method the customer keeps on file with Stripe when
// the card that failed cannot be charged again (a hard or customer-fix decline, or a decline
// the network guard forbids retrying) or its retries are spent. Off unless the policy sets it.
type Backup struct {
	// Types are the Stripe payment method types that may be charged (card, sepa_debit,
	// us_bank_account, ...).
	Types []string
	// SwitchDefault says whether a backup method that paid becomes the subscription's
	// default: SwitchNever (the default) or SwitchOnSuccess.
	SwitchDefault string
}

// Allows reports whether a saved method of type typ may be charged.
func (b *Backup) Allows(typ string) bool { return b != nil && slices.Contains(b.Types, typ) }

// Backup default switches.
const (
	SwitchNever     = "never"      // the subscription keeps charging its own default
	SwitchOnSuccess = "on_success" // the backup method that paid becomes the subscription's default
)

// BackupTypes are the payment method types Stripe can charge off-session for a subscription's
// invoice that a backup may name.
var BackupTypes = []string{"card", "sepa_debit", "us_bank_account", "bacs_debit", "au_becs_debit", "acss_debit", "link"}

// TeamAlert tells the merchant's own team about a case the policy marks: when it opens, and
// before its final action runs.
type TeamAlert struct {
	// Above: only cases of at least this amount (minor units of the invoice's currency); 0:
	// every case of the segment.
	Above int64
	// Channel is email (to To) or webhook (the signed outgoing webhook, event
	// case.team_alert).
	Channel string
	To      []string
	// BeforeFinal is how long before the final action the second alert goes out.
	BeforeFinal time.Duration
}

// Marks reports whether the alert applies to a case of amount.
func (a *TeamAlert) Marks(amount recoup.Money) bool { return a != nil && amount.Amount >= a.Above }

// Team alert channels.
var alertChannels = []string{"email", "webhook"}

type backupFile struct {
	Types         []string `yaml:"types"`
	SwitchDefault *string  `yaml:"switch_default"`
}

type teamAlertFile struct {
	Above       *int     `yaml:"above"`
	Channel     *string  `yaml:"channel"`
	To          []string `yaml:"to"`
	BeforeFinal *string  `yaml:"before_final"`
}

// money validates the settings of this file onto out (a rules section).
func (v *validator) money(path string, r *RulesFile, out *Rules) {
	if b := r.Backup; b != nil {
		out.Backup = v.backup(path+".backup_payment_method", b)
	}
	if s := r.SettleRemainderBelow; s != nil {
		if *s < 0 || *s > 1_000_000 {
			v.fail(path+".settle_remainder_below", "must be 0-1000000 (minor units, e.g. 500 for 5.00; 0: never settle), got %d", *s)
		}
		out.SettleRemainderBelow = int64(*s)
	}
	if a := r.TeamAlert; a != nil {
		out.TeamAlert = v.teamAlert(path+".team_alert", a)
	}
}

// backup validates a backup payment method setting; types: [] turns an inherited one off.
func (v *validator) backup(path string, b *backupFile) *Backup {
	if b.Types == nil {
		if !v.refused[path+".types"] {
			v.fail(path, "backup_payment_method needs types (e.g. [card, sepa_debit]), or types: [] to turn an inherited one off")
		}
		return nil
	}
	if len(b.Types) == 0 {
		return nil
	}
	out := &Backup{SwitchDefault: SwitchNever}
	for i, t := range b.Types {
		if !slices.Contains(BackupTypes, t) {
			v.failHint(fmt.Sprintf("%s.types[%d]", path, i), nearHint(t, BackupTypes), "unknown payment method type %q: use one of %s", t, strings.Join(BackupTypes, ", "))
			continue
		}
		out.Types = append(out.Types, t)
	}
	if s := b.SwitchDefault; s != nil {
		switch *s {
		case SwitchNever, SwitchOnSuccess:
			out.SwitchDefault = *s
		default:
			v.fail(path+".switch_default", "unknown switch_default %q: use never (the subscription keeps its default) or on_success (the backup that paid becomes its default)", *s)
		}
	}
	return out
}

// teamAlert validates a team alert; channel defaults to webhook when no address is given.
func (v *validator) teamAlert(path string, a *teamAlertFile) *TeamAlert {
	out := &TeamAlert{Channel: "webhook", BeforeFinal: 24 * time.Hour}
	if len(a.To) > 0 {
		out.Channel = "email"
	}
	if a.Channel != nil {
		if !slices.Contains(alertChannels, *a.Channel) {
			v.fail(path+".channel", "unknown channel %q: use email (to the addresses in to) or webhook (the signed outgoing webhook)", *a.Channel)
		}
		out.Channel = *a.Channel
	}
	if a.Above != nil {
		if *a.Above < 0 {
			v.fail(path+".above", "must be 0 or more (minor units, e.g. 50000 for 500.00), got %d", *a.Above)
		}
		out.Above = int64(*a.Above)
	}
	for i, to := range a.To {
		if addr, err := mail.ParseAddress(to); err != nil || addr.Address != to {
			v.fail(fmt.Sprintf("%s.to[%d]", path, i), "%q is not an email address (write it bare, like ops@example.com)", to)
			continue
		}
		out.To = append(out.To, to)
	}
	if out.Channel == "email" && len(a.To) == 0 {
		v.fail(path, "a team alert by email needs to: [the team's addresses]")
	}
	if out.Channel == "webhook" && len(a.To) > 0 {
		v.fail(path+".to", "to is for channel email; the webhook goes to the outgoing webhook's URL")
	}
	if a.BeforeFinal != nil {
		out.BeforeFinal = v.duration(path+".before_final", *a.BeforeFinal, 0, 30*24*time.Hour)
	}
	return out
}

func nearHint(s string, known []string) string {
	if n := nearest(s, known); n != "" {
		return fmt.Sprintf("did you mean %q?", n)
	}
	return ""
}
