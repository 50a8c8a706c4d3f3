// Package timing chooses when to retry a failed payment. It turns a customer's country into a
// local clock and a bank calendar, generates the candidate retry times of a case, describes each
// candidate as features Stripe actually provides (decline category and code, card, amount,
// attempt number, time since the failure, local hour, weekday, day of month, days since likely
// paydays, bank holidays), and keeps a Bayesian model of the probability that a retry at a
// candidate succeeds, updated from every observed outcome. Decisions sample the model (Thompson
// sampling), so the engine keeps exploring instead of locking onto what one population showed.
//
// Everything here is pure: time comes in as a parameter and randomness as a seeded source.
package timing

import (
	"strings"
	"time"
)

// zones maps an ISO 3166-1 alpha-2 country to its IANA time zone: the zone most of its people
// live in, for countries that span several. Regions refine it below.
var zones = map[string]string{
	"US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo",
	"AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "CO": "America/Bogota", "PE": "America/Lima",
	"GB": "Europe/London", "IE": "Europe/Dublin", "PT": "Europe/Lisbon", "ES": "Europe/Madrid", "FR": "Europe/Paris",
	"BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "LU": "Europe/Luxembourg", "DE": "Europe/Berlin",
	"AT": "Europe/Vienna", "CH": "Europe/Zurich", "IT": "Europe/Rome", "DK": "Europe/Copenhagen",
	"NO": "Europe/Oslo", "SE": "Europe/Stockholm", "FI": "Europe/Helsinki", "PL": "Europe/Warsaw",
	"CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest", "RO": "Europe/Bucharest",
	"BG": "Europe/Sofia", "GR": "Europe/Athens", "HR": "Europe/Zagreb", "SI": "Europe/Ljubljana",
	"EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius", "IS": "Atlantic/Reykjavik",
	"MT": "Europe/Malta", "CY": "Asia/Nicosia", "UA": "Europe/Kyiv", "TR": "Europe/Istanbul",
	"IL": "Asia/Jerusalem", "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "ZA": "Africa/Johannesburg",
	"NG": "Africa/Lagos", "KE": "Africa/Nairobi", "EG": "Africa/Cairo", "IN": "Asia/Kolkata",
	"PK": "Asia/Karachi", "BD": "Asia/Dhaka", "SG": "Asia/Singapore", "MY": "Asia/Kuala_Lumpur",
	"TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh", "ID": "Asia/Jakarta", "PH": "Asia/Manila",
	"HK": "Asia/Hong_Kong", "TW": "Asia/Taipei", "CN": "Asia/Shanghai", "KR": "Asia/Seoul",
	"JP": "Asia/Tokyo", "AU": "Australia/Sydney", "NZ": "Pacific/Auckland",
}

// regionZones refines countries that span time zones by their first-level region (US states,
// Canadian provinces, Australian states, as Stripe's address.state gives them).
var regionZones = map[string]map[string]string{
	"US": {
		"AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
		"CA": "America/Los_Angeles", "CO": "America/Denver", "HI": "Pacific/Honolulu", "ID": "America/Boise",
		"IL": "America/Chicago", "IA": "America/Chicago", "KS": "America/Chicago", "LA": "America/Chicago",
		"MN": "America/Chicago", "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
		"NE": "America/Chicago", "NV": "America/Los_Angeles", "NM": "America/Denver", "ND": "America/Chicago",
		"OK": "America/Chicago", "OR": "America/Los_Angeles", "SD": "America/Chicago", "TN": "America/Chicago",
		"TX": "America/Chicago", "UT": "America/Denver", "WA": "America/Los_Angeles", "WI": "America/Chicago",
		"WY": "America/Denver",
	},
	"CA": {
		"BC": "America/Vancouver", "AB": "America/Edmonton", "SK": "America/Regina", "MB": "America/Winnipeg",
		"NS": "America/Halifax", "NB": "America/Moncton", "NL": "America/St_Johns", "PE": "America/Halifax",
		"YT": "America/Whitehorse", "NT": "America/Yellowknife", "NU": "America/Iqaluit",
	},
	"AU": {
		"WA": "Australia/Perth", "SA": "Australia/Adelaide", "NT": "Australia/Darwin", "QLD": "Australia/Brisbane",
		"VIC": "Australia/Melbourne", "TAS": "Australia/Hobart", "ACT": "Australia/Sydney", "NSW": "Australia/Sydney",
	},
	"BR": {"AM": "America/Manaus", "MT": "America/Cuiaba", "MS": "America/Campo_Grande", "AC": "America/Rio_Branco"},
	"MX": {"BC": "America/Tijuana", "SON": "America/Hermosillo", "CHH": "America/Chihuahua", "BCS": "America/Mazatlan", "SIN": "America/Mazatlan"},
}

// Zone returns the customer's time zone from their country (ISO 3166-1 alpha-2) and region (a
// state or province code), or fallback when the country is unknown or its zone cannot be
// loaded.
func Zone(country, region string, fallback *time.Location) *time.Location {
	country, region = strings.ToUpper(strings.TrimSpace(country)), strings.ToUpper(strings.TrimSpace(region))
	name := regionZones[country][region]
	if name == "" {
		name = zones[country]
	}
	if name == "" {
		return fallback
	}
	if loc, ok := locations[name]; ok {
		return loc
	}
	return fallback
}
