package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/recoup-hq/recoup"
)

// codeOf returns the recoup error code of a SQLite error, by its (extended) result code, or ""
// when the error is not one the domain has a code for.
func codeOf(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return recoup.ECONFLICT
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK,
		sqlite3.SQLITE_CONSTRAINT_DATATYPE, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return recoup.EINVALID
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
		return recoup.EUNAVAILABLE
	}
	return ""
}

// isForeignKey reports whether err is a foreign key violation: a row referring to a case that
// does not exist.
func isForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// wrap says what was being done when err happened, and gives SQLite errors their recoup code.
func wrap(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if code := codeOf(err); code != "" {
		return recoup.Errorf(code, "%s: %w", msg, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// translate gives a SQLite error its recoup code, leaving others as they are.
func translate(err error) error {
	if code := codeOf(err); code != "" {
		return &recoup.Error{Code: code, Message: err.Error(), Err: err}
	}
	return err
}
