package worlds

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/recoup-hq/recoup"
)

// behaviour is what the card that failed does when charged, once any technical failure has
// cleared.
type behaviour int

const (
	good  behaviour = iota // it pays
	funds                  // it pays inside a funded window after a payday
	soft                   // it pays after the issuer's hold lifts, iff u < p(t)
	never                  // it never pays (customer fix, authentication, hard)
)

// invoice is one failed invoice: its hidden state, drawn once at the first failure from the
// invoice's own random stream, and what has happened to it since. The engine's behaviour never
// changes the draws; only the history fields change.
type invoice struct {
	n   int    // the customer's number
	tag string // names this invoice's own objects: in_<tag>, pi_<tag>_<k>
	// The customer's first failure (the subscription's renewals fall monthly from it), and the
	// months after it at which this invoice failed (0: it is the first).
	renewal                           int
	anchor                            time.Time
	id, customer, sub, email, country string
	loc                               *time.Location
	amount                            int64
	cat                               recoup.Category
	t0, end                           time.Time // first failure, end of its window
	key                               uint64    // seeds the per-event draws (uniform)

	// The card that failed.
	first       recoup.Decline // the first decline (technical, or the base behaviour's)
	holdUntil   time.Time      // the issuer declines until the wait its advice code asked for
	technical   bool           // the first decline is technical: it holds until clearAt
	clearAt     time.Time
	base        behaviour
	baseDecline recoup.Decline // how the base behaviour declines

	// Funds: paydays, the chance a cycle is funded, how long the balance lasts.
	pay        paydays
	q          float64
	fundedFor  time.Duration
	shortCycle time.Time // the pay cycle of the first failure, never funded

	// Issuer soft: the hold lifts at liftAt (zero: never); then a charge passes iff u < p(t).
	liftAt time.Time
	u      float64

	// Customer fix: the card updater refreshes the card at updaterAt (zero: never).
	updaterAt   time.Time
	refreshGood bool

	// The customer.
	leaver      bool
	leaveAt     time.Time // a leaver cancels the subscription then (zero: never)
	ownAt       time.Time // the customer fixes things unprompted then (zero: never)
	hosted      bool      // acting means paying on the hosted page rather than updating the card
	newCardGood bool
	newBrand    string
	newFunding  string
	w           float64 // acts once the messages' persuasion exceeds w
	reply       time.Duration
	wake        time.Duration // how long after WakeFrom the customer's day starts
	tolerance   int
	bounces     bool

	// What has happened.
	status     recoup.InvoiceStatus
	attempts   int
	last       *recoup.Payment
	paidAt     time.Time
	cards      []*card                     // [0] the card that failed, [1] the customer's replacement
	backup     *card                       // a second payment method on file (backup.go), nil for most
	backupGood bool                        // the second method pays
	def        int                         // index of the default card
	idem       map[string]recoup.PayResult // replies by idempotency key
	messages   []sentMessage
	annoyance  int
	persuasion float64
	willAct    bool           // a message won the customer; the action is scheduled
	won        recoup.Message // the message that won them: they act through its link
	acted      bool

	// Stripe's own recovery (Config.StripeRecovery; stripe.go).
	manual      bool // auto_advance false: Stripe neither retries nor emails
	stripeTries int  // Stripe's automatic retries so far
	stripeGen   int  // numbers Stripe's scheduled retry; a newer plan or auto_advance off cancels it
	stripeEnded bool // Stripe's retry period is over
}

// card is a payment method and the network's record of charges on it.
type card struct {
	pm, brand, funding, country string
	replacement, backup         bool
	charges                     []time.Time // every charge, the first failure included
	declines                    []time.Time
	screened                    int // charges judged by the issuer's fraud screen
	flagged                     bool
	category1                   string // a Visa category 1 code this card received
	blockMAC, waitMAC           string
	blockUntil, waitUntil       time.Time
}

type sentMessage struct {
	at       time.Time
	template string
}

// Streams of per-event draws (uniform).
const (
	streamFlag   = 1 // per screened charge: the fraud screen
	streamCycle  = 2 // per payday: is the cycle funded
	streamCancel = 3 // per message: does an annoyed customer cancel
	streamReturn = 4 // once: does the customer's renewal fail again when their money is not there
	streamStripe = 5 // per Stripe retry: the minute Stripe picks within its morning window
	streamClick  = 6 // per message: does a customer it did not win open its link all the same
)

// newInvoice draws invoice n's hidden state from its own stream r. t0 is its first failure.
// With like, it is a later renewal of like's customer failing short of funds again: the
// customer, card, price and pay pattern are like's; the rest is drawn afresh, in the same order.
// Its ids are numbered prefix followed by n (Config.IDPrefix).
func newInvoice(n int, prefix string, r *rand.Rand, t0 time.Time, window time.Duration, p *RealisticParams, zones map[string]*time.Location, like *invoice) *invoice {
	tag := prefix + strconv.Itoa(n)
	inv := &invoice{
		n: n, tag: tag, id: "in_" + tag, customer: "cus_" + tag, sub: "sub_" + tag,
		email: "cus_" + tag + "@example.test", t0: t0, anchor: t0, end: t0.Add(window),
		status: recoup.InvoiceOpen, attempts: 1, idem: map[string]recoup.PayResult{},
	}
	inv.key = r.Uint64()

	country := pick(r, p.Countries)
	inv.country = country.Code
	inv.loc = zones[pick(r, country.Zones)]
	mix := pick(r, p.Declines)
	if like != nil {
		inv.country, inv.loc, mix = like.country, like.loc, p.mixOf(recoup.CategoryFunds)
	}
	inv.cat = mix.Category
	tmpl := pick(r, mix.Templates)

	c := &card{pm: "pm_" + tag + "_1"}
	c.brand = pick(r, p.Brands)
	if c.brand == "discover" && inv.country != "US" {
		c.brand = "visa"
	}
	c.funding = pick(r, p.Funding)
	if inv.cat == recoup.CategoryFunds {
		c.funding = pick(r, p.FundsFunding)
	}
	c.country = inv.country
	if r.Float64() >= p.HomeCardShare {
		c.country = "US"
	}
	inv.cards = []*card{c}
	band := pick(r, p.Amounts)
	if len(band.Prices) > 0 {
		inv.amount = band.Prices[r.IntN(len(band.Prices))]
	} else {
		inv.amount = band.Min + band.Step*r.Int64N((band.Max-band.Min)/band.Step+1)
	}
	if like != nil {
		c.brand, c.funding, c.country, inv.amount = like.cards[0].brand, like.cards[0].funding, like.cards[0].country, like.amount
	}

	// The card's behaviour. Every latent is drawn whatever the category, in a fixed order: a
	// technical failure's secondary behaviour needs the funds and soft ones too.
	inv.first = inv.build(tmpl, c, pick(r, tmpl.MAC))
	clear := pick(r, p.Technical.Clear).draw(r)
	second := pick(r, p.Technical.Secondary)
	secondDecline := inv.build(second.Template, c, pick(r, second.Template.MAC))

	inv.pay = paydays{sched: pick(r, country.Paydays), phase: r.IntN(2), hour: int(p.Funds.ArrivalHour.draw(r)), loc: inv.loc}
	short := r.Float64() < p.Funds.ShortShare
	inv.q = p.Funds.CycleFunded.draw(r)
	if short {
		inv.q = 0
	}
	inv.fundedFor = days(p.Funds.FundedForDay.draw(r)).Round(time.Hour)
	if like != nil {
		inv.pay, inv.q, inv.fundedFor = like.pay, like.q, like.fundedFor
	}
	inv.shortCycle, _ = inv.pay.last(t0)

	neverLift := r.Float64() < p.Soft.NeverLift
	lift := p.Soft.Lift.draw(r)
	inv.u = r.Float64()

	updater := r.Float64() < p.Fix.UpdaterShare
	updaterAfter := days(p.Fix.UpdaterAfter.draw(r))
	inv.refreshGood = r.Float64() < p.Fix.RefreshGood

	inv.leaver = r.Float64() < p.Leaver.Share
	leaverCancels := r.Float64() < p.Leaver.CancelShare
	leaveAfter := days(p.Leaver.CancelAfter.draw(r))
	own := r.Float64() < p.Customer.OwnShare[inv.cat]
	ownAfter := p.Customer.OwnAfter.draw(r)
	inv.hosted = r.Float64() < p.Customer.HostedShare
	inv.newCardGood = r.Float64() < p.Customer.NewCardGood
	inv.newBrand = pick(r, p.Brands)
	if inv.newBrand == "discover" && inv.country != "US" {
		inv.newBrand = "visa"
	}
	inv.newFunding = pick(r, p.Funding)
	inv.w = r.Float64()
	inv.reply = p.Customer.ReplyDelay.draw(r)
	inv.wake = time.Duration(r.Float64() * float64(2*time.Hour)).Round(time.Minute)
	inv.tolerance = int(p.Customer.Tolerance.draw(r))
	inv.bounces = r.Float64() < p.Customer.BounceShare

	switch inv.cat {
	case recoup.CategoryTechnical:
		inv.technical, inv.clearAt = true, t0.Add(clear)
		inv.base, inv.baseDecline = behaviourNamed(second.Behaviour), secondDecline
	case recoup.CategoryFunds:
		inv.base, inv.baseDecline = funds, inv.first
	case recoup.CategoryIssuerSoft:
		inv.base, inv.baseDecline = soft, inv.first
	default:
		inv.base, inv.baseDecline = never, inv.first
	}
	inv.holdUntil = t0.Add(p.Networks.macWait(inv.first.NetworkAdviceCode))
	if inv.base == soft && !neverLift {
		// The issuer's hold outlasts any wait its network advice asked for.
		inv.liftAt = later(t0.Add(lift), inv.holdUntil)
	}
	if tmpl.Updatable && updater {
		inv.updaterAt = t0.Add(updaterAfter)
	}
	if inv.leaver && leaverCancels {
		inv.leaveAt = t0.Add(leaveAfter)
	}
	if own && !inv.leaver {
		inv.ownAt = inv.awake(t0.Add(ownAfter), p)
	}
	c.charges = []time.Time{t0}
	p.Networks.declined(c, t0, inv.first) // the first failure's advice binds the card too
	inv.last = &recoup.Payment{PaymentIntentID: inv.piID(), PaymentMethodID: c.pm, Status: paymentStatus(inv.first), Decline: clone(&inv.first), At: t0}
	inv.drawBackup(p)
	return inv
}

func behaviourNamed(s string) behaviour {
	switch s {
	case "good":
		return good
	case "funds":
		return funds
	case "soft":
		return soft
	}
	return never
}

// build fills a decline template in for card c.
func (inv *invoice) build(t DeclineTemplate, c *card, mac string) recoup.Decline {
	d := recoup.Decline{
		Code: t.Code, DeclineCode: t.DeclineCode, AdviceCode: t.AdviceCode, OutcomeType: t.OutcomeType,
		Message: declineMessage(t.Code), CardBrand: c.brand, CardFunding: c.funding, CardCountry: c.country,
	}
	if d.OutcomeType == "" {
		d.OutcomeType = "issuer_declined"
	}
	switch c.brand {
	case "visa":
		d.NetworkDeclineCode = t.Visa
	case "mastercard":
		d.NetworkDeclineCode, d.NetworkAdviceCode = t.Mastercard, mac
	}
	return d
}

// buildFixed fills in a template whose advice code is not drawn (its first option).
func (inv *invoice) buildFixed(t DeclineTemplate, c *card) recoup.Decline {
	mac := ""
	if len(t.MAC) > 0 {
		mac = t.MAC[0].V
	}
	return inv.build(t, c, mac)
}

func declineMessage(code string) string {
	switch code {
	case "expired_card":
		return "Your card has expired."
	case "incorrect_cvc":
		return "Your card's security code is incorrect."
	case "incorrect_zip":
		return "Your card's zip code failed validation."
	case "incorrect_number":
		return "Your card number is incorrect."
	case "processing_error":
		return "An error occurred while processing your card. Try again in a little bit."
	case "authentication_required":
		return "Your card was declined. This transaction requires authentication."
	}
	return "Your card was declined."
}

func paymentStatus(d recoup.Decline) string {
	if d.Code == "authentication_required" {
		return "requires_action"
	}
	return "requires_payment_method"
}

// view is the invoice as Stripe shows it.
func (inv *invoice) view() recoup.Invoice {
	var paid int64
	if inv.status == recoup.InvoicePaid {
		paid = inv.amount
	}
	v := recoup.Invoice{
		ID: inv.id, CustomerID: inv.customer, SubscriptionID: inv.sub, CustomerEmail: inv.email,
		CustomerCountry: inv.country, CustomerRegion: regionOf[inv.loc.String()], Status: inv.status, AmountDue: inv.amount, AmountPaid: paid,
		AmountRemaining: inv.amount - paid, Currency: "usd", AttemptCount: inv.attempts, Attempted: true,
		CollectionMethod: "charge_automatically", BillingReason: "subscription_cycle", AutoAdvance: !inv.manual && inv.status == recoup.InvoiceOpen,
		Created: inv.t0.Add(-time.Hour), PaidAt: inv.paidAt,
	}
	if inv.last != nil {
		v.LastPayment = inv.last
	}
	return cloneInvoice(v)
}

func (inv *invoice) piID() string { return "pi_" + inv.tag + "_" + strconv.Itoa(inv.attempts) }

// card returns the customer's payment method pm (the default when pm is empty).
func (inv *invoice) card(pm string) (*card, bool) {
	if pm == "" {
		return inv.cards[inv.def], true
	}
	for _, c := range inv.cards {
		if c.pm == pm {
			return c, true
		}
	}
	if inv.backup != nil && inv.backup.pm == pm {
		return inv.backup, true
	}
	return nil, false
}

// awake moves t into the customer's waking hours.
func (inv *invoice) awake(t time.Time, p *RealisticParams) time.Time {
	l := t.In(inv.loc)
	if l.Hour() >= p.Customer.WakeFrom && l.Hour() < p.Customer.WakeTo {
		return t
	}
	d := l
	if l.Hour() >= p.Customer.WakeTo {
		d = l.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), p.Customer.WakeFrom, 0, 0, 0, inv.loc).Add(inv.wake)
}

// uniform is a draw in [0, 1) indexed by (stream, i), independent of the order of events.
func (inv *invoice) uniform(stream, i uint64) float64 {
	x := mix(inv.key + stream*0x9e3779b97f4a7c15)
	x = mix(x ^ i)
	return float64(x>>11) / (1 << 53)
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func clone(d *recoup.Decline) *recoup.Decline {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// regionOf is the state or province a customer in a zone gives in their address, for the zones
// of countries that span several: what Stripe's customer_address.state would say.
var regionOf = map[string]string{
	"America/New_York": "NY", "America/Chicago": "IL", "America/Denver": "CO", "America/Los_Angeles": "CA",
	"America/Toronto": "ON", "America/Edmonton": "AB", "America/Vancouver": "BC",
	"Australia/Sydney": "NSW", "Australia/Brisbane": "QLD", "Australia/Perth": "WA",
}
