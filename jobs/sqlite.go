package jobs

import (
	"database/sql"

	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// NewSQLite returns a Queue over a SQLite database opened with modernc.org/sqlite, shared with
// the store so that InsertTx can join its transactions. Open it in WAL mode with
// _txlock=immediate and a busy_timeout: River's services and the store then queue for the
// single writer instead of failing with SQLITE_BUSY. One process only: River's leader
// election and row locking assume a shared server, and SQLite is a file.
func NewSQLite(db *sql.DB, cfg Config) (*Queue[*sql.Tx], error) {
	return newQueue(riversqlite.New(db), cfg)
}
