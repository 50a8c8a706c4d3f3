package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// Problem is one thing wrong with a policy file, with its position when known.
type Problem struct {
	File         string
	Line, Column int
	Path         string // the YAML path, e.g. $.retry.hour
	Message      string
	// Hint suggests a fix when the message itself does not ("did you mean ...?").
	Hint string
}

func (p Problem) String() string {
	pos := p.File
	if p.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
	msg := p.Message
	if p.Hint != "" {
		msg += " (" + p.Hint + ")"
	}
	if p.Path != "" && p.Path != "$" {
		return fmt.Sprintf("%s: %s: %s", pos, strings.TrimPrefix(p.Path, "$."), msg)
	}
	return fmt.Sprintf("%s: %s", pos, msg)
}

// Error lists every problem found in a policy file.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid policy: " + strings.Join(lines, "; ")
}

// Options are what a policy file is checked against beyond its own content.
type Options struct {
	// Templates are the message template names a campaign step may name. Nil means the
	// shipped ones (BuiltinTemplates); a service with a template override directory passes
	// its names too (notify/templates.CampaignNames).
	Templates []string
}

// BuiltinTemplates are the campaign template names recoup ships with words of their own, and
// "default", the default words of the step's tone (notify/templates' test holds the list to
// the shipped templates).
func BuiltinTemplates() []string {
	return []string{"default", "final_notice", "payment_failed", "suspension_notice", "update_card"}
}

// Load reads and validates the policy file at path against the shipped templates.
func Load(path string) (*Policy, error) { return LoadWith(path, Options{}) }

// LoadWith reads and validates the policy file at path.
func LoadWith(path string, o Options) (*Policy, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, recoup.Errorf(recoup.EINVALID, "policy file %s does not exist", path)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the message names the path already
		}
		return nil, recoup.Errorf(recoup.EINVALID, "read policy file %s: %w", path, err)
	}
	return ParseWith(path, src, o)
}

// Parse validates src, the content of the policy file name, against the shipped templates.
func Parse(name string, src []byte) (*Policy, error) { return ParseWith(name, src, Options{}) }

// ParseWith validates src, the content of the policy file name. Unknown keys are errors. Absent
// settings take the built-in defaults. The error is an *Error listing every problem found in
// one pass, in the order of the file: the structural ones (unknown keys, wrong types) and the
// semantic ones (ranges, durations, names, rules) of everything the structural check let
// through, each cause once.
func ParseWith(name string, src []byte, o Options) (*Policy, error) {
	doc, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, &Error{Problems: []Problem{decodeProblem(name, err)}}
	}
	if empty(doc) {
		return nil, &Error{Problems: []Problem{{File: name,
			Message: "the policy file is empty: write the settings that differ from the defaults, or {} to take every default"}}}
	}
	v := validator{name: name, ast: doc, lines: strings.Split(string(src), "\n"), refused: map[string]bool{},
		templates: o.Templates, ownTemplates: o.Templates != nil}
	if v.templates == nil {
		v.templates = BuiltinTemplates()
	}
	var body ast.Node
	for _, d := range doc.Docs {
		if v.check(d) && body == nil {
			body = d.Body
		}
	}
	if len(doc.Docs) > 1 {
		v.fail("$", "a policy file holds one YAML document; found %d (remove the extra ---)", len(doc.Docs))
		body = nil
	}
	// Decode what the structural check let through, so that the settings it refused do not
	// hide the problems of the others.
	var f file
	if body != nil {
		if err := yaml.NodeToValue(body, &f, yaml.DisallowUnknownField()); err != nil {
			v.problems = append(v.problems, decodeProblem(name, err))
			return nil, v.err()
		}
	}
	p := v.policy(&f)
	if len(v.problems) > 0 {
		return nil, v.err()
	}
	p.Version = version(src)
	p.Source = src
	p.file, p.name, p.opts = &f, name, o
	return p, nil
}

// empty reports a file with no setting at all: nothing, comments, or a lone null.
func empty(f *ast.File) bool {
	for _, d := range f.Docs {
		if d.Body != nil && d.Body.Type() != ast.NullType && d.Body.Type() != ast.CommentType {
			return false
		}
	}
	return true
}

// err is the problems found, in the order of the file (those without a position first), each
// once.
func (v *validator) err() *Error {
	ps := slices.Clone(v.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	ps = slices.CompactFunc(ps, func(a, b Problem) bool { return a == b })
	return &Error{Problems: ps}
}

func decodeProblem(name string, err error) Problem {
	var se yaml.Error
	if errors.As(err, &se) {
		if tok := se.GetToken(); tok != nil && tok.Position != nil {
			return Problem{File: name, Line: tok.Position.Line, Column: tok.Position.Column, Message: se.GetMessage()}
		}
		return Problem{File: name, Message: se.GetMessage()}
	}
	return Problem{File: name, Message: err.Error()}
}

// validator collects problems, each placed at the node its YAML path points to.
type validator struct {
	name     string
	ast      *ast.File
	anchors  map[string]ast.Node
	lines    []string // the source, for positions inside block scalars
	problems []Problem
	// refused are the paths of settings the structural check refused (a wrong type, or the key
	// an unknown one is a misspelling of): they are not reported missing as well.
	refused map[string]bool
	// templates are the template names a campaign step may name; ownTemplates says they
	// include a template directory's, not only the shipped ones.
	templates    []string
	ownTemplates bool
}

func (v *validator) fail(path, format string, args ...any) {
	v.failHint(path, "", format, args...)
}

// failHint records a problem at path with a suggestion.
func (v *validator) failHint(path, hint, format string, args ...any) {
	p := Problem{File: v.name, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint}
	if n := v.node(path); n != nil {
		if tok := firstToken(n); tok != nil && tok.Position != nil {
			p.Line, p.Column = tok.Position.Line, tok.Position.Column
		}
	}
	v.problems = append(v.problems, p)
}

// node is the YAML node at path, nil if there is none.
func (v *validator) node(path string) ast.Node {
	if v.ast == nil {
		return nil
	}
	yp, err := yaml.PathString(path)
	if err != nil {
		return nil
	}
	n, err := yp.FilterFile(v.ast)
	if err != nil || n == nil || n.GetToken() == nil {
		return nil
	}
	return n
}

func (v *validator) policy(f *file) *Policy {
	p := &Policy{
		Mode:     ModeAct,
		Location: time.UTC,
		Segment:  DefaultSegment,
		Rules: Rules{
			CustomerWait: 15 * 24 * time.Hour,
			FinalAction:  recoup.FinalLeavePastDue,
			Retry: Retry{Days: []int{0, 3, 7, 15}, Hour: 10, MaxAttempts: 4, MinGap: 4 * time.Hour,
				ErrorDelay: 15 * time.Minute, ErrorLimit: 3,
				WaitForCustomer: []recoup.Category{recoup.CategoryCustomerFix, recoup.CategoryAuthentication},
				Strategy:        StrategySchedule, Model: defaultModel},
			Campaign: Campaign{Hour: 10, QuietFrom: 21, QuietTo: 8},
		},
	}
	if f.Mode != nil {
		switch m := Mode(*f.Mode); m {
		case ModeAct, ModeObserve:
			p.Mode = m
		default:
			v.fail("$.mode", "unknown mode %q: use act (recoup charges and messages) or observe (recoup only records what it would do)", *f.Mode)
		}
	}
	if f.Timezone != nil {
		loc, err := time.LoadLocation(*f.Timezone)
		if err != nil || *f.Timezone == "" || *f.Timezone == "Local" {
			v.fail("$.timezone", "unknown time zone %q: use an IANA name such as Europe/Paris or UTC", *f.Timezone)
		} else {
			p.Location = loc
		}
	}
	v.rules("$", &f.RulesFile, &p.Rules)
	if n := f.Network; n != nil {
		if x := n.VisaReattempts30d; x != nil {
			if *x < 1 || *x > decline.MaxVisaReattempts30d {
				v.fail("$.network.visa_reattempts_30d", "must be 1-%d, got %d (Visa's cap per card and amount in 30 days)", decline.MaxVisaReattempts30d, *x)
			}
			p.Network.VisaReattempts30d = *x
		}
		if x := n.CaseBudget; x != nil {
			if *x < 1 || *x > decline.MaxCaseBudget {
				v.fail("$.network.case_budget", "must be 1-%d, got %d (retries of one invoice after its first failure, by anyone)", decline.MaxCaseBudget, *x)
			}
			p.Network.CaseBudget = *x
		}
	}
	p.Segments = v.segments(f.Segments, p.Rules)
	if f.Experiment != nil {
		p.Experiment = v.experiment(f.Experiment, p)
	}
	return p
}

// rules applies the settings of one rules section (the top of the file or a segment) onto out,
// which holds the inherited values.
func (v *validator) rules(path string, r *RulesFile, out *Rules) {
	if r.CustomerWait != nil {
		out.CustomerWait = v.duration(path+".customer_wait", *r.CustomerWait, time.Hour, 365*24*time.Hour)
	}
	if r.GracePeriod != nil {
		out.GracePeriod = v.duration(path+".grace_period", *r.GracePeriod, 0, 365*24*time.Hour)
	}
	if r.FinalAction != nil {
		a := recoup.FinalAction(*r.FinalAction)
		if !a.Valid() {
			v.fail(path+".final_action", "unknown final action %q: use %s", *r.FinalAction, finalActionList())
		}
		out.FinalAction = a
	}
	if r.FinalAfter != nil {
		out.FinalAfter = v.duration(path+".final_after", *r.FinalAfter, 0, 365*24*time.Hour)
	}
	if r.ManualReview != nil {
		out.ManualReview = *r.ManualReview
	}
	if r.Retry != nil {
		v.retry(path+".retry", r.Retry, &out.Retry)
	}
	if r.Declines != nil {
		v.declines(path+".declines", r.Declines, &out.Declines)
	}
	if r.Campaign != nil {
		v.campaign(path+".campaign", r.Campaign, &out.Campaign)
	}
	if pp := r.PaymentPlan; pp != nil {
		out.PaymentPlan = v.paymentPlan(path+".payment_plan", pp)
	}
	v.offers(path, r, out)
	v.money(path, r, out)
}

// paymentPlan validates a payment plan; parts: 0 turns an inherited plan off.
func (v *validator) paymentPlan(path string, pp *paymentPlan) *PaymentPlan {
	out := &PaymentPlan{Every: 30 * 24 * time.Hour}
	if pp.Parts == nil {
		if v.refused[path+".parts"] {
			return nil
		}
		v.fail(path, "a payment plan needs parts (2-12), or parts: 0 to turn an inherited plan off")
		return nil
	}
	if *pp.Parts == 0 {
		return nil
	}
	if *pp.Parts < 2 || *pp.Parts > 12 {
		v.fail(path+".parts", "must be 2-12 (or 0 for no plan), got %d", *pp.Parts)
	}
	out.Parts = *pp.Parts
	if pp.Above != nil {
		if *pp.Above < 0 {
			v.fail(path+".above", "must be 0 or more (minor units, e.g. 50000 for 500.00), got %d", *pp.Above)
		}
		out.Above = int64(*pp.Above)
	}
	if pp.Every != nil {
		out.Every = v.duration(path+".every", *pp.Every, 24*time.Hour, 90*24*time.Hour)
	}
	return out
}

func finalActionList() string {
	names := make([]string, len(recoup.FinalActions))
	for i, a := range recoup.FinalActions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// declines validates the decline-code overrides.
func (v *validator) declines(path string, d *declines, out *DeclineRules) {
	if d.NeverRetry != nil {
		out.NeverRetry = nil
		for i, c := range d.NeverRetry {
			if !validCode(c) {
				v.fail(fmt.Sprintf("%s.never_retry[%d]", path, i), "%q is not a Stripe decline code (lower case with underscores, e.g. do_not_honor)", c)
				continue
			}
			out.NeverRetry = append(out.NeverRetry, c)
		}
	}
	if d.RetryWithin != nil {
		out.RetryWithin = map[string]time.Duration{}
		for code, w := range d.RetryWithin {
			p := path + ".retry_within." + code
			if !validCode(code) {
				v.fail(p, "%q is not a Stripe decline code (lower case with underscores, e.g. insufficient_funds)", code)
				continue
			}
			if slices.Contains(out.NeverRetry, code) {
				v.fail(p, "%q is also listed in never_retry: keep it in one list", code)
			}
			out.RetryWithin[code] = v.duration(p, w, time.Hour, 365*24*time.Hour)
		}
	}
	if d.Schedule != nil {
		out.Schedule = map[string][]int{}
		for code, ds := range d.Schedule {
			p := path + ".schedule." + code
			switch {
			case !validCode(code):
				v.fail(p, "%q is not a Stripe decline code (lower case with underscores, e.g. insufficient_funds)", code)
			case slices.Contains(out.NeverRetry, code):
				v.fail(p, "%q is also listed in never_retry: keep it in one list", code)
			case len(ds) == 0 || !strictlyAscending(ds) || ds[0] < 0 || ds[len(ds)-1] > 365:
				v.fail(p, "must list days after the first failure, strictly ascending, 0-365, e.g. [1, 4, 8]")
			default:
				out.Schedule[code] = ds
			}
		}
	}
}

func validCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// channels are the message channels a campaign step may use.
var channels = []string{"email", "sms", "webhook"}

func (v *validator) campaign(base string, c *campaign, out *Campaign) {
	hourOK, quietOK := true, true
	if c.Hour != nil {
		if *c.Hour < 0 || *c.Hour > 23 {
			v.fail(base+".hour", "hour must be 0-23, got %d", *c.Hour)
			hourOK = false
		} else {
			out.Hour = *c.Hour
		}
	}
	if c.QuietHours != nil {
		q := c.QuietHours
		if len(q) != 2 || q[0] < 0 || q[0] > 23 || q[1] < 0 || q[1] > 23 {
			v.fail(base+".quiet_hours", "must be [from, to] local hours 0-23, e.g. [21, 8] (nothing sent from 21:00 to 08:00); [0, 0] for none")
			quietOK = false
		} else {
			out.QuietFrom, out.QuietTo = q[0], q[1]
		}
	}
	// Checked where the hour or the quiet hours are set, and only once both are valid: a
	// segment that inherits both inherits their problem, reported once at the top.
	set := c.Hour != nil || c.QuietHours != nil
	if from, to, h := out.QuietFrom, out.QuietTo, out.Hour; set && hourOK && quietOK && from != to &&
		((from < to && h >= from && h < to) || (from > to && (h >= from || h < to))) {
		path := base + ".hour"
		if c.Hour == nil {
			path = base + ".quiet_hours"
		}
		v.fail(path, "hour %d falls in the quiet hours [%d, %d]: messages would all wait until %02d:00", h, from, to, to)
	}
	if c.Steps != nil {
		out.Steps = nil // a segment's steps replace the inherited ones
	}
	last := -1
	for i, s := range c.Steps {
		path := fmt.Sprintf("%s.steps[%d]", base, i)
		st := Step{Channel: "email", Tone: "neutral"}
		switch {
		case s.Day != nil && s.After != nil:
			v.fail(path, "a step has a day or an after (days after the previous step), not both")
		case s.After != nil:
			if day, ok := v.stepAfter(path+".after", *s.After, i, last); ok {
				st.Day, last = day, day
			}
		case s.Day == nil:
			if v.refused[path+".day"] || v.refused[path+".after"] {
				break // refused already: not missing too
			}
			v.fail(path, "a step needs a day (days after the first failure, 0 = the same day) or an after (days after the previous step, e.g. 2d)")
		case *s.Day < 0 || *s.Day > 365:
			v.fail(path+".day", "day must be 0-365, got %d", *s.Day)
		case *s.Day < last:
			v.fail(path+".day", "steps must be in order of day: day %d comes after day %d", *s.Day, last)
		default:
			st.Day, last = *s.Day, *s.Day
		}
		if s.Channel != nil {
			if !slices.Contains(channels, *s.Channel) {
				v.fail(path+".channel", "unknown channel %q: use one of %s", *s.Channel, strings.Join(channels, ", "))
			}
			st.Channel = *s.Channel
		}
		switch {
		case s.Template == nil && v.refused[path+".template"]:
		case s.Template == nil || *s.Template == "":
			v.fail(path, "a step needs a template name")
		case !slices.Contains(v.templates, *s.Template):
			v.failHint(path+".template", v.templateHint(*s.Template), "unknown template %q", *s.Template)
		default:
			st.Template = *s.Template
		}
		if s.Tone != nil {
			st.Tone = *s.Tone
		}
		st.Categories = v.categories(path+".categories", s.Categories)
		out.Steps = append(out.Steps, st)
	}
}

// templateHint suggests the template an unknown name may be a misspelling of, or lists the
// known ones and says where they come from.
func (v *validator) templateHint(name string) string {
	if near := nearest(name, v.templates); near != "" {
		return fmt.Sprintf("did you mean %q?", near)
	}
	known := slices.Sorted(slices.Values(v.templates))
	if v.ownTemplates {
		return "the templates are " + strings.Join(known, ", ")
	}
	return "the shipped templates are " + strings.Join(known, ", ") +
		"; a template of your own needs its words in the template directory (RECOUP_TEMPLATES), given to the check too (recoup policy check --templates DIR)"
}

// stepAfter resolves the after of step i (a delay after the previous step in the list,
// whatever that step's categories) to a day after the first failure. Steps are sent on days
// at the campaign's hour, so the delay must be whole days; the day it gives must stay within
// the 365 a day may have. ok is false when it is refused.
func (v *validator) stepAfter(path, after string, i, last int) (day int, ok bool) {
	if i == 0 {
		v.fail(path, "the first step has no previous step to follow: give it a day")
		return 0, false
	}
	d, err := ParseDuration(after)
	if err != nil {
		v.fail(path, "%v", err)
		return 0, false
	}
	if d%(24*time.Hour) != 0 {
		v.fail(path, "after must be whole days, like 2d, got %s: steps are sent at the campaign's hour", after)
		return 0, false
	}
	if last < 0 {
		return 0, false // the previous step's day was refused: already reported
	}
	day = last + int(d/(24*time.Hour))
	if day > 365 {
		v.fail(path, "after %s puts the step on day %d: days must be 0-365", after, day)
		return 0, false
	}
	return day, true
}

// categories validates a list of recovery categories.
func (v *validator) categories(path string, names []string) []recoup.Category {
	if names == nil {
		return nil
	}
	out := []recoup.Category{}
	for i, n := range names {
		c := recoup.Category(n)
		if !slices.Contains(recoup.Categories, c) {
			v.fail(fmt.Sprintf("%s[%d]", path, i), "unknown category %q: use one of %s", n, categoryList())
			continue
		}
		out = append(out, c)
	}
	return out
}

func categoryList() string {
	names := make([]string, len(recoup.Categories))
	for i, c := range recoup.Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

func (v *validator) retry(base string, r *retry, out *Retry) {
	if r.ScheduleDays != nil {
		switch {
		case len(r.ScheduleDays) == 0:
			v.fail(base+".schedule_days", "must list at least one day")
		case !strictlyAscending(r.ScheduleDays):
			v.fail(base+".schedule_days", "days must be strictly ascending, e.g. [0, 3, 7, 15]")
		case r.ScheduleDays[0] < 0 || r.ScheduleDays[len(r.ScheduleDays)-1] > 365:
			v.fail(base+".schedule_days", "days must be between 0 and 365")
		default:
			out.Days = r.ScheduleDays
		}
	}
	if r.Hour != nil {
		if *r.Hour < 0 || *r.Hour > 23 {
			v.fail(base+".hour", "hour must be 0-23, got %d", *r.Hour)
		}
		out.Hour = *r.Hour
	}
	if r.MaxAttempts != nil {
		if *r.MaxAttempts < 0 || *r.MaxAttempts > 20 {
			v.fail(base+".max_attempts", "must be 0-20, got %d (card networks fine excessive retries)", *r.MaxAttempts)
		}
		out.MaxAttempts = *r.MaxAttempts
	}
	if r.MaxDuration != nil {
		out.MaxDuration = v.duration(base+".max_duration", *r.MaxDuration, 0, 365*24*time.Hour)
	}
	if r.MinGap != nil {
		out.MinGap = v.duration(base+".min_gap", *r.MinGap, time.Minute, 30*24*time.Hour)
	}
	if r.ErrorDelay != nil {
		out.ErrorDelay = v.duration(base+".error_delay", *r.ErrorDelay, time.Second, 24*time.Hour)
	}
	if r.ErrorLimit != nil {
		if *r.ErrorLimit < 0 || *r.ErrorLimit > 10 {
			v.fail(base+".error_limit", "must be 0-10, got %d", *r.ErrorLimit)
		}
		out.ErrorLimit = *r.ErrorLimit
	}
	if r.WaitForCustomer != nil {
		cats := v.categories(base+".wait_for_customer", r.WaitForCustomer)
		if slices.Contains(cats, recoup.CategoryHard) {
			v.fail(base+".wait_for_customer", "hard declines always wait for a new card: leave hard out of the list")
		}
		out.WaitForCustomer = cats
	}
	v.timing(base, r, out)
	if r.LargeInvoices != nil {
		v.largeInvoices(base, r.LargeInvoices, out)
	}
}

func strictlyAscending(xs []int) bool {
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			return false
		}
	}
	return true
}

// duration parses a Go duration ("90m", "4h") or a number of days ("15d"), within [lo, hi].
func (v *validator) duration(path, s string, lo, hi time.Duration) time.Duration {
	d, err := ParseDuration(s)
	if err != nil {
		v.fail(path, "%v", err)
		return 0
	}
	if d < lo || d > hi {
		v.fail(path, "must be between %s and %s, got %s", lo, hi, s)
	}
	return d
}

// ParseDuration parses a Go duration ("90m", "4h") or a whole number of days ("15d").
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("invalid duration %q: use a number of days like 15d, or 36h", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: use 15d, 36h or 90m", s)
	}
	return d, nil
}
