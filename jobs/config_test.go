package jobs

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	got, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Workers != DefaultWorkers || got.JobTimeout != DefaultJobTimeout ||
		got.RescueStuckAfter != DefaultRescueStuckAfter || got.FetchPollInterval != DefaultFetchPollInterval ||
		got.ReconcileEvery != 0 || got.Clock == nil || got.Logger == nil {
		t.Errorf("Config{}.withDefaults() = %+v", got)
	}
}

func TestConfigRefusesInvalid(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"negative workers":                  {Workers: -1},
		"negative reconcile period":         {ReconcileEvery: -time.Second},
		"reconcile more than once a second": {ReconcileEvery: 500 * time.Millisecond},
		"negative job timeout":              {JobTimeout: -time.Second},
		"rescue before the timeout":         {JobTimeout: time.Hour, RescueStuckAfter: time.Minute},
		"rescue at the timeout":             {JobTimeout: time.Minute, RescueStuckAfter: time.Minute},
		"default rescue under long timeout": {JobTimeout: time.Hour},
		"poll under a millisecond":          {FetchPollInterval: time.Microsecond},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := cfg.withDefaults(); recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("withDefaults(%+v) error = %v, want %s", cfg, err, recoup.EINVALID)
			}
			if _, err := NewSQLite(nil, cfg); recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("NewSQLite with %+v: error = %v, want %s", cfg, err, recoup.EINVALID)
			}
		})
	}
}
