package memstore

import "github.com/recoup-hq/recoup"

// data is everything the store keeps. Cases are never deleted, so a case's ID is its place in
// cases plus one.
type data struct {
	ids counters

	cases      []*caseRow
	timelines  timelines // every case's timeline entries
	byInvoice  map[string]int64
	byCustomer map[string][]int64 // ascending
	states     map[recoup.CaseState]int
	arms       map[[2]string]map[string]*recoup.ArmOutcome // by experiment and stratum, then arm: resolved cases
	// attemptCase and messageCase give the case of an attempt and of a message, by ID - 1.
	attemptCase, messageCase []int64

	events       map[string]*recoup.Event
	cursors      map[string]string
	observations map[string][]observation // by model, in ID order
	features     features                 // the observations' feature names
	snapshots    map[string]recoup.ModelSnapshot
	suppressions map[[2]string]recoup.Suppression
	notices      map[int64]recoup.Notice
	noticeByKey  map[[2]string]int64
	changes      map[string]recoup.PaymentMethodChange
	assignments  map[[2]string]assignment
	experiments  map[string]recoup.Experiment
	consents     map[string]recoup.SMSConsent
	costs        map[int64]recoup.MessageCost

	charges         map[string]*recoup.HistoryCharge
	chargesOf       map[string][]string // by invoice
	chargesOfIntent map[string][]string // by PaymentIntent
	unlearned       map[string]int      // by invoice: its charges not learned yet, when some are
	pastInvoices    map[string]*recoup.PastInvoice
	pastOf          map[string][]string // by customer
	imports         []recoup.HistoryImport
}

func newData() data {
	return data{
		byInvoice: map[string]int64{}, byCustomer: map[string][]int64{}, states: map[recoup.CaseState]int{},
		arms: map[[2]string]map[string]*recoup.ArmOutcome{}, events: map[string]*recoup.Event{}, cursors: map[string]string{},
		observations: map[string][]observation{}, snapshots: map[string]recoup.ModelSnapshot{},
		suppressions: map[[2]string]recoup.Suppression{}, notices: map[int64]recoup.Notice{}, noticeByKey: map[[2]string]int64{},
		changes: map[string]recoup.PaymentMethodChange{}, assignments: map[[2]string]assignment{},
		experiments: map[string]recoup.Experiment{}, consents: map[string]recoup.SMSConsent{}, costs: map[int64]recoup.MessageCost{},
		charges: map[string]*recoup.HistoryCharge{}, chargesOf: map[string][]string{}, chargesOfIntent: map[string][]string{},
		unlearned: map[string]int{}, pastInvoices: map[string]*recoup.PastInvoice{}, pastOf: map[string][]string{},
	}
}
