package dashboard

import (
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// stateGroups are the state filters beyond single states: the overview's "in recovery" and
// "lost" numbers link to them.
var stateGroups = map[string][]recoup.CaseState{
	"active": {recoup.StateOpen, recoup.StateScheduled, recoup.StateRetrying, recoup.StateAwaitingCustomer, recoup.StatePaused, recoup.StatePlanning},
	"lost":   {recoup.StateExhausted, recoup.StateClosed},
}

// listFilter is the case list's filter as the form shows it. Every field is an id, an enum, an
// amount or a date: safe in a URL. The email search is separate (searchByEmail).
type listFilter struct {
	State, Category, RecoveredBy, Currency, Min, Max, From, To string
	Segment                                                    string // a policy segment's name: the operator's word, not the customer's
	Review                                                     string // "pending": only the cases whose final action waits for an approval
}

// parseListFilter reads the filter from the query string into a store query.
func parseListFilter(v url.Values) (listFilter, recoup.CaseQuery, error) {
	f := listFilter{State: v.Get("state"), Category: v.Get("category"), RecoveredBy: v.Get("recovered_by"),
		Currency: strings.ToLower(v.Get("currency")), Min: v.Get("min"), Max: v.Get("max"), From: v.Get("from"), To: v.Get("to"),
		Segment: v.Get("segment"), Review: v.Get("review")}
	var q recoup.CaseQuery
	switch f.Review {
	case "":
	case string(recoup.ReviewPending):
		q.ReviewPending = true
	default:
		return f, q, recoup.Errorf(recoup.EINVALID, "review must be %q or nothing", recoup.ReviewPending)
	}
	if len(f.Segment) > 100 {
		return f, q, recoup.Errorf(recoup.EINVALID, "segment is longer than 100 characters")
	}
	q.Segment = f.Segment
	if f.State != "" {
		if g, ok := stateGroups[f.State]; ok {
			q.States = g
		} else if st := recoup.CaseState(f.State); st.Valid() {
			q.States = []recoup.CaseState{st}
		} else {
			return f, q, recoup.Errorf(recoup.EINVALID, "state %q is not a case state", f.State)
		}
	}
	q.Category, q.RecoveredBy, q.Currency = recoup.Category(f.Category), recoup.RecoveredBy(f.RecoveredBy), f.Currency
	var err error
	if q.MinAmount, err = minorUnits(f.Min, f.Currency); err != nil {
		return f, q, err
	}
	if q.MaxAmount, err = minorUnits(f.Max, f.Currency); err != nil {
		return f, q, err
	}
	if f.From != "" {
		if q.CreatedFrom, err = time.Parse(time.DateOnly, f.From); err != nil {
			return f, q, recoup.Errorf(recoup.EINVALID, "from must be a date (YYYY-MM-DD)")
		}
	}
	if f.To != "" {
		to, err := time.Parse(time.DateOnly, f.To)
		if err != nil {
			return f, q, recoup.Errorf(recoup.EINVALID, "to must be a date (YYYY-MM-DD)")
		}
		q.CreatedTo = to.AddDate(0, 0, 1) // the last day is included
	}
	if b := v.Get("before"); b != "" {
		if q.Before, err = strconv.ParseInt(b, 10, 64); err != nil || q.Before < 1 {
			return f, q, recoup.Errorf(recoup.EINVALID, "before must be a case id")
		}
	}
	return f, q, q.Validate()
}

// minorUnits converts an amount typed in major units ("12.50") to the currency's minor unit.
// Without a currency, two decimals are assumed.
func minorUnits(s, currency string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e13 {
		return 0, recoup.Errorf(recoup.EINVALID, "amount %q is not a positive number", s)
	}
	if currency != "" && recoup.IsZeroDecimal(currency) {
		return int64(math.Round(f)), nil
	}
	return int64(math.Round(f * 100)), nil
}

// values is the filter as query parameters, without the cursor.
func (f listFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"state": f.State, "category": f.Category, "recovered_by": f.RecoveredBy,
		"currency": f.Currency, "min": f.Min, "max": f.Max, "from": f.From, "to": f.To, "segment": f.Segment, "review": f.Review} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func (d *Dashboard) cases(w http.ResponseWriter, r *http.Request, u *viewer) error {
	f, q, err := parseListFilter(r.URL.Query())
	if err != nil {
		return err
	}
	q.CountUpTo = countLimit
	page, err := d.cfg.Analytics.SearchCases(r.Context(), q)
	if err != nil {
		return fmt.Errorf("list cases: %w", err)
	}
	data := d.listData(f, page)
	data["Currencies"], data["Segments"] = d.knownValues(r, f)
	if page.Next != 0 {
		v := f.values()
		v.Set("before", strconv.FormatInt(page.Next, 10))
		data["NextURL"] = d.prefix + "/cases?" + v.Encode()
	}
	d.render(w, r, http.StatusOK, "cases", u, data)
	return nil
}

// emailSearchLimit bounds the answer of a search by email, which has no further pages: a
// cursor would have to carry the email in a URL.
const emailSearchLimit = 100

// searchByEmail answers the email search form. The email comes in the POST body and is not
// put in any URL or log; the answer is one page.
func (d *Dashboard) searchByEmail(w http.ResponseWriter, r *http.Request, u *viewer) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" {
		return recoup.Errorf(recoup.EINVALID, "type an email address to search for")
	}
	page, err := d.cfg.Analytics.SearchCases(r.Context(), recoup.CaseQuery{CustomerEmail: email, Limit: emailSearchLimit})
	if err != nil {
		return fmt.Errorf("search cases by email: %w", err)
	}
	data := d.listData(listFilter{}, page)
	data["Currencies"], data["Segments"] = d.knownValues(r, listFilter{})
	data["Email"] = email
	data["Truncated"] = page.Next != 0
	d.render(w, r, http.StatusOK, "cases", u, data)
	return nil
}

// countLimit bounds the case list's count: past it the page says "more than".
const countLimit = 10_000

// knownValues are the choices of the list's currency and segment selects: the currencies of
// the last year's cases (from the overview's rollups) and the policy's segments, each with
// the filter's own value if it is not among them.
func (d *Dashboard) knownValues(r *http.Request, f listFilter) (currencies, segments []string) {
	now := d.dataNow()
	if o, err := d.cfg.Analytics.Overview(r.Context(), now.AddDate(-1, 0, 0), now.Add(time.Hour)); err == nil {
		for _, c := range o.Currencies {
			currencies = append(currencies, c.Currency)
		}
	} else {
		d.log.WarnContext(r.Context(), "case list: known currencies", "error", err.Error())
	}
	slices.Sort(currencies)
	if f.Currency != "" && !slices.Contains(currencies, f.Currency) {
		currencies = append(currencies, f.Currency)
	}
	if d.cfg.Policy != nil {
		if p := d.cfg.Policy(); p != nil {
			segments = append(segments, policy.DefaultSegment)
			for _, s := range p.Segments {
				segments = append(segments, s.Name)
			}
		}
	}
	if f.Segment != "" && !slices.Contains(segments, f.Segment) {
		segments = append(segments, f.Segment)
	}
	return currencies, segments
}

func (d *Dashboard) listData(f listFilter, page recoup.CasePage) map[string]any {
	return map[string]any{
		"Total": page.Total, "CountLimit": int64(countLimit), "Shown": len(page.Cases),
		"Filter": f, "Cases": page.Cases, "States": recoup.CaseStates,
		"Categories": append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...),
		"Mechanisms": recoup.RecoveryMechanisms,
		"CSVURL":     d.prefix + "/cases.csv?" + f.values().Encode(),
	}
}

// csvRowLimit bounds one export, so that a click cannot tie up the database for minutes.
const csvRowLimit = 100_000

// casesCSV exports the cases matching the list's filter, newest first, page by page.
func (d *Dashboard) casesCSV(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	_, q, err := parseListFilter(r.URL.Query())
	if err != nil {
		return err
	}
	q.Limit = recoup.MaxCaseLimit
	first, err := d.cfg.Analytics.SearchCases(r.Context(), q)
	if err != nil {
		return fmt.Errorf("export cases: %w", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="recoup-cases.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "invoice_id", "customer_id", "customer_email", "amount", "currency", "state", "category",
		"last_decline", "attempts", "recovered_by", "final_action", "created_at", "resolved_at"})
	page, rows := first, 0
	for {
		for _, c := range page.Cases {
			_ = cw.Write(csvRow(c))
			rows++
		}
		if page.Next == 0 || rows >= csvRowLimit {
			break
		}
		q.Before = page.Next
		if page, err = d.cfg.Analytics.SearchCases(r.Context(), q); err != nil {
			// The header is sent: all that is left is to stop and log.
			d.log.ErrorContext(r.Context(), "export cases", "error", err.Error())
			break
		}
	}
	cw.Flush()
	return nil
}

func csvRow(c recoup.Case) []string {
	resolved := ""
	if !c.ResolvedAt.IsZero() {
		resolved = c.ResolvedAt.UTC().Format(time.RFC3339)
	}
	return []string{strconv.FormatInt(c.ID, 10), cell(c.InvoiceID), cell(c.CustomerID), cell(c.CustomerEmail),
		recoup.Money{Amount: c.Amount.Amount, Currency: c.Amount.Currency}.String(), cell(c.Amount.Currency), string(c.State),
		string(c.Category), cell(c.LastDecline.Reason()), strconv.Itoa(c.Attempts), string(c.RecoveredBy), string(c.FinalAction),
		c.CreatedAt.UTC().Format(time.RFC3339), resolved}
}

// cell neutralizes a value a spreadsheet would run as a formula (CSV injection): a customer
// can choose their own name and email.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// casePage shows one case with its whole history.
func (d *Dashboard) casePage(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.showCase(w, r, u, http.StatusOK, "")
}

func (d *Dashboard) showCase(w http.ResponseWriter, r *http.Request, u *viewer, status int, msg string) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return recoup.Errorf(recoup.ENOTFOUND, "no such case")
	}
	ctx := r.Context()
	// One snapshot: the state agrees with the timeline, attempts and messages shown beside it.
	detail, err := d.cfg.Store.CaseDetail(ctx, id)
	if err != nil {
		return fmt.Errorf("case %d: %w", id, err)
	}
	c := detail.Case
	// The audit log is read apart: an operator's action is recorded after its transaction
	// has committed, never in it, so no snapshot would make the two agree.
	audit, err := d.cfg.Access.Audit(ctx, recoup.AuditFilter{CaseID: id})
	if err != nil {
		return fmt.Errorf("audit of case %d: %w", id, err)
	}
	d.render(w, r, status, "case", u, map[string]any{
		"Case": c, "Timeline": caseTimeline(detail.Timeline), "Attempts": detail.Attempts, "Messages": detail.Messages, "Audit": audit,
		"CanAct": d.cfg.Operator != nil && u.User.Role.Allows(recoup.RoleOperator), "Message": msg,
		"Replannable": c.State.Active() && c.State != recoup.StateRetrying,
		"Resolvable":  !c.State.Terminal() && c.State != recoup.StateRetrying && c.State != recoup.StatePlanning,
		"Paused":      c.State == recoup.StatePaused,
		"Planning":    c.State == recoup.StatePlanning,
		"Reviewable":  c.Review == recoup.ReviewPending,
	})
	return nil
}
