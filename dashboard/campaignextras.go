package dashboard

import (
	"fmt"
	"net/http"

	"github.com/recoup-hq/recoup"
)

// campaignExtras adds to the campaigns page what customers chose on the card update page (the
// policy's offers, one count per case and offer) and what the messages cost by channel (SMS
// is paid per message), when the store keeps them.
func (d *Dashboard) campaignExtras(r *http.Request, p period, data map[string]any) error {
	if os, ok := d.cfg.Campaigns.(recoup.OfferStore); ok {
		counts, err := os.OfferCounts(r.Context(), p.From, p.end())
		if err != nil {
			return fmt.Errorf("offer counts: %w", err)
		}
		rows := make([]offerRow, len(counts))
		for i, c := range counts {
			rows[i] = offerRow{Offer: c.Offer.Words(), Chosen: c.Chosen}
		}
		data["Offers"], data["OffersKept"] = rows, true
	}
	if cs, ok := d.cfg.Campaigns.(recoup.CostStore); ok {
		costs, err := cs.ChannelCosts(r.Context(), p.From, p.end())
		if err != nil {
			return fmt.Errorf("message costs: %w", err)
		}
		rows := make([]costRow, len(costs))
		for i, c := range costs {
			rows[i] = costRow{Channel: channelWords(c.Channel), Messages: c.Messages,
				Total: micros(c.CostMicros, c.Currency), Each: micros(c.PerMessageMicros(), c.Currency)}
		}
		data["Costs"], data["CostsKept"] = rows, true
	}
	return nil
}

type offerRow struct {
	Offer  string
	Chosen int64
}

type costRow struct {
	Channel     string
	Messages    int64
	Total, Each string
}

func channelWords(ch string) string {
	switch ch {
	case "sms":
		return "Text (SMS)"
	case "email":
		return "Email"
	case "webhook":
		return "Your app (webhook)"
	}
	return ch
}

// micros writes an amount in millionths of a currency unit with four decimals: SMS prices are
// fractions of a cent.
func micros(m int64, currency string) string {
	if currency == "" {
		currency = "?"
	}
	return fmt.Sprintf("%.4f %s", float64(m)/1e6, currency)
}
