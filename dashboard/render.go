package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/expreport"
)

// page is a parsed page template: the layout plus the page's own "content".
type page struct{ t *template.Template }

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"login", "error", "overview", "cases", "case", "policy", "audit", "operations", "campaigns", "experiment"}

var funcs = template.FuncMap{
	// money is replaced per dashboard by its locale's (Dashboard.money).
	"money": func(amount int64, currency string) string {
		return recoup.Money{Amount: amount, Currency: currency}.String()
	},
	"state":      func(s recoup.CaseState) string { return words(stateWords, s) },
	"category":   func(c recoup.Category) string { return words(categoryWords, c) },
	"categories": func(cs []recoup.Category) string { return wordList(categoryWords, cs) },
	"final":      func(a recoup.FinalAction) string { return words(finalActionWords, a) },
	"action":     func(a recoup.ActionKind) string { return words(actionWords, a) },
	"entry":      func(k recoup.EntryKind) string { return words(entryWords, k) },
	"msgstatus":  func(s recoup.MessageStatus) string { return words(messageStatusWords, s) },
	"audit":      func(a string) string { return words(auditWords, a) },
	"decline":    decline.CodeWords,
	"advice":     decline.AdviceWords,
	"pmtypes":    func(ts []string) string { return wordList(paymentMethodWords, ts) },
	"offers": func(os []recoup.Offer) string {
		out := make([]string, len(os))
		for i, o := range os {
			out[i] = o.Words()
		}
		return listWords(out)
	},
	"ints": func(ns []int) string {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = strconv.Itoa(n)
		}
		return strings.Join(out, ", ")
	},
	"hour": func(h int) string { return fmt.Sprintf("%02d:00", h) },
	"pct":  func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"date": func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	// detail pretty-prints a timeline entry's JSON; html/template escapes the result.
	"detail": func(raw json.RawMessage) string {
		var b bytes.Buffer
		if len(raw) == 0 || json.Indent(&b, raw, "", "  ") != nil {
			return string(raw)
		}
		return b.String()
	},
	"allows": func(u *viewer, role string) bool { return u != nil && u.User.Role.Allows(recoup.Role(role)) },
	"query":  func(kv ...string) template.URL { return template.URL(queryString(kv...)) },
	"upper":  strings.ToUpper,
	"join":   strings.Join,
	// mechanism names what recovered a case in words.
	"mechanism": recoup.RecoveredBy.Words,
	// dur writes a duration in words: "45 days", "4 hours", "15 minutes".
	"dur": durWords,
	"durs": func(ds []time.Duration) string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = durWords(d)
		}
		return strings.Join(out, ", ")
	},
	// dict passes named values to a sub-template: dict "Name" x "Rules" y.
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
	"invoices": func(n int64) string {
		if n == 1 {
			return "1 invoice"
		}
		return fmt.Sprintf("%d invoices", n)
	},
	"add": func(a int, b float64) float64 { return float64(a) + b },
	// pctpoint writes a number already in percent (or days) to one decimal.
	"pctpoint": expreport.Pct,
	"span":     expreport.Span,
	"capital": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"level": func(alpha float64) float64 { return 100 * (1 - alpha) },
	"signed": func(x float64) string {
		if x > 0 {
			return "+" + expreport.Pct(x)
		}
		return expreport.Pct(x)
	},
}

// queryString encodes key, value pairs as a query string, leaving out empty values.
func queryString(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}

// mustParsePages parses every page with funcs, and over them the dashboard's own (its locale's
// money).
func mustParsePages(own template.FuncMap) map[string]*page {
	pages := make(map[string]*page, len(pageNames))
	for _, name := range pageNames {
		t := template.Must(template.New(name).Funcs(funcs).Funcs(own).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
		pages[name] = &page{t: t}
	}
	return pages
}

// layoutData is what every page's template receives.
type layoutData struct {
	Prefix string
	User   *viewer
	CSRF   string
	Active string // the page, for the navigation
	// Experiment shows the experiment page in the navigation.
	Experiment bool
	Data       any
}

// render executes the page into a buffer first, so a template error becomes a clean 500
// rather than half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, u *viewer, data any) {
	ld := layoutData{Prefix: d.prefix, User: u, Active: name, Data: data}
	if u != nil {
		ld.CSRF = u.Session.CSRFToken
		ld.Experiment = d.hasExperiment(r.Context())
	}
	var b bytes.Buffer
	if err := d.pages[name].t.ExecuteTemplate(&b, "layout", ld); err != nil {
		d.log.ErrorContext(r.Context(), "render page", "page", name, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// durWords writes d in the largest unit that divides it: "45 days", "1 hour", "90 seconds".
func durWords(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if d >= u.d && d%u.d == 0 {
			if n := d / u.d; n != 1 {
				return fmt.Sprintf("%d %ss", n, u.name)
			}
			return "1 " + u.name
		}
	}
	return d.String()
}
