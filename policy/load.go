package policy

import (
	"errors"
	"fmt"
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

// file is the policy file's schema. Pointers tell "absent" from "zero".
type file struct {
	Timezone     *string   `yaml:"timezone"`
	Retry        *retry    `yaml:"retry"`
	CustomerWait *string   `yaml:"customer_wait"`
	FinalAction  *string   `yaml:"final_action"`
	Campaign     *campaign `yaml:"campaign"`
	Network      *network  `yaml:"network"`
}

// network bounds the card-network guard; values above the networks' limits are refused.
type network struct {
	VisaReattempts30d *int `yaml:"visa_reattempts_30d"`
	CaseBudget        *int `yaml:"case_budget"`
}

type campaign struct {
	Hour  *int   `yaml:"hour"`
	Steps []step `yaml:"steps"`
}

type step struct {
	Day        *int     `yaml:"day"`
	Channel    *string  `yaml:"channel"`
	Template   *string  `yaml:"template"`
	Tone       *string  `yaml:"tone"`
	Categories []string `yaml:"categories"`
}

type retry struct {
	ScheduleDays []int   `yaml:"schedule_days"`
	Hour         *int    `yaml:"hour"`
	MaxAttempts  *int    `yaml:"max_attempts"`
	MinGap       *string `yaml:"min_gap"`
	ErrorDelay   *string `yaml:"error_delay"`
	ErrorLimit   *int    `yaml:"error_limit"`
	// WaitForCustomer lists the categories whose declines are not retried on the same card.
	WaitForCustomer []string `yaml:"wait_for_customer"`
	Strategy        *string  `yaml:"strategy"`
	MaxDuration     *string  `yaml:"max_duration"`
	Technical       []string `yaml:"technical"`
	Model           *model   `yaml:"model"`
}

// Problem is one thing wrong with a policy file, with its position when known.
type Problem struct {
	File         string
	Line, Column int
	Path         string // the YAML path, e.g. $.retry.hour
	Message      string
}

func (p Problem) String() string {
	pos := p.File
	if p.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
	if p.Path != "" {
		return fmt.Sprintf("%s: %s: %s", pos, strings.TrimPrefix(p.Path, "$."), p.Message)
	}
	return fmt.Sprintf("%s: %s", pos, p.Message)
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

// Load reads and validates the policy file at path.
func Load(path string) (*Policy, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "read policy: %w", err)
	}
	return Parse(path, src)
}

// Parse validates src, the content of the policy file name. Unknown keys are errors. Absent
// settings take the built-in defaults. The error is an *Error listing every problem.
func Parse(name string, src []byte) (*Policy, error) {
	var f file
	if err := yaml.UnmarshalWithOptions(src, &f, yaml.DisallowUnknownField()); err != nil {
		return nil, &Error{Problems: []Problem{decodeProblem(name, err)}}
	}
	ast, _ := parser.ParseBytes(src, 0) // it decoded, so it parses
	v := validator{name: name, ast: ast}
	p := v.policy(&f)
	if len(v.problems) > 0 {
		return nil, &Error{Problems: v.problems}
	}
	p.Version = version(src)
	p.Source = src
	return p, nil
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
	problems []Problem
}

func (v *validator) fail(path, format string, args ...any) {
	p := Problem{File: v.name, Path: path, Message: fmt.Sprintf(format, args...)}
	if yp, err := yaml.PathString(path); err == nil && v.ast != nil {
		if n, err := yp.FilterFile(v.ast); err == nil && n != nil && n.GetToken() != nil {
			p.Line, p.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
		}
	}
	v.problems = append(v.problems, p)
}

func (v *validator) policy(f *file) *Policy {
	p := &Policy{
		Location:     time.UTC,
		CustomerWait: 15 * 24 * time.Hour,
		FinalAction:  recoup.FinalLeavePastDue,
		Retry: Retry{Days: []int{0, 3, 7, 15}, Hour: 10, MaxAttempts: 4, MinGap: 4 * time.Hour,
			ErrorDelay: 15 * time.Minute, ErrorLimit: 3,
			WaitForCustomer: []recoup.Category{recoup.CategoryCustomerFix, recoup.CategoryAuthentication},
			Strategy:        StrategySchedule, MaxDuration: 21 * 24 * time.Hour, Model: defaultModel},
		Campaign: Campaign{Hour: 10},
	}
	if f.Timezone != nil {
		loc, err := time.LoadLocation(*f.Timezone)
		if err != nil || *f.Timezone == "" || *f.Timezone == "Local" {
			v.fail("$.timezone", "unknown time zone %q: use an IANA name such as Europe/Paris or UTC", *f.Timezone)
		} else {
			p.Location = loc
		}
	}
	if f.CustomerWait != nil {
		p.CustomerWait = v.duration("$.customer_wait", *f.CustomerWait, time.Hour, 365*24*time.Hour)
	}
	if f.FinalAction != nil {
		a := recoup.FinalAction(*f.FinalAction)
		if !a.Valid() {
			v.fail("$.final_action", "unknown final action %q: use leave_past_due, cancel_subscription or mark_uncollectible", *f.FinalAction)
		}
		p.FinalAction = a
	}
	if r := f.Retry; r != nil {
		v.retry(r, &p.Retry)
	}
	if c := f.Campaign; c != nil {
		v.campaign(c, &p.Campaign)
	}
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
	return p
}

// channels are the message channels a campaign step may use.
var channels = []string{"email", "webhook"}

func (v *validator) campaign(c *campaign, out *Campaign) {
	if c.Hour != nil {
		if *c.Hour < 0 || *c.Hour > 23 {
			v.fail("$.campaign.hour", "hour must be 0-23, got %d", *c.Hour)
		}
		out.Hour = *c.Hour
	}
	last := -1
	for i, s := range c.Steps {
		path := fmt.Sprintf("$.campaign.steps[%d]", i)
		st := Step{Channel: "email", Tone: "neutral"}
		switch {
		case s.Day == nil:
			v.fail(path, "a step needs a day (days after the first failure, 0 = the same day)")
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
		if s.Template == nil || *s.Template == "" {
			v.fail(path, "a step needs a template name")
		} else {
			st.Template = *s.Template
		}
		if s.Tone != nil {
			st.Tone = *s.Tone
		}
		st.Categories = v.categories(path+".categories", s.Categories)
		out.Steps = append(out.Steps, st)
	}
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

func (v *validator) retry(r *retry, out *Retry) {
	if r.ScheduleDays != nil {
		switch {
		case len(r.ScheduleDays) == 0:
			v.fail("$.retry.schedule_days", "must list at least one day")
		case !strictlyAscending(r.ScheduleDays):
			v.fail("$.retry.schedule_days", "days must be strictly ascending, e.g. [0, 3, 7, 15]")
		case r.ScheduleDays[0] < 0 || r.ScheduleDays[len(r.ScheduleDays)-1] > 365:
			v.fail("$.retry.schedule_days", "days must be between 0 and 365")
		default:
			out.Days = r.ScheduleDays
		}
	}
	if r.Hour != nil {
		if *r.Hour < 0 || *r.Hour > 23 {
			v.fail("$.retry.hour", "hour must be 0-23, got %d", *r.Hour)
		}
		out.Hour = *r.Hour
	}
	if r.MaxAttempts != nil {
		if *r.MaxAttempts < 0 || *r.MaxAttempts > 20 {
			v.fail("$.retry.max_attempts", "must be 0-20, got %d (card networks fine excessive retries)", *r.MaxAttempts)
		}
		out.MaxAttempts = *r.MaxAttempts
	}
	if r.MinGap != nil {
		out.MinGap = v.duration("$.retry.min_gap", *r.MinGap, time.Minute, 30*24*time.Hour)
	}
	if r.ErrorDelay != nil {
		out.ErrorDelay = v.duration("$.retry.error_delay", *r.ErrorDelay, time.Second, 24*time.Hour)
	}
	if r.ErrorLimit != nil {
		if *r.ErrorLimit < 0 || *r.ErrorLimit > 10 {
			v.fail("$.retry.error_limit", "must be 0-10, got %d", *r.ErrorLimit)
		}
		out.ErrorLimit = *r.ErrorLimit
	}
	if r.WaitForCustomer != nil {
		cats := v.categories("$.retry.wait_for_customer", r.WaitForCustomer)
		if slices.Contains(cats, recoup.CategoryHard) {
			v.fail("$.retry.wait_for_customer", "hard declines always wait for a new card: leave hard out of the list")
		}
		out.WaitForCustomer = cats
	}
	v.timing(r, out)
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
