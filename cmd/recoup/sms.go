package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/recoup-hq/recoup/notify/sms"
	"github.com/recoup-hq/recoup/web"
)

// The sms channel's settings. The credentials come from the environment only, never from a
// flag (a flag shows in the process list): TWILIO_ACCOUNT_SID, and TWILIO_AUTH_TOKEN or
// TWILIO_AUTH_TOKEN_FILE (a file holding the token, e.g. a mounted secret). The sender, the
// price and the API base are ordinary settings (CommsFlags).

// smsChannel returns the Twilio channel and its inbound webhook's check, or nils when
// TWILIO_ACCOUNT_SID is not set. lookup is os.LookupEnv.
func (f *CommsFlags) smsChannel(lookup func(string) (string, bool), publicURL string) (*sms.Twilio, *web.SMSInbound, error) {
	sid, _ := lookup("TWILIO_ACCOUNT_SID")
	if sid == "" {
		if f.SMSFrom != "" {
			return nil, nil, fmt.Errorf("RECOUP_SMS_FROM is set but TWILIO_ACCOUNT_SID is not: the sms channel needs Twilio's credentials in the environment")
		}
		return nil, nil, nil
	}
	token, err := secretFromEnv(lookup, "TWILIO_AUTH_TOKEN")
	if err != nil {
		return nil, nil, err
	}
	if publicURL == "" {
		return nil, nil, fmt.Errorf("the sms channel needs RECOUP_PUBLIC_URL and RECOUP_LINK_SECRET: every text carries the signed card update link")
	}
	micros, currency, err := parsePrice(f.SMSPrice)
	if err != nil {
		return nil, nil, fmt.Errorf("RECOUP_SMS_PRICE: %w", err)
	}
	tw, err := sms.New(sms.Config{AccountSID: sid, AuthToken: token, From: f.SMSFrom, APIBase: f.TwilioAPIBase, PriceMicros: micros, Currency: currency})
	if err != nil {
		return nil, nil, err
	}
	return tw, &web.SMSInbound{AuthToken: token, URL: strings.TrimRight(publicURL, "/") + "/webhooks/twilio"}, nil
}

// secretFromEnv reads a secret from NAME, or from the file NAME_FILE names; never both.
func secretFromEnv(lookup func(string) (string, bool), name string) (string, error) {
	v, _ := lookup(name)
	file, _ := lookup(name + "_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: cannot read the file it names", name)
		}
		v = strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s_FILE: the file is empty", name)
		}
	case v == "":
		return "", fmt.Errorf("%s (or %s_FILE) is required", name, name)
	}
	return v, nil
}

// parsePrice reads "0.0083 USD" (the price of one SMS segment) as millionths and a currency;
// "" is no price (costs are then Twilio's own, when its answer has one).
func parsePrice(s string) (int64, string, error) {
	if strings.TrimSpace(s) == "" {
		return 0, "", nil
	}
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, "", fmt.Errorf("write the price of one message segment and its currency, e.g. 0.0083 USD; got %q", s)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || v < 0 || v > 10 {
		return 0, "", fmt.Errorf("%q is not a price between 0 and 10", f[0])
	}
	return int64(v*1e6 + 0.5), strings.ToUpper(f[1]), nil
}
