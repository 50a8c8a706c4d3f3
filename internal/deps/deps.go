// Package deps pins the project's dependencies while the packages that use them are written.
package deps

import (
	_ "github.com/alecthomas/kong"
	_ "github.com/emersion/go-smtp"
	_ "github.com/goccy/go-yaml"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/riverqueue/river"
	_ "github.com/riverqueue/river/riverdriver/riverpgxv5"
	_ "github.com/riverqueue/river/riverdriver/riversqlite"
	_ "github.com/riverqueue/river/rivermigrate"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/stripe/stripe-go/v86"
	_ "modernc.org/sqlite"
)
