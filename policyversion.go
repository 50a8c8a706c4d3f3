package recoup

import (
	"context"
	"time"
)

// PolicyVersion is one version of the policy file that the service has run: its content hash
// (policy.Policy.Version, which every decision records), its source, when the service first
// put it in force and when it last did (a version can come back after a reload), and a note
// on where it came from when it did not come from the file as written ("arm recoup of
// experiment recoup-vs-stripe promoted by ops@example.com").
type PolicyVersion struct {
	Version         string    `json:"version"`
	Source          string    `json:"source"`
	FirstSeenAt     time.Time `json:"first_seen_at"`
	LastActivatedAt time.Time `json:"last_activated_at"`
	Note            string    `json:"note,omitempty"`
}

// PolicyHistory records the policy versions the service runs. The sqlite and postgres stores
// implement it; storetest.RunAccess specifies it.
type PolicyHistory interface {
	// RecordPolicyVersion notes that the version with this source was put in force at `at`:
	// a new version is added, a known one has its LastActivatedAt moved to `at`. A note that
	// is not empty replaces the version's; an empty one keeps it.
	RecordPolicyVersion(ctx context.Context, version, source, note string, at time.Time) error
	// PolicyVersions lists up to limit versions, the most recently put in force first.
	PolicyVersions(ctx context.Context, limit int) ([]PolicyVersion, error)
}
