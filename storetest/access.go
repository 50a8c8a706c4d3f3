package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// RunAccess runs the conformance suite of recoup.AccessStore and recoup.AnalyticsStore, which
// the harness's Store must also implement.
func RunAccess(t *testing.T, newStore func(t *testing.T) Harness) {
	open := func(t *testing.T) (recoup.Store, recoup.AccessStore) {
		h := newStore(t)
		as, ok := h.Store.(recoup.AccessStore)
		if !ok {
			t.Fatalf("%T does not implement recoup.AccessStore", h.Store)
		}
		return h.Store, as
	}
	t.Run("Users", func(t *testing.T) { _, s := open(t); testUsers(t, s) })
	t.Run("Sessions", func(t *testing.T) { _, s := open(t); testSessions(t, s) })
	t.Run("APITokens", func(t *testing.T) { _, s := open(t); testAPITokens(t, s) })
	t.Run("Audit", func(t *testing.T) { _, s := open(t); testAudit(t, s) })
	t.Run("Credentials", func(t *testing.T) { _, s := open(t); testCredentials(t, s) })
	t.Run("Analytics", func(t *testing.T) { s, _ := open(t); testAnalytics(t, s) })
	t.Run("RecoveryBuckets", func(t *testing.T) { s, _ := open(t); testRecoveryBuckets(t, s) })
	t.Run("Segments", func(t *testing.T) { s, _ := open(t); testSegments(t, s) })
	t.Run("CampaignSteps", func(t *testing.T) { s, _ := open(t); testCampaignSteps(t, s) })
	t.Run("PolicyVersions", func(t *testing.T) { s, _ := open(t); testPolicyVersions(t, s) })
	t.Run("AnalyticsSnapshot", func(t *testing.T) {
		h := newStore(t)
		if h.Unisolated {
			t.Skip("the store's reads share the writes' one connection and are not isolated from them")
		}
		testAnalyticsSnapshot(t, h.Store)
	})
}

func mustUser(t *testing.T, s recoup.AccessStore, email string, role recoup.Role) recoup.User {
	t.Helper()
	u := recoup.User{Email: email, Role: role, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", CreatedAt: base}
	if err := s.CreateUser(t.Context(), &u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	if u.ID == 0 {
		t.Fatal("CreateUser did not set the ID")
	}
	return u
}

func testUsers(t *testing.T, s recoup.AccessStore) {
	ctx := t.Context()
	ada := mustUser(t, s, "ada@example.com", recoup.RoleAdmin)
	mustUser(t, s, "bob@example.com", recoup.RoleViewer)

	dup := recoup.User{Email: "ada@example.com", Role: recoup.RoleViewer, PasswordHash: "x"}
	wantCode(t, s.CreateUser(ctx, &dup), recoup.ECONFLICT)
	bad := recoup.User{Email: "Carol@Example.com", Role: recoup.RoleViewer, PasswordHash: "x"}
	wantCode(t, s.CreateUser(ctx, &bad), recoup.EINVALID)
	bad = recoup.User{Email: "carol@example.com", Role: "root", PasswordHash: "x"}
	wantCode(t, s.CreateUser(ctx, &bad), recoup.EINVALID)

	got, err := s.UserByEmail(ctx, " ADA@example.com ")
	if err != nil {
		t.Fatal(err)
	}
	want := ada
	want.CreatedAt = stored(ada.CreatedAt)
	wantEqual(t, "user by email", want, got)
	got, err = s.User(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "user by id", want, got)
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	wantCode(t, err, recoup.ENOTFOUND)
	_, err = s.User(ctx, ada.ID+100)
	wantCode(t, err, recoup.ENOTFOUND)

	want.Role, want.Disabled, want.PasswordHash = recoup.RoleOperator, true, "new-hash"
	if err := s.UpdateUser(ctx, &want); err != nil {
		t.Fatal(err)
	}
	got, _ = s.User(ctx, ada.ID)
	wantEqual(t, "updated user", want, got)
	missing := want
	missing.ID += 100
	wantCode(t, s.UpdateUser(ctx, &missing), recoup.ENOTFOUND)

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Email != "ada@example.com" || users[1].Email != "bob@example.com" {
		t.Fatalf("Users: want ada, bob by email, got %+v", users)
	}
}

func testSessions(t *testing.T, s recoup.AccessStore) {
	ctx := t.Context()
	u := mustUser(t, s, "ada@example.com", recoup.RoleAdmin)
	live := recoup.Session{IDHash: "live", UserID: u.ID, CSRFToken: "csrf-1", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	old := recoup.Session{IDHash: "old", UserID: u.ID, CSRFToken: "csrf-2", CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	for _, ss := range []recoup.Session{live, old} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, s.CreateSession(ctx, live), recoup.ECONFLICT)
	wantCode(t, s.CreateSession(ctx, recoup.Session{IDHash: "orphan", UserID: u.ID + 100, CSRFToken: "c", ExpiresAt: base}), recoup.EINVALID)
	wantCode(t, s.CreateSession(ctx, recoup.Session{IDHash: "no-csrf", UserID: u.ID, ExpiresAt: base}), recoup.EINVALID)

	now := base.Add(30 * time.Minute)
	got, err := s.Session(ctx, "live", now)
	if err != nil {
		t.Fatal(err)
	}
	live.CreatedAt, live.ExpiresAt = stored(live.CreatedAt), stored(live.ExpiresAt)
	wantEqual(t, "session", live, got)
	_, err = s.Session(ctx, "old", now)
	wantCode(t, err, recoup.ENOTFOUND) // expired
	_, err = s.Session(ctx, "live", base.Add(time.Hour))
	wantCode(t, err, recoup.ENOTFOUND) // expires at exactly its ExpiresAt

	n, err := s.DeleteExpiredSessions(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions: want 1, got %d, %v", n, err)
	}
	if err := s.DeleteSession(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Session(ctx, "live", now)
	wantCode(t, err, recoup.ENOTFOUND)
}

func testAPITokens(t *testing.T, s recoup.AccessStore) {
	ctx := t.Context()
	u := mustUser(t, s, "ada@example.com", recoup.RoleOperator)
	tok := recoup.APIToken{UserID: u.ID, Name: "ci", Hash: "abc", CreatedAt: base}
	if err := s.CreateAPIToken(ctx, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.ID == 0 {
		t.Fatal("CreateAPIToken did not set the ID")
	}
	again := recoup.APIToken{UserID: u.ID, Name: "again", Hash: "abc"}
	wantCode(t, s.CreateAPIToken(ctx, &again), recoup.ECONFLICT)
	got, err := s.APITokenByHash(ctx, "abc")
	if err != nil {
		t.Fatal(err)
	}
	tok.CreatedAt = stored(tok.CreatedAt)
	wantEqual(t, "token", tok, got)
	_, err = s.APITokenByHash(ctx, "nope")
	wantCode(t, err, recoup.ENOTFOUND)
}

func testAudit(t *testing.T, s recoup.AccessStore) {
	ctx := t.Context()
	var added []recoup.AuditEntry
	for i, caseID := range []int64{7, 0, 7} {
		e := recoup.AuditEntry{At: base.Add(time.Duration(i) * time.Minute), UserID: 1, UserEmail: "ada@example.com",
			Action: "retry_now", CaseID: caseID, Outcome: "ok", Detail: "<script>x</script>"}
		if err := s.AppendAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
		e.At = stored(e.At)
		added = append(added, e)
	}
	wantCode(t, s.AppendAudit(ctx, &recoup.AuditEntry{}), recoup.EINVALID)
	all, err := s.Audit(ctx, recoup.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "audit log, newest first", []recoup.AuditEntry{added[2], added[1], added[0]}, all)
	ofCase, err := s.Audit(ctx, recoup.AuditFilter{CaseID: 7, Before: added[2].ID, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "audit of case 7 before the last", []recoup.AuditEntry{added[0]}, ofCase)
	_, err = s.Audit(ctx, recoup.AuditFilter{Limit: recoup.MaxAuditLimit + 1})
	wantCode(t, err, recoup.EINVALID)
}
