package worlds

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/sim"
)

func TestNetworkRules(t *testing.T) {
	t.Run("visa category 1", func(t *testing.T) {
		w, env := startWorld(t, 400)
		inv := find(t, w, func(i *invoice) bool { return i.cards[0].brand == "visa" && i.first.NetworkDeclineCode == "41" })
		pay(t, w, env, inv.id, env.now.Add(time.Hour), "k1")
		wantRules(t, env, inv.id, "visa: reattempt after category 1 decline 41")
	})
	t.Run("visa 15 reattempts in 30 days", func(t *testing.T) {
		w, env := startWorld(t, 400)
		inv := find(t, w, func(i *invoice) bool {
			return i.cards[0].brand == "visa" && i.first.DeclineCode == "expired_card" && i.updaterAt.IsZero()
		})
		for k := 1; k <= 15; k++ {
			pay(t, w, env, inv.id, env.now.Add(time.Hour), fmt.Sprint(k))
		}
		wantRules(t, env, inv.id)
		pay(t, w, env, inv.id, env.now.Add(time.Hour), "16")
		wantRules(t, env, inv.id, "visa: more than 15 reattempts in 30 days")
	})
	t.Run("mastercard 10 declines in 24 hours", func(t *testing.T) {
		w, env := startWorld(t, 400)
		inv := find(t, w, func(i *invoice) bool {
			return i.cards[0].brand == "mastercard" && i.first.DeclineCode == "expired_card" && i.updaterAt.IsZero()
		})
		for k := 1; k <= 9; k++ { // the first failure is the first decline
			pay(t, w, env, inv.id, env.now.Add(time.Minute), fmt.Sprint(k))
		}
		wantRules(t, env, inv.id)
		pay(t, w, env, inv.id, env.now.Add(time.Minute), "10")
		wantRules(t, env, inv.id, "mastercard: more than 10 declines in 24h")
		if v := violations(env, inv.id); v[0].Fee != 50 {
			t.Errorf("fee %d, want 50", v[0].Fee)
		}
	})
	t.Run("mastercard advice code 03", func(t *testing.T) {
		w, env := startWorld(t, 400)
		inv := find(t, w, func(i *invoice) bool { return quiet(i) && i.first.NetworkAdviceCode == "03" })
		pay(t, w, env, inv.id, env.now.Add(29*24*time.Hour), "k1")
		wantRules(t, env, inv.id, "mastercard: retry within 30 days of merchant advice code 03")
	})
	t.Run("mastercard advice code wait", func(t *testing.T) {
		w, env := startWorld(t, 1500)
		inv := find(t, w, func(i *invoice) bool { return quiet(i) && i.first.NetworkAdviceCode == "26" })
		pay(t, w, env, inv.id, inv.t0.Add(47*time.Hour), "early")
		wantRules(t, env, inv.id, "mastercard: retry before the wait of merchant advice code 26")
		pay(t, w, env, inv.id, env.now.Add(48*time.Hour), "late")
		if n := len(violations(env, inv.id)); n != 1 {
			t.Errorf("%d violations after waiting, want still 1", n)
		}
	})
	t.Run("amex has no limits", func(t *testing.T) {
		w, env := startWorld(t, 400)
		inv := find(t, w, func(i *invoice) bool { return i.cards[0].brand == "amex" && i.base == never })
		for k := 1; k <= 40; k++ {
			pay(t, w, env, inv.id, env.now.Add(time.Minute), fmt.Sprint(k))
		}
		wantRules(t, env, inv.id)
	})
}

func violations(env *fakeEnv, id string) []sim.Violation {
	var out []sim.Violation
	for _, v := range env.viol {
		if v.InvoiceID == id {
			out = append(out, v)
		}
	}
	return out
}

func wantRules(t *testing.T, env *fakeEnv, id string, rules ...string) {
	t.Helper()
	var got []string
	for _, v := range violations(env, id) {
		got = append(got, v.Rule)
	}
	if !slices.Equal(got, rules) {
		t.Fatalf("violations %q, want %q", got, rules)
	}
}
