package web

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
)

// The customer link pages' Content-Security-Policy (issue 19, item 12): the page loads
// nothing, runs no script and cannot be framed; its one inline <style> is allowed by its hash,
// computed from the embedded template, so editing the page's styles needs no change here. Form
// posts may go to the page itself and, through a redirect, to Stripe's pages (browsers apply
// form-action to a form's redirects).
var customerCSP = func() string {
	page, err := pagesFS.ReadFile("pages/customer.html")
	if err != nil {
		panic("web: customer page: " + err.Error())
	}
	styles := ""
	for _, m := range regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllSubmatch(page, -1) {
		h := sha256.Sum256(m[1])
		styles += " 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	}
	if styles == "" {
		styles = " 'none'"
	}
	return "default-src 'none'; style-src" + styles + "; img-src 'self'; form-action 'self' https://*.stripe.com; frame-ancestors 'none'; base-uri 'none'"
}()
