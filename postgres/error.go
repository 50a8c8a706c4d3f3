package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/recoup-hq/recoup"
)

// SQLSTATE codes the store translates (PostgreSQL manual, appendix A).
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	notNullViolation     = "23502"
	checkViolation       = "23514"
	invalidText          = "22P02"
	stringTooLong        = "22001"
	numericOutOfRange    = "22003"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	lockNotAvailable     = "55P03"
	readOnlyTransaction  = "25006"
	adminShutdown        = "57P01"
	crashShutdown        = "57P02"
	cannotConnectNow     = "57P03"
	connectionClass      = "08" // connection exceptions
	resourcesClass       = "53" // insufficient resources: disk full, out of memory, too many connections
)

// codeOf returns the recoup error code of a PostgreSQL error, by its SQLSTATE, or "" when the
// error is not one the domain has a code for.
func codeOf(err error) string {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return recoup.EUNAVAILABLE
	}
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code {
	case uniqueViolation, serializationFailure, deadlockDetected:
		return recoup.ECONFLICT
	case foreignKeyViolation, notNullViolation, checkViolation, invalidText, stringTooLong, numericOutOfRange:
		return recoup.EINVALID
	case lockNotAvailable, readOnlyTransaction, adminShutdown, crashShutdown, cannotConnectNow:
		return recoup.EUNAVAILABLE
	}
	if strings.HasPrefix(e.Code, connectionClass) || strings.HasPrefix(e.Code, resourcesClass) {
		return recoup.EUNAVAILABLE
	}
	return ""
}

// isForeignKey reports whether err is a foreign key violation: a row referring to a case that
// does not exist.
func isForeignKey(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == foreignKeyViolation
}

// wrap says what was being done when err happened, and gives PostgreSQL errors their recoup
// code.
func wrap(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if code := codeOf(err); code != "" {
		return recoup.Errorf(code, "%s: %w", msg, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}
