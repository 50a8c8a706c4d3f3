package recoup

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in the currency's minor unit (cents for USD, yen for JPY) with its
// lower-case ISO 4217 currency code, as Stripe reports it. Amounts of different currencies are
// never added together.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// zeroDecimal lists Stripe's zero-decimal currencies: their minor unit is the whole unit.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true,
	"mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true,
	"xof": true, "xpf": true,
}

// IsZeroDecimal reports whether the currency has no minor unit (JPY, KRW, ...).
func IsZeroDecimal(currency string) bool { return zeroDecimal[strings.ToLower(currency)] }

// String formats the amount in major units with its currency, e.g. "12.34 USD" or "1200 JPY".
func (m Money) String() string {
	cur := strings.ToUpper(m.Currency)
	if IsZeroDecimal(m.Currency) {
		return strconv.FormatInt(m.Amount, 10) + " " + cur
	}
	sign, a := "", m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	if a < 0 {
		return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, cur) // the most negative amount
	}
	b := make([]byte, 0, 24+len(cur))
	b = append(b, sign...)
	b = strconv.AppendInt(b, a/100, 10)
	b = append(b, '.', byte('0'+a%100/10), byte('0'+a%10), ' ')
	return string(append(b, cur...))
}
