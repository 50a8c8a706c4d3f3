package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

// Issue 19 item 7: a metrics scrape reads the case counts from the rollup the triggers keep,
// not by counting every case. A rollup row with no case behind it shows that.
func TestCountCasesReadsTheRollup(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "recoup.db"))
	s := sqlite.NewStore(db, jobTable(t, db))
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO case_rollup VALUES (20000, 'usd', 'recovered', 'funds', 'recoup_retry', 3, 900)`); err != nil {
		t.Fatal(err)
	}
	counts, err := s.CountCases(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts[recoup.StateRecovered] != 3 {
		t.Fatalf("recovered cases: %d, want the rollup's 3", counts[recoup.StateRecovered])
	}
}
