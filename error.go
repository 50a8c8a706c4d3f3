package recoup

import (
	"errors"
	"fmt"
	"time"
)

// Error codes shared by every layer. Adapters translate driver errors into these codes; the web
// layer alone maps them to HTTP statuses.
const (
	ECONFLICT     = "conflict"     // the operation conflicts with the current state (duplicate, stale version)
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // the input is malformed
	ENOTFOUND     = "not_found"    // the thing does not exist
	EUNAVAILABLE  = "unavailable"  // a dependency (database, Stripe) is down or overloaded; retry later
	EUNAUTHORIZED = "unauthorized" // missing or wrong credentials
)

// Error is a domain error with a machine-readable code and a message safe to show an operator.
type Error struct {
	Code    string
	Message string
	Err     error // the underlying cause, if any
}

// Errorf returns an *Error with the given code and a formatted message. A %w verb wraps the cause.
func Errorf(code string, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// IsNotFound reports whether err carries ENOTFOUND.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// RunLater is what a job's handler returns when the job should run again at At rather than
// now (a message due in the customer's quiet hours). The job transport runs the same job again
// then: River snoozes it, keeping its unique key, where queueing a new job for the same key
// while this one runs would be dropped as a duplicate.
type RunLater struct{ At time.Time }

func (e *RunLater) Error() string { return "run again at " + e.At.UTC().Format(time.RFC3339) }
