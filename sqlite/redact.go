package sqlite

import (
	"database/sql/driver"

	"modernc.org/sqlite"

	"github.com/recoup-hq/recoup/updatelink"
)

// recoup_redact_links(text) is updatelink.Redact as an SQL function, for migration 00018, which
// redacts the links of the messages and notices stored before messages were stored redacted.
// SQLite has no regular expressions of its own; the function is registered for every
// connection the driver opens.
func init() {
	if err := sqlite.RegisterDeterministicScalarFunction("recoup_redact_links", 1, redactLinks); err != nil {
		panic("sqlite: register recoup_redact_links: " + err.Error())
	}
}

func redactLinks(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case string:
		return updatelink.Redact(v), nil
	case []byte:
		return updatelink.Redact(string(v)), nil
	}
	return args[0], nil
}
