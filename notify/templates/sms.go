package templates

import (
	"fmt"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// The words of a text (the sms channel): one short sentence by tone, the amount, the card
// update link and the opt-out instruction carriers require, in one or two segments. A text
// carries no other link and nothing from the case but the amount: the link's token is the only
// credential in it. Texts are in English for now; their locale follows in a later version.

// smsTone is the sentence of each tone.
var smsTone = map[string]string{
	"gentle":  "your payment of %s did not go through.",
	"helpful": "your payment of %s failed. Please update your card to keep your subscription.",
	"urgent":  "your payment of %s is still due and your subscription will be suspended soon.",
	"final":   "final notice: your payment of %s is due today before your subscription ends.",
}

// smsText writes the text of a campaign step.
func (c *Campaign) smsText(d engine.Draft, update string) engine.Content {
	line, ok := smsTone[d.Tone]
	if !ok {
		line = "your payment of %s did not go through."
	}
	amount := d.Case.Amount
	if d.Case.Amount.Currency == "" {
		amount = recoup.Money{Amount: d.Case.Amount.Amount, Currency: "usd"}
	}
	text := fmt.Sprintf("%s: "+line+" Pay or update your card: %s Reply STOP to opt out.", c.Set.brand.Company, amount, update)
	return engine.Content{Text: text}
}
