package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/recoup-hq/recoup"
)

// Segment is a named group of cases with its own rules, chosen by a CEL expression over the
// facts of the case when it opens.
type Segment struct {
	Name string
	// When is the segment's CEL rule, as written; "true" catches every case.
	When string
	Rules
	prog cel.Program
}

// SegmentFacts are what a segment rule can read: the invoice, the customer and the
// subscription, as Stripe showed them when the case opened.
type SegmentFacts struct {
	Invoice      InvoiceFacts
	Customer     CustomerFacts
	Subscription SubscriptionFacts
}

// InvoiceFacts describe the unpaid invoice.
type InvoiceFacts struct {
	AmountDue     int64  // in the currency's minor unit (cents)
	Currency      string // lower-case ISO code
	Interval      string // the subscription's billing interval: day, week, month, year; "" if unknown
	IntervalCount int
	PriceIDs      []string
	ProductIDs    []string
	BillingReason string
}

// CustomerFacts describe the customer.
type CustomerFacts struct {
	Country       string // ISO 3166-1 alpha-2, "" if unknown
	TenureDays    int    // days since the customer was created in Stripe
	LifetimeValue int64  // minor units paid so far, when known; 0 otherwise
	Metadata      map[string]string
	PastFailures  int // recovery cases opened for this customer before this one
}

// SubscriptionFacts describe the invoice's subscription.
type SubscriptionFacts struct {
	Status   string
	Metadata map[string]string
}

// FactsOf gathers the segment facts of an invoice; pastFailures comes from the store.
func FactsOf(inv recoup.Invoice, pastFailures int, now time.Time) SegmentFacts {
	f := SegmentFacts{
		Invoice:  InvoiceFacts{AmountDue: inv.AmountDue, Currency: inv.Currency, BillingReason: inv.BillingReason},
		Customer: CustomerFacts{Country: inv.CustomerCountry, PastFailures: pastFailures},
	}
	x := inv.Facts
	if x == nil {
		return f
	}
	f.Invoice.Interval, f.Invoice.IntervalCount = x.Interval, x.IntervalCount
	f.Invoice.PriceIDs, f.Invoice.ProductIDs = x.PriceIDs, x.ProductIDs
	f.Customer.LifetimeValue, f.Customer.Metadata = x.CustomerLifetimeValue, x.CustomerMetadata
	f.Subscription = SubscriptionFacts{Status: x.SubscriptionStatus, Metadata: x.SubscriptionMetadata}
	if !x.CustomerCreated.IsZero() && now.After(x.CustomerCreated) {
		f.Customer.TenureDays = int(now.Sub(x.CustomerCreated) / (24 * time.Hour))
	}
	return f
}

// factVars declares every fact a rule can read, with its CEL type. The names are qualified
// (invoice.amount_due), so a misspelt field is an undeclared reference when the policy loads,
// not a missing key when a case opens.
var factVars = []struct {
	name string
	typ  *cel.Type
	get  func(SegmentFacts) any
}{
	{"invoice.amount_due", cel.IntType, func(f SegmentFacts) any { return f.Invoice.AmountDue }},
	{"invoice.amount", cel.DoubleType, func(f SegmentFacts) any { return decimal(f.Invoice.AmountDue, f.Invoice.Currency) }},
	{"invoice.currency", cel.StringType, func(f SegmentFacts) any { return f.Invoice.Currency }},
	{"invoice.interval", cel.StringType, func(f SegmentFacts) any { return f.Invoice.Interval }},
	{"invoice.interval_count", cel.IntType, func(f SegmentFacts) any { return int64(f.Invoice.IntervalCount) }},
	{"invoice.price_ids", cel.ListType(cel.StringType), func(f SegmentFacts) any { return orEmpty(f.Invoice.PriceIDs) }},
	{"invoice.product_ids", cel.ListType(cel.StringType), func(f SegmentFacts) any { return orEmpty(f.Invoice.ProductIDs) }},
	{"invoice.billing_reason", cel.StringType, func(f SegmentFacts) any { return f.Invoice.BillingReason }},
	{"customer.country", cel.StringType, func(f SegmentFacts) any { return f.Customer.Country }},
	{"customer.tenure_days", cel.IntType, func(f SegmentFacts) any { return int64(f.Customer.TenureDays) }},
	{"customer.lifetime_value", cel.IntType, func(f SegmentFacts) any { return f.Customer.LifetimeValue }},
	{"customer.metadata", cel.MapType(cel.StringType, cel.StringType), func(f SegmentFacts) any { return orEmptyMap(f.Customer.Metadata) }},
	{"customer.past_failures", cel.IntType, func(f SegmentFacts) any { return int64(f.Customer.PastFailures) }},
	{"subscription.status", cel.StringType, func(f SegmentFacts) any { return f.Subscription.Status }},
	{"subscription.metadata", cel.MapType(cel.StringType, cel.StringType), func(f SegmentFacts) any { return orEmptyMap(f.Subscription.Metadata) }},
}

// FactNames lists the facts a segment rule can read, for documentation and tests.
func FactNames() []string {
	out := make([]string, len(factVars))
	for i, v := range factVars {
		out[i] = v.name
	}
	return out
}

// ruleCostLimit bounds one rule's evaluation: enough for comparisons and list or map lookups
// over an invoice's few prices, too little for a runaway comprehension.
const ruleCostLimit = 10_000

func newEnv() (*cel.Env, error) {
	opts := make([]cel.EnvOption, 0, len(factVars))
	for _, v := range factVars {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	// Optional syntax lets a rule read a metadata key that may be absent:
	// customer.metadata.?tier.orValue("") == "vip".
	opts = append(opts, cel.OptionalTypes())
	return cel.NewEnv(opts...)
}

// ruleError is one problem of a rule, at a line and column of the rule's text (1-based; 0 if
// unknown).
type ruleError struct {
	Line, Column int
	Message      string
}

// compileRule type-checks a rule and reports whether it is the constant true (a catch-all).
func compileRule(env *cel.Env, src string) (cel.Program, bool, []ruleError) {
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var out []ruleError
		for _, e := range iss.Errors() {
			re := ruleError{Message: e.Message}
			if e.Location != nil && e.Location.Line() > 0 {
				re.Line, re.Column = e.Location.Line(), e.Location.Column()+1
			}
			out = append(out, re)
		}
		return nil, false, out
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, false, []ruleError{{Message: fmt.Sprintf("the rule must be true or false, but it gives a %s", ast.OutputType())}}
	}
	prog, err := env.Program(ast, cel.CostLimit(ruleCostLimit))
	if err != nil {
		return nil, false, []ruleError{{Message: err.Error()}}
	}
	catchAll := false
	if e := ast.NativeRep().Expr(); e != nil && e.AsLiteral() != nil {
		catchAll = e.AsLiteral().Value() == true
	}
	return prog, catchAll, nil
}

// Match returns the name of the first segment whose rule holds for the facts, or
// DefaultSegment. A rule that reads a metadata key the case does not have does not match. A
// rule that fails otherwise (over its cost limit) does not match either; the error says which
// and why, and the search goes on.
func (p *Policy) Match(f SegmentFacts) (string, error) {
	if len(p.Segments) == 0 {
		return DefaultSegment, nil
	}
	act := make(map[string]any, len(factVars))
	for _, v := range factVars {
		act[v.name] = v.get(f)
	}
	var firstErr error
	for _, s := range p.Segments {
		out, _, err := s.prog.Eval(act)
		if err != nil {
			if strings.HasPrefix(err.Error(), "no such key") {
				continue
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("segment %s: %w", s.Name, err)
			}
			continue
		}
		if b, ok := out.Value().(bool); ok && b {
			return s.Name, firstErr
		}
	}
	return DefaultSegment, firstErr
}

func decimal(minor int64, currency string) float64 {
	if recoup.IsZeroDecimal(currency) {
		return float64(minor)
	}
	return float64(minor) / 100
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// segments compiles each segment's rule and resolves its rules over the top-level ones.
func (v *validator) segments(in []segment, base Rules) []Segment {
	if len(in) == 0 {
		return nil
	}
	env, err := newEnv()
	if err != nil {
		v.fail("$.segments", "segment rules unavailable: %v", err)
		return nil
	}
	var (
		out      []Segment
		names    = map[string]bool{DefaultSegment: true}
		catchAll string
	)
	for i, s := range in {
		path := fmt.Sprintf("$.segments[%d]", i)
		seg := Segment{Rules: cloneRules(base)}
		switch {
		case s.Name == nil && v.refused[path+".name"]: // refused already: not missing too
		case s.Name == nil || *s.Name == "":
			v.fail(path, "a segment needs a name")
		case !validName(*s.Name):
			v.fail(path+".name", "segment name %q: use letters, digits, - and _ only", *s.Name)
		case names[*s.Name]:
			v.fail(path+".name", "segment name %q is used twice (or is the reserved name default)", *s.Name)
		default:
			seg.Name = *s.Name
			names[seg.Name] = true
		}
		if catchAll != "" {
			v.fail(path, "segment %q can never match: segment %q above it matches every case (when: true); move it up or remove it", seg.Name, catchAll)
		}
		if s.When == nil && v.refused[path+".when"] {
			// refused already: not missing too
		} else if s.When == nil || strings.TrimSpace(*s.When) == "" {
			v.fail(path, "a segment needs a rule (when: a CEL expression such as invoice.amount_due >= 50000, or true for every case)")
		} else {
			seg.When = *s.When
			prog, all, errs := compileRule(env, seg.When)
			if len(errs) > 0 {
				v.ruleProblems(path+".when", errs)
			} else {
				seg.prog = prog
				if all {
					catchAll = seg.Name
				}
			}
		}
		v.rules(path, &s.RulesFile, &seg.Rules)
		out = append(out, seg)
	}
	return out
}

// cloneRules copies r so that a segment's changes never reach the rules it inherits from.
func cloneRules(r Rules) Rules {
	r.Retry.Days = slices.Clone(r.Retry.Days)
	r.Retry.WaitForCustomer = slices.Clone(r.Retry.WaitForCustomer)
	r.Campaign.Steps = slices.Clone(r.Campaign.Steps)
	r.Declines.NeverRetry = slices.Clone(r.Declines.NeverRetry)
	r.Declines.RetryWithin = maps.Clone(r.Declines.RetryWithin)
	return r
}

func validName(s string) bool {
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// ruleProblems reports a rule's CEL errors, each at its line and column in the file: inside a
// rule written on one line, or inside a block scalar (when: |).
func (v *validator) ruleProblems(path string, errs []ruleError) {
	for _, e := range errs {
		hint := ""
		if strings.Contains(e.Message, "undeclared reference") {
			hint = "the facts are " + strings.Join(FactNames(), ", ")
		}
		v.fail(path, "invalid rule: %s", e.Message)
		p := &v.problems[len(v.problems)-1]
		p.Hint = hint
		n := v.node(path)
		if e.Line == 0 || p.Line == 0 || n == nil {
			continue
		}
		switch tok := n.GetToken(); {
		case n.Type() == ast.LiteralType:
			// The rule's text starts on the line after the | or >, at its indentation.
			line := p.Line + e.Line
			if line-1 < len(v.lines) {
				text := v.lines[line-1]
				p.Line, p.Column = line, len(text)-len(strings.TrimLeft(text, " "))+e.Column
			}
		case e.Line == 1 && !strings.Contains(tok.Value, "\n"):
			if tok.Type == token.SingleQuoteType || tok.Type == token.DoubleQuoteType {
				p.Column++
			}
			p.Column += e.Column - 1
		}
	}
}
