package worlds

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/recoup-hq/recoup"
)

// RealisticParams are the knobs of the realistic world. docs/simulator-realistic.md gives each
// value's source: a line of calibration.md or declines.md, or "assumption". A second world can
// reuse the machinery with other paydays, hours or mixes by changing these.
type RealisticParams struct {
	// Who the customers are and what their cards and invoices look like.
	Countries     []Weighted[Country]
	Brands        []Weighted[string] // card brands; discover outside the US becomes visa
	Funding       []Weighted[string] // credit, debit, prepaid
	FundsFunding  []Weighted[string] // the funding mix of cards that fail for lack of funds
	HomeCardShare float64            // share of cards issued in the customer's country (the rest: US)
	Amounts       []Weighted[AmountBand]

	// Declines is the mix of first failures: a true category and the codes Stripe reports.
	Declines []Weighted[DeclineMix]

	Leaver LeaverParams
	// Returning is the share of customers short of funds whose subscription renews monthly on
	// the day of their first failure and fails again at each renewal their money is not there,
	// once the window of the invoice before is over (0: every customer fails once).
	Returning float64
	Technical TechnicalParams
	Funds     FundsParams
	Soft      SoftParams
	Fraud     FraudParams
	Fix       FixParams
	Customer  CustomerParams
	Messages  MessageParams
	Networks  NetworkParams
	// Backup: some customers keep a second payment method on file (backup.go).
	Backup BackupParams

	// BadCard is how a replacement card that does not work declines.
	BadCard DeclineTemplate
	// DefaultWindow is the observation window when the run's Config leaves it zero.
	DefaultWindow time.Duration
	// Tombstone is how long a resolved invoice still answers reads before it is forgotten.
	Tombstone time.Duration
	// StripeEnd is Stripe's end-of-retries setting when the world plays Stripe's recovery
	// (sim.Config.StripeRecovery); empty means StripeEndCancel.
	StripeEnd StripeEnd
}

// mixOf returns the decline mix of the category (empty if the world has none).
func (p *RealisticParams) mixOf(c recoup.Category) DeclineMix {
	for _, m := range p.Declines {
		if m.V.Category == c {
			return m.V
		}
	}
	return DeclineMix{}
}

// Weighted is one option of a discrete mix; weights need not sum to anything.
type Weighted[T any] struct {
	W float64
	V T
}

// Range is a uniform interval [Min, Max).
type Range struct{ Min, Max float64 }

// LogNormal is a log-normal duration with the given median and shape, capped at Max.
type LogNormal struct {
	Median time.Duration
	Sigma  float64
	Max    time.Duration
}

// Country is where customers live: its time zones, its paydays.
type Country struct {
	Code    string
	Zones   []Weighted[string] // IANA time zones
	Paydays []Weighted[PaySchedule]
}

// PaySchedule is a customer's pay pattern: money arrives on any day one of its rules matches.
type PaySchedule struct {
	Name  string
	Rules []PayRule
}

// PayKind is a kind of pay rule.
type PayKind int

// Pay rules. A day that falls on a weekend moves to the previous Friday.
const (
	PayDayOfMonth      PayKind = iota // on Day of each month (clamped to the month's length)
	PayLastBusinessDay                // on the month's last weekday
	PayNthBusinessDay                 // on the Day-th weekday of the month
	PayWeekly                         // every Weekday
	PayBiweekly                       // every other Weekday (the customer's phase is drawn)
)

// PayRule is one rule of a pay schedule.
type PayRule struct {
	Kind    PayKind
	Day     int
	Weekday time.Weekday
}

// AmountBand is a kind of invoice: a list of price points, or a range with a step, in cents.
type AmountBand struct {
	Name           string
	Prices         []int64
	Min, Max, Step int64
}

// DeclineMix is one true category and the templates of its first decline.
type DeclineMix struct {
	Category  recoup.Category
	Templates []Weighted[DeclineTemplate]
}

// DeclineTemplate is a decline as Stripe reports it, before the card brand fills in the
// network codes.
type DeclineTemplate struct {
	Code, DeclineCode, AdviceCode string
	OutcomeType                   string // "" is issuer_declined
	Visa, Mastercard              string // network_decline_code for each brand; others get none
	MAC                           []Weighted[string]
	// Status is the PaymentIntent status after the decline; "" is requires_payment_method.
	Status string
	// Updatable: the card account updater may refresh this card (an expired card).
	Updatable bool
}

// LeaverParams: customers who meant to leave never act and may cancel on their own.
type LeaverParams struct {
	Share       float64
	CancelShare float64 // of leavers, those who cancel the subscription within the window
	CancelAfter Range   // days after the first failure
}

// TechnicalParams: a processing failure clears at a hidden time; the card then behaves as its
// secondary behaviour says.
type TechnicalParams struct {
	Clear     []Weighted[LogNormal]
	Secondary []Weighted[SecondaryBehaviour]
}

// SecondaryBehaviour is what a card does once its technical failure clears.
type SecondaryBehaviour struct {
	Behaviour string // good, funds, soft
	Template  DeclineTemplate
}

// FundsParams: money arrives on paydays; after a payday the balance suffices for a while, in
// each pay cycle with the customer's probability.
type FundsParams struct {
	ArrivalHour  Range   // local hour money arrives (whole hours)
	ShortShare   float64 // customers short in every cycle of the window
	CycleFunded  Range   // the others' probability that a cycle is funded
	FundedForDay Range   // how long the balance suffices after a payday, in days
}

// SoftParams: an issuer's hold lifts at a hidden time; then a charge passes iff the invoice's
// latent uniform is below p(t).
type SoftParams struct {
	NeverLift float64 // share whose hold does not lift within any window
	Lift      LogNormal
	Base      float64 // p before the hour, weekday and fatigue factors
	// Hour factors by the cardholder's local hour; 1 elsewhere.
	MorningFrom, MorningTo int // [from, to)
	Morning                float64
	NightFrom, NightTo     int // [from, to) wrapping midnight
	Night                  float64
	Weekday                [7]float64 // indexed by time.Weekday
	// Fatigue multiplies p for each earlier charge on the card less than 24 h old, and for each
	// 24-72 h old.
	Fatigue24, Fatigue72 float64
}

// FraudParams: charges soon after earlier ones may make the issuer block the card for good.
type FraudParams struct {
	// Hazard24 and Hazard72 are the chances each earlier charge less than 24 h old (24-72 h old)
	// adds that this charge flags the card; FundsScale scales them for a funds decline.
	Hazard24, Hazard72, FundsScale float64
	// Decline is how a flagged card declines from then on.
	Decline DeclineTemplate
}

// FixParams: a card account updater refreshes some expired cards.
type FixParams struct {
	UpdaterShare float64
	UpdaterAfter Range   // days after the first failure
	RefreshGood  float64 // share of refreshed cards that then work
}

// CustomerParams: how customers act on their own and react to messages.
type CustomerParams struct {
	// OwnShare is, by true category, the share of customers who fix things without any message.
	OwnShare    map[recoup.Category]float64
	OwnAfter    LogNormal
	HostedShare float64 // share who pay on the hosted page rather than update their card
	NewCardGood float64 // share of replacement cards that work
	ReplyDelay  LogNormal
	WakeFrom    int // customers act between WakeFrom and WakeTo local
	WakeTo      int
	Tolerance   Range // messages a customer tolerates (whole numbers)
	// CancelChance is the chance that a message makes the customer cancel, per unit of
	// annoyance beyond their tolerance, up to CancelMax.
	CancelChance float64
	CancelMax    float64
	BounceShare  float64 // share of email addresses that hard-bounce
}

// MessageParams: the effect of one message.
type MessageParams struct {
	// Lift[k] is the share of customers the (k+1)-th message wins, for a plain email at a
	// neutral hour; messages beyond len(Lift) win nobody.
	Lift  []float64
	Tones []ToneEffect // unknown tones have factor 1
	// Channels multiply the lift; unknown channels have factor 1.
	Channels               []Factor
	BestFrom, BestTo       int // local hours [from, to) when messages work best
	Best                   float64
	PoorFrom, PoorTo       int // [from, to) wrapping midnight
	Poor                   float64
	Repeat                 float64       // factor per earlier message with the same template
	Crowded                time.Duration // a message this soon after the previous one annoys twice
	AnnoyCrowded, AnnoyDup int           // extra annoyance for a crowded or repeated message
}

// ToneEffect is a tone's factor at each position in the sequence (the last applies beyond).
type ToneEffect struct {
	Tone       string
	ByPosition []float64
}

// NetworkParams are the card networks' retry rules as the world enforces them.
type NetworkParams struct {
	VisaCategory1      []string
	VisaMaxReattempts  int // per card and amount in VisaPeriod
	VisaPeriod         time.Duration
	VisaFee            int64
	MCMaxDeclinesDay   int
	MCMaxDeclinesMonth int
	MCPeriod           time.Duration
	MCFee              int64
	MCBlockCodes       []string // merchant advice codes after which no charge is allowed for MCBlock
	MCBlock            time.Duration
	MCWaits            []MACWait // merchant advice codes that ask for a least wait before a retry
}

// MACWait is a Mastercard merchant advice code that asks to wait before retrying.
type MACWait struct {
	Code string
	Wait time.Duration
}

// Factor multiplies an effect for a named option.
type Factor struct {
	Name string
	X    float64
}

const day = 24 * time.Hour

// DefaultRealisticParams returns the calibrated defaults (docs/simulator-realistic.md).
func DefaultRealisticParams() RealisticParams {
	semiMonthly := PaySchedule{"1st and 15th", []PayRule{{Kind: PayDayOfMonth, Day: 1}, {Kind: PayDayOfMonth, Day: 15}}}
	mid := PaySchedule{"15th and last business day", []PayRule{{Kind: PayDayOfMonth, Day: 15}, {Kind: PayLastBusinessDay}}}
	lastBiz := PaySchedule{"last business day", []PayRule{{Kind: PayLastBusinessDay}}}
	weeklyFri := PaySchedule{"weekly Friday", []PayRule{{Kind: PayWeekly, Weekday: time.Friday}}}
	biweeklyFri := PaySchedule{"biweekly Friday", []PayRule{{Kind: PayBiweekly, Weekday: time.Friday}}}
	biweeklyThu := PaySchedule{"biweekly Thursday", []PayRule{{Kind: PayBiweekly, Weekday: time.Thursday}}}
	weeklyThu := PaySchedule{"weekly Thursday", []PayRule{{Kind: PayWeekly, Weekday: time.Thursday}}}
	social := PaySchedule{"Social Security 3rd", []PayRule{{Kind: PayDayOfMonth, Day: 3}}}
	the25th := PaySchedule{"25th", []PayRule{{Kind: PayDayOfMonth, Day: 25}}}
	the1st := PaySchedule{"1st", []PayRule{{Kind: PayDayOfMonth, Day: 1}}}
	fifthBiz := PaySchedule{"5th business day", []PayRule{{Kind: PayNthBusinessDay, Day: 5}}}
	fifthAnd20 := PaySchedule{"5th business day and 20th", []PayRule{{Kind: PayNthBusinessDay, Day: 5}, {Kind: PayDayOfMonth, Day: 20}}}
	europe := []Weighted[PaySchedule]{{60, lastBiz}, {40, the25th}}
	one := func(zone string) []Weighted[string] { return []Weighted[string]{{1, zone}} }

	noMAC := []Weighted[string]{{1, ""}}
	softMAC := []Weighted[string]{{50, ""}, {30, "02"}, {5, "24"}, {6, "25"}, {4, "26"}, {3, "27"}, {1, "28"}, {0.5, "29"}, {0.5, "30"}}
	hardMAC := []Weighted[string]{{60, ""}, {40, "03"}}
	retryLater := []Weighted[string]{{75, ""}, {25, "02"}}

	return RealisticParams{
		Countries: []Weighted[Country]{
			{58, Country{"US", []Weighted[string]{{47, "America/New_York"}, {29, "America/Chicago"}, {7, "America/Denver"}, {17, "America/Los_Angeles"}},
				[]Weighted[PaySchedule]{{25, semiMonthly}, {15, lastBiz}, {15, weeklyFri}, {35, biweeklyFri}, {10, social}}}},
			{8, Country{"GB", one("Europe/London"), []Weighted[PaySchedule]{{60, lastBiz}, {30, the25th}, {10, weeklyFri}}}},
			{6, Country{"CA", []Weighted[string]{{60, "America/Toronto"}, {15, "America/Edmonton"}, {25, "America/Vancouver"}},
				[]Weighted[PaySchedule]{{50, biweeklyFri}, {30, mid}, {20, weeklyFri}}}},
			{5, Country{"DE", one("Europe/Berlin"), europe}},
			{4, Country{"FR", one("Europe/Paris"), europe}},
			{4, Country{"AU", []Weighted[string]{{70, "Australia/Sydney"}, {20, "Australia/Brisbane"}, {10, "Australia/Perth"}},
				[]Weighted[PaySchedule]{{60, biweeklyThu}, {20, weeklyThu}, {20, lastBiz}}}},
			{2, Country{"NL", one("Europe/Amsterdam"), europe}},
			{2, Country{"ES", one("Europe/Madrid"), europe}},
			{3, Country{"JP", one("Asia/Tokyo"), []Weighted[PaySchedule]{{80, the25th}, {20, lastBiz}}}},
			{4, Country{"BR", one("America/Sao_Paulo"), []Weighted[PaySchedule]{{60, fifthBiz}, {40, fifthAnd20}}}},
			{4, Country{"IN", one("Asia/Kolkata"), []Weighted[PaySchedule]{{60, the1st}, {40, lastBiz}}}},
		},
		Brands:        []Weighted[string]{{55, "visa"}, {35, "mastercard"}, {8, "amex"}, {2, "discover"}},
		Funding:       []Weighted[string]{{50, "credit"}, {45, "debit"}, {5, "prepaid"}},
		FundsFunding:  []Weighted[string]{{33, "credit"}, {55, "debit"}, {12, "prepaid"}},
		HomeCardShare: 0.95,
		Amounts: []Weighted[AmountBand]{
			{75, AmountBand{Name: "small monthly", Prices: []int64{900, 1200, 1500, 1900, 2400, 2900, 3900, 4900}}},
			{20, AmountBand{Name: "mid", Prices: []int64{9900, 12900, 14900, 19900, 24900, 29900}}},
			{5, AmountBand{Name: "annual or enterprise", Min: 100000, Max: 600000, Step: 10000}},
		},
		Declines: []Weighted[DeclineMix]{
			{8, DeclineMix{recoup.CategoryTechnical, []Weighted[DeclineTemplate]{
				{45, DeclineTemplate{Code: "processing_error", AdviceCode: "try_again_later", Visa: "96", Mastercard: "96", MAC: retryLater}},
				{10, DeclineTemplate{Code: "card_declined", DeclineCode: "processing_error", AdviceCode: "try_again_later", Visa: "96", Mastercard: "96", MAC: retryLater}},
				{30, DeclineTemplate{Code: "card_declined", DeclineCode: "issuer_not_available", AdviceCode: "try_again_later", Visa: "91", Mastercard: "91", MAC: retryLater}},
				{15, DeclineTemplate{Code: "card_declined", DeclineCode: "reenter_transaction", AdviceCode: "try_again_later", Visa: "19", Mastercard: "19", MAC: noMAC}},
			}}},
			{26, DeclineMix{recoup.CategoryFunds, fundsTemplates(retryLater)}},
			{22, DeclineMix{recoup.CategoryIssuerSoft, softTemplates(softMAC)}},
			{29, DeclineMix{recoup.CategoryCustomerFix, []Weighted[DeclineTemplate]{
				{19, DeclineTemplate{Code: "expired_card", DeclineCode: "expired_card", Visa: "54", Mastercard: "54", MAC: noMAC, Updatable: true}},
				{8, DeclineTemplate{Code: "expired_card", DeclineCode: "expired_card", Visa: "54", Mastercard: "54", MAC: []Weighted[string]{{1, "01"}}, Updatable: true}},
				{1, DeclineTemplate{Code: "incorrect_cvc", DeclineCode: "incorrect_cvc", AdviceCode: "confirm_card_data", Visa: "N7", MAC: noMAC}},
				{0.5, DeclineTemplate{Code: "incorrect_zip", DeclineCode: "incorrect_zip", AdviceCode: "confirm_card_data", MAC: noMAC}},
				{0.5, DeclineTemplate{Code: "incorrect_number", DeclineCode: "incorrect_number", AdviceCode: "confirm_card_data", Visa: "14", Mastercard: "14", MAC: noMAC}},
			}}},
			{12, DeclineMix{recoup.CategoryHard, []Weighted[DeclineTemplate]{
				{28, DeclineTemplate{Code: "card_declined", DeclineCode: "lost_card", AdviceCode: "do_not_try_again", Visa: "41", Mastercard: "41", MAC: hardMAC}},
				{18, DeclineTemplate{Code: "card_declined", DeclineCode: "stolen_card", AdviceCode: "do_not_try_again", Visa: "43", Mastercard: "43", MAC: hardMAC}},
				{8, DeclineTemplate{Code: "card_declined", DeclineCode: "pickup_card", AdviceCode: "do_not_try_again", Visa: "04", Mastercard: "04", MAC: hardMAC}},
				{16, DeclineTemplate{Code: "card_declined", DeclineCode: "restricted_card", Visa: "62", Mastercard: "62", MAC: []Weighted[string]{{70, ""}, {30, "03"}}}},
				{10, DeclineTemplate{Code: "card_declined", DeclineCode: "transaction_not_allowed", Visa: "57", Mastercard: "57", MAC: []Weighted[string]{{70, ""}, {30, "03"}}}},
				{6, DeclineTemplate{Code: "card_declined", DeclineCode: "revocation_of_authorization", AdviceCode: "do_not_try_again", Visa: "R1", MAC: []Weighted[string]{{1, "21"}}}},
				{6, DeclineTemplate{Code: "card_declined", DeclineCode: "invalid_account", Visa: "46", Mastercard: "14", MAC: hardMAC}},
				{3, DeclineTemplate{Code: "card_declined", DeclineCode: "card_not_supported", MAC: noMAC}},
				{5, DeclineTemplate{Code: "card_declined", DeclineCode: "fraudulent", AdviceCode: "do_not_try_again", OutcomeType: "blocked", MAC: noMAC}},
			}}},
			{3, DeclineMix{recoup.CategoryAuthentication, []Weighted[DeclineTemplate]{
				{1, DeclineTemplate{Code: "authentication_required", DeclineCode: "authentication_required", Visa: "1A", Mastercard: "65", MAC: noMAC, Status: "requires_action"}},
			}}},
		},
		Leaver: LeaverParams{Share: 0.12, CancelShare: 0.5, CancelAfter: Range{1, 25}},
		Technical: TechnicalParams{
			Clear: []Weighted[LogNormal]{
				{55, LogNormal{Median: 15 * time.Minute, Sigma: 1.0, Max: 2 * time.Hour}},
				{30, LogNormal{Median: 2 * time.Hour, Sigma: 0.6, Max: 8 * time.Hour}},
				{15, LogNormal{Median: 12 * time.Hour, Sigma: 0.4, Max: day}},
			},
			Secondary: []Weighted[SecondaryBehaviour]{
				{85, SecondaryBehaviour{Behaviour: "good"}},
				{10, SecondaryBehaviour{"funds", fundsTemplates(retryLater)[0].V}},
				{5, SecondaryBehaviour{"soft", softTemplates(noMAC)[0].V}},
			},
		},
		Funds: FundsParams{
			ArrivalHour:  Range{5, 9},
			ShortShare:   0.12,
			CycleFunded:  Range{0.5, 0.95},
			FundedForDay: Range{1.5, 5},
		},
		Soft: SoftParams{
			NeverLift:   0.35,
			Lift:        LogNormal{Median: 3 * day, Sigma: 1.0, Max: 60 * day},
			Base:        0.33,
			MorningFrom: 8, MorningTo: 10, Morning: 1.14,
			NightFrom: 21, NightTo: 6, Night: 0.85,
			Weekday:   [7]float64{time.Sunday: 0.78, time.Monday: 1.05, time.Tuesday: 1.18, time.Wednesday: 1.15, time.Thursday: 1.12, time.Friday: 0.98, time.Saturday: 0.82},
			Fatigue24: 0.7, Fatigue72: 0.85,
		},
		Fraud: FraudParams{
			Hazard24: 0.06, Hazard72: 0.05, FundsScale: 1,
			Decline: DeclineTemplate{Code: "card_declined", DeclineCode: "do_not_honor", AdviceCode: "do_not_try_again", Visa: "07", Mastercard: "05", MAC: []Weighted[string]{{1, "03"}}},
		},
		Fix:    FixParams{UpdaterShare: 0.25, UpdaterAfter: Range{1, 10}, RefreshGood: 0.9},
		Backup: BackupParams{Share: 0.12, Good: 0.7},
		Customer: CustomerParams{
			OwnShare: map[recoup.Category]float64{
				recoup.CategoryCustomerFix: 0.08, recoup.CategoryHard: 0.05, recoup.CategoryAuthentication: 0.06,
				recoup.CategoryFunds: 0.03, recoup.CategoryIssuerSoft: 0.03, recoup.CategoryTechnical: 0.02,
			},
			OwnAfter:     LogNormal{Median: 4 * day, Sigma: 0.8, Max: 40 * day},
			HostedShare:  0.4,
			NewCardGood:  0.95,
			ReplyDelay:   LogNormal{Median: 3 * time.Hour, Sigma: 1.2, Max: day},
			WakeFrom:     7,
			WakeTo:       22,
			Tolerance:    Range{4, 9},
			CancelChance: 0.004,
			CancelMax:    0.025,
			BounceShare:  0.01,
		},
		Messages: MessageParams{
			Lift: []float64{0.13, 0.09, 0.06, 0.03},
			Tones: []ToneEffect{
				{"gentle", []float64{1.10, 0.95, 0.85, 0.80}},
				{"helpful", []float64{1.05, 1.10, 1.00, 0.95}},
				{"urgent", []float64{0.85, 1.00, 1.15, 1.10}},
				{"final", []float64{0.70, 0.85, 1.05, 1.20}},
			},
			Channels: []Factor{{"email", 1.0}, {"webhook", 1.5}},
			BestFrom: 8, BestTo: 11, Best: 1.2,
			PoorFrom: 21, PoorTo: 7, Poor: 0.7,
			Repeat:  0.5,
			Crowded: 48 * time.Hour, AnnoyCrowded: 1, AnnoyDup: 1,
		},
		Networks: NetworkParams{
			VisaCategory1:     []string{"04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"},
			VisaMaxReattempts: 15, VisaPeriod: 30 * day, VisaFee: 10,
			MCMaxDeclinesDay: 10, MCMaxDeclinesMonth: 35, MCPeriod: 30 * day, MCFee: 50,
			MCBlockCodes: []string{"03", "21"}, MCBlock: 30 * day,
			MCWaits: []MACWait{{"24", time.Hour}, {"25", day}, {"26", 2 * day}, {"27", 4 * day}, {"28", 6 * day}, {"29", 8 * day}, {"30", 10 * day}},
		},
		BadCard:       DeclineTemplate{Code: "card_declined", DeclineCode: "insufficient_funds", AdviceCode: "try_again_later", Visa: "51", Mastercard: "51", MAC: noMAC},
		DefaultWindow: 30 * day,
		Tombstone:     3 * day,
		StripeEnd:     StripeEndCancel,
	}
}

func fundsTemplates(mac []Weighted[string]) []Weighted[DeclineTemplate] {
	return []Weighted[DeclineTemplate]{
		{80, DeclineTemplate{Code: "card_declined", DeclineCode: "insufficient_funds", AdviceCode: "try_again_later", Visa: "51", Mastercard: "51", MAC: mac}},
		{12, DeclineTemplate{Code: "card_declined", DeclineCode: "card_velocity_exceeded", AdviceCode: "try_again_later", Visa: "61", Mastercard: "61", MAC: mac}},
		{8, DeclineTemplate{Code: "card_declined", DeclineCode: "withdrawal_count_limit_exceeded", AdviceCode: "try_again_later", Visa: "65", Mastercard: "65", MAC: mac}},
	}
}

func softTemplates(mac []Weighted[string]) []Weighted[DeclineTemplate] {
	return []Weighted[DeclineTemplate]{
		{45, DeclineTemplate{Code: "card_declined", DeclineCode: "do_not_honor", Visa: "05", Mastercard: "05", MAC: mac}},
		{35, DeclineTemplate{Code: "card_declined", DeclineCode: "generic_decline", Visa: "05", Mastercard: "05", MAC: mac}},
		{8, DeclineTemplate{Code: "card_declined", DeclineCode: "call_issuer", Visa: "01", Mastercard: "01", MAC: mac}},
		{6, DeclineTemplate{Code: "card_declined", DeclineCode: "try_again_later", AdviceCode: "try_again_later", MAC: mac}},
		{3, DeclineTemplate{Code: "card_declined", DeclineCode: "no_action_taken", Visa: "21", MAC: mac}},
		{3, DeclineTemplate{Code: "card_declined", DeclineCode: "approve_with_id", AdviceCode: "try_again_later", MAC: mac}},
	}
}

// pick draws one option (the zero value from no options); it always consumes exactly one draw.
func pick[T any](r *rand.Rand, opts []Weighted[T]) T {
	var zero T
	if len(opts) == 0 {
		r.Float64()
		return zero
	}
	total := 0.0
	for _, o := range opts {
		total += o.W
	}
	x := r.Float64() * total
	for _, o := range opts {
		if x < o.W {
			return o.V
		}
		x -= o.W
	}
	return opts[len(opts)-1].V
}

func (g Range) draw(r *rand.Rand) float64 { return g.Min + r.Float64()*(g.Max-g.Min) }

func (l LogNormal) draw(r *rand.Rand) time.Duration {
	d := time.Duration(float64(l.Median) * math.Exp(l.Sigma*r.NormFloat64()))
	if l.Max > 0 && d > l.Max {
		d = l.Max
	}
	return d
}

func days(x float64) time.Duration { return time.Duration(x * float64(24*time.Hour)) }

// cancelChance is the chance that a message leaving the customer with the given annoyance
// makes them cancel. It never decreases with annoyance, which keeps the oracle exact.
func (cp *CustomerParams) cancelChance(annoyance, tolerance int) float64 {
	if annoyance <= tolerance {
		return 0
	}
	return min(cp.CancelMax, cp.CancelChance*float64(annoyance-tolerance))
}
