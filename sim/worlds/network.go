package worlds

import (
	"fmt"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// breach is a card-network rule a charge broke, and the network's fee for it.
type breach struct {
	rule string
	fee  int64
}

// before returns the rules a charge on c at t breaks whatever its outcome: Visa's ban after a
// category 1 decline and its reattempt cap, Mastercard's bans after advice codes 03/21 and its
// advised waits. Amex and Discover publish no comparable limits.
func (n *NetworkParams) before(c *card, t time.Time) []breach {
	var out []breach
	switch c.brand {
	case "visa":
		if c.category1 != "" {
			out = append(out, breach{"visa: reattempt after category 1 decline " + c.category1, n.VisaFee})
		}
		// Every charge after the card's first is a reattempt; the first failure is the attempt.
		if len(c.charges) > 0 && within(c.charges[1:], t, n.VisaPeriod)+1 > n.VisaMaxReattempts {
			out = append(out, breach{fmt.Sprintf("visa: more than %d reattempts in %s", n.VisaMaxReattempts, period(n.VisaPeriod)), n.VisaFee})
		}
	case "mastercard":
		if t.Before(c.blockUntil) {
			out = append(out, breach{"mastercard: retry within " + period(n.MCBlock) + " of merchant advice code " + c.blockMAC, n.MCFee})
		}
		if t.Before(c.waitUntil) {
			out = append(out, breach{"mastercard: retry before the wait of merchant advice code " + c.waitMAC, n.MCFee})
		}
	}
	return out
}

// declined records a decline d on c at t (the charge itself is already in c.charges) and
// returns the Mastercard excessive-decline rules it breaks.
func (n *NetworkParams) declined(c *card, t time.Time, d recoup.Decline) []breach {
	c.declines = append(c.declines, t)
	var out []breach
	switch c.brand {
	case "visa":
		if slices.Contains(n.VisaCategory1, d.NetworkDeclineCode) {
			c.category1 = d.NetworkDeclineCode
		}
	case "mastercard":
		if k := within(c.declines, t, 24*time.Hour); k > n.MCMaxDeclinesDay {
			out = append(out, breach{fmt.Sprintf("mastercard: more than %d declines in 24h", n.MCMaxDeclinesDay), n.MCFee})
		}
		if k := within(c.declines, t, n.MCPeriod); k > n.MCMaxDeclinesMonth {
			out = append(out, breach{fmt.Sprintf("mastercard: more than %d declines in %s", n.MCMaxDeclinesMonth, period(n.MCPeriod)), n.MCFee})
		}
		mac := d.NetworkAdviceCode
		if slices.Contains(n.MCBlockCodes, mac) {
			c.blockMAC, c.blockUntil = mac, t.Add(n.MCBlock)
		}
		if w := n.macWait(mac); w > 0 {
			c.waitMAC, c.waitUntil = mac, t.Add(w)
		}
	}
	return out
}

// macWait is the least wait a Mastercard merchant advice code asks for, or 0.
func (n *NetworkParams) macWait(code string) time.Duration {
	for _, w := range n.MCWaits {
		if w.Code == code {
			return w.Wait
		}
	}
	return 0
}

// within counts the times in (t-d, t].
func within(ts []time.Time, t time.Time, d time.Duration) int {
	k := 0
	for _, x := range ts {
		if !x.After(t) && t.Sub(x) < d {
			k++
		}
	}
	return k
}

func period(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
