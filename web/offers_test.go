package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// fakeOfferEngine offers what it is told and records what it is asked to do.
type fakeOfferEngine struct {
	offers       []recoup.Offer
	plans, pause int
	err          error
}

func (f *fakeOfferEngine) Offers(recoup.Case, time.Time) []recoup.Offer { return f.offers }

func (f *fakeOfferEngine) StartPaymentPlan(_ context.Context, _ time.Time, _ int64, who string) ([]string, error) {
	if who == "" {
		panic("no actor")
	}
	f.plans++
	return []string{"in_p1", "in_p2", "in_p3"}, f.err
}

func (f *fakeOfferEngine) CustomerPause(context.Context, time.Time, int64) error {
	f.pause++
	return f.err
}

func (p *fakePortal) SubscriptionUpdateURL(_ context.Context, customerID, subscriptionID, returnURL string) (string, error) {
	return "https://billing.stripe.com/p/session/update_" + subscriptionID, p.err
}

func newOfferEnv(t *testing.T, offers ...recoup.Offer) (*linkEnv, *fakeOfferEngine) {
	t.Helper()
	e := newLinkEnv(t)
	eng := &fakeOfferEngine{offers: offers}
	e.srv = New(Config{Store: e.store, Intake: newFakeIntake(), Verifier: &hmacVerifier{secret: testSecret}, Now: func() time.Time { return testNow },
		Links: &LinksConfig{Signer: e.signer, Portal: e.portal, BaseURL: "https://pay.example.com", Company: "Acme",
			Offers: &OffersConfig{Engine: eng, Portal: e.portal}}})
	return e, eng
}

var formTokenRE = regexp.MustCompile(`name="offer" value="([a-z_]+)">\s*<input type="hidden" name="form_token" value="([A-Za-z0-9_-]+)">`)

// forms reads the offers page's forms: offer -> form token.
func forms(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range formTokenRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func (e *linkEnv) post(path string, form url.Values, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

func offerCounts(t *testing.T, e *linkEnv) []recoup.OfferCount {
	t.Helper()
	got, err := e.store.OfferCounts(t.Context(), testNow.Add(-time.Hour), testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOffersPage(t *testing.T) {
	t.Run("a policy without offers redirects as before", func(t *testing.T) {
		e, _ := newOfferEnv(t)
		c := e.newCase(t, "in_none", recoup.StateScheduled, recoup.CategoryCustomerFix)
		w := e.do(http.MethodGet, "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), "")
		if w.Code != http.StatusSeeOther {
			t.Fatalf("status %d", w.Code)
		}
	})
	t.Run("a bank asking for authentication goes to the invoice page, offers or not", func(t *testing.T) {
		e, _ := newOfferEnv(t, recoup.OfferPause)
		c := e.newCase(t, "in_auth", recoup.StateScheduled, recoup.CategoryAuthentication)
		w := e.do(http.MethodGet, "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), "")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "https://invoice.stripe.com/") {
			t.Fatalf("status %d, to %q", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("GET shows the choices and changes nothing else; HEAD not even the click", func(t *testing.T) {
		e, eng := newOfferEnv(t, recoup.AllOffers...)
		c := e.newCase(t, "in_show", recoup.StateScheduled, recoup.CategoryCustomerFix)
		tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
		head := e.do(http.MethodHead, "/u/"+tok, "")
		if head.Code != http.StatusOK || strings.Contains(e.timeline(t, c), "opened") {
			t.Fatalf("HEAD: status %d, timeline %q", head.Code, e.timeline(t, c))
		}
		w := e.do(http.MethodGet, "/u/"+tok, "")
		wantPage(t, w, http.StatusOK, "Choose what suits you best")
		f := forms(t, w.Body.String())
		for _, o := range []string{"update_card", "pay_now", "payment_plan", "cheaper_plan", "pause"} {
			if f[o] == "" {
				t.Errorf("no form for %s in\n%s", o, w.Body.String())
			}
		}
		if eng.plans+eng.pause != 0 || len(offerCounts(t, e)) != 0 {
			t.Errorf("a GET acted: %+v %v", eng, offerCounts(t, e))
		}
		if !strings.Contains(e.timeline(t, c), "shown the offers") {
			t.Errorf("timeline %q", e.timeline(t, c))
		}
	})
	t.Run("each offer acts once checked, is recorded and counted once", func(t *testing.T) {
		e, eng := newOfferEnv(t, recoup.AllOffers...)
		c := e.newCase(t, "in_act", recoup.StateScheduled, recoup.CategoryCustomerFix)
		c.SubscriptionID = "sub_act"
		if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error { return tx.UpdateCase(&c) }); err != nil {
			t.Fatal(err)
		}
		tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
		f := forms(t, e.do(http.MethodGet, "/u/"+tok, "").Body.String())
		choose := func(o string) *httptest.ResponseRecorder {
			return e.post("/u/"+tok+"/offer", url.Values{"offer": {o}, "form_token": {f[o]}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
		}
		if w := choose("pay_now"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://invoice.stripe.com/i/in_act" {
			t.Errorf("pay now: %d %q", w.Code, w.Header().Get("Location"))
		}
		if w := choose("cheaper_plan"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://billing.stripe.com/p/session/update_sub_act" {
			t.Errorf("cheaper plan: %d %q", w.Code, w.Header().Get("Location"))
		}
		wantPage(t, choose("payment_plan"), http.StatusOK, "replaced by 3 smaller payments")
		wantPage(t, choose("pause"), http.StatusOK, "Your subscription is paused")
		wantPage(t, choose("pause"), http.StatusOK, "Your subscription is paused") // a second click
		if w := choose("update_card"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "https://billing.stripe.com/p/session/test_123") {
			t.Errorf("update card: %d %q", w.Code, w.Header().Get("Location"))
		}
		if eng.plans != 1 || eng.pause != 2 {
			t.Errorf("engine calls %+v", eng)
		}
		want := []recoup.OfferCount{{Offer: recoup.OfferPayNow, Chosen: 1}, {Offer: recoup.OfferPaymentPlan, Chosen: 1},
			{Offer: recoup.OfferCheaperPlan, Chosen: 1}, {Offer: recoup.OfferPause, Chosen: 1}}
		if got := offerCounts(t, e); !equalCounts(got, want) {
			t.Errorf("counts %v, want %v", got, want)
		}
		tl := e.timeline(t, c)
		for _, s := range []string{"the customer chose pay now", "the customer chose payment plan", "the customer chose cheaper plan", "the customer chose pause"} {
			if !strings.Contains(tl, s) {
				t.Errorf("timeline lacks %q:\n%s", s, tl)
			}
		}
		audit, err := e.store.Audit(t.Context(), recoup.AuditFilter{CaseID: c.ID})
		if err != nil || len(audit) != 5 || audit[0].Action != "customer_offer_pause" {
			t.Errorf("audit %+v %v", audit, err)
		}
	})
	t.Run("a forged, expired, cross-site or unknown choice does nothing", func(t *testing.T) {
		e, eng := newOfferEnv(t, recoup.OfferPause)
		c := e.newCase(t, "in_forge", recoup.StateScheduled, recoup.CategoryCustomerFix)
		tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
		other := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
		good := e.signer.FormToken(tok, "pause", testNow)
		for _, tt := range []struct {
			name   string
			path   string
			form   url.Values
			header map[string]string
			status int
		}{
			{"no form token", "/u/" + tok + "/offer", url.Values{"offer": {"pause"}}, nil, http.StatusForbidden},
			{"another link's form token", "/u/" + tok + "/offer", url.Values{"offer": {"pause"}, "form_token": {e.signer.FormToken(other, "pause", testNow)}}, nil, http.StatusForbidden},
			{"another offer's form token", "/u/" + tok + "/offer", url.Values{"offer": {"pause"}, "form_token": {e.signer.FormToken(tok, "pay_now", testNow)}}, nil, http.StatusForbidden},
			{"an expired page", "/u/" + tok + "/offer", url.Values{"offer": {"pause"}, "form_token": {e.signer.FormToken(tok, "pause", testNow.Add(-3*time.Hour))}}, nil, http.StatusForbidden},
			{"cross-site", "/u/" + tok + "/offer", url.Values{"offer": {"pause"}, "form_token": {good}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"an offer the policy does not make", "/u/" + tok + "/offer", url.Values{"offer": {"payment_plan"}, "form_token": {e.signer.FormToken(tok, "payment_plan", testNow)}}, nil, http.StatusConflict},
			{"a forged link", "/u/" + tok[:len(tok)-2] + "AA/offer", url.Values{"offer": {"pause"}, "form_token": {good}}, nil, http.StatusBadRequest},
		} {
			if w := e.post(tt.path, tt.form, tt.header); w.Code != tt.status {
				t.Errorf("%s: status %d, want %d:\n%s", tt.name, w.Code, tt.status, w.Body.String())
			}
		}
		if w := e.do(http.MethodGet, "/u/"+tok+"/offer", ""); w.Code == http.StatusOK {
			t.Errorf("GET on the form's address: %d", w.Code)
		}
		if eng.pause+eng.plans != 0 || len(offerCounts(t, e)) != 0 {
			t.Errorf("acted: %+v %v", eng, offerCounts(t, e))
		}
	})
	t.Run("a refusal from the engine changes nothing and says so", func(t *testing.T) {
		e, eng := newOfferEnv(t, recoup.OfferPaymentPlan)
		eng.err = recoup.Errorf(recoup.ECONFLICT, "a charge is in flight")
		c := e.newCase(t, "in_busy", recoup.StateScheduled, recoup.CategoryCustomerFix)
		tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
		w := e.post("/u/"+tok+"/offer", url.Values{"offer": {"payment_plan"}, "form_token": {e.signer.FormToken(tok, "payment_plan", testNow)}}, nil)
		wantPage(t, w, http.StatusConflict, "no longer available")
		if len(offerCounts(t, e)) != 0 {
			t.Errorf("counted %v", offerCounts(t, e))
		}
	})
}

func equalCounts(a, b []recoup.OfferCount) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A form token stays valid for hours, so replaying the card update choice is bounded as
// replaying the link is (issue 19, item 9): one portal session, one timeline row, then 429s.
func TestReplayedChoicesAreBounded(t *testing.T) {
	e, _ := newOfferEnv(t, recoup.AllOffers...)
	c := e.newCase(t, "in_replay", recoup.StateScheduled, recoup.CategoryCustomerFix)
	tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
	form := url.Values{"offer": {offerUpdateCard}, "form_token": {e.signer.FormToken(tok, offerUpdateCard, testNow)}}
	codes := map[int]int{}
	for range 50 {
		codes[e.post("/u/"+tok+"/offer", form, map[string]string{"Sec-Fetch-Site": "same-origin"}).Code]++
	}
	if codes[http.StatusSeeOther] == 0 || codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("answers %v: want redirects, then 429 once the link's limit is reached", codes)
	}
	if n := len(e.portal.customers); n != 1 {
		t.Errorf("%d portal sessions for 50 replayed choices, want 1", n)
	}
	if n := strings.Count(e.timeline(t, c), "chose to update the card"); n != 1 {
		t.Errorf("%d timeline rows for 50 replayed choices, want 1", n)
	}
}
