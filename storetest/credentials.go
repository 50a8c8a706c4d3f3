package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// testCredentials checks the credential lifecycle: a session's expiry slides, a user is signed
// out everywhere, tokens expire, are listed and revoked.
func testCredentials(t *testing.T, s recoup.AccessStore) {
	ctx := t.Context()
	ada := mustUser(t, s, "ada@example.com", recoup.RoleAdmin)
	bob := mustUser(t, s, "bob@example.com", recoup.RoleViewer)
	for i, ss := range []recoup.Session{
		{IDHash: "a1", UserID: ada.ID, CSRFToken: "c", CreatedAt: base, ExpiresAt: base.Add(time.Hour)},
		{IDHash: "a2", UserID: ada.ID, CSRFToken: "c", CreatedAt: base, ExpiresAt: base.Add(time.Hour)},
		{IDHash: "b1", UserID: bob.ID, CSRFToken: "c", CreatedAt: base, ExpiresAt: base.Add(time.Hour)},
	} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	if err := s.ExtendSession(ctx, "a1", base.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, "a1", base.Add(2*time.Hour)); err != nil || !got.ExpiresAt.Equal(base.Add(3*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("extended session: %+v %v", got, err)
	}
	if err := s.ExtendSession(ctx, "nope", base); !recoup.IsNotFound(err) {
		t.Fatalf("extend a missing session: %v, want ENOTFOUND", err)
	}
	if n, err := s.DeleteUserSessions(ctx, ada.ID); err != nil || n != 2 {
		t.Fatalf("sign out everywhere: %d %v, want 2", n, err)
	}
	if _, err := s.Session(ctx, "a2", base); !recoup.IsNotFound(err) {
		t.Fatalf("ada's session after sign-out-all: %v", err)
	}
	if _, err := s.Session(ctx, "b1", base); err != nil {
		t.Fatalf("bob's session is gone too: %v", err)
	}

	expires := base.Add(90 * 24 * time.Hour).Truncate(time.Microsecond)
	t1 := recoup.APIToken{UserID: ada.ID, Name: "ci", Hash: "h1", CreatedAt: base, ExpiresAt: expires}
	t2 := recoup.APIToken{UserID: ada.ID, Name: "laptop", Hash: "h2", CreatedAt: base}
	for _, tok := range []*recoup.APIToken{&t1, &t2} {
		if err := s.CreateAPIToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.APITokenByHash(ctx, "h1")
	if err != nil || !got.ExpiresAt.Equal(expires) || got.Valid(expires) || !got.Valid(expires.Add(-time.Second)) {
		t.Fatalf("token with an expiry: %+v %v", got, err)
	}
	list, err := s.APITokens(ctx, ada.ID)
	if err != nil || len(list) != 2 || list[0].Name != "ci" || list[1].Name != "laptop" || !list[1].ExpiresAt.IsZero() {
		t.Fatalf("ada's tokens: %+v %v", list, err)
	}
	if list, err := s.APITokens(ctx, bob.ID); err != nil || len(list) != 0 {
		t.Fatalf("bob's tokens: %+v %v", list, err)
	}
	if err := s.DeleteAPIToken(ctx, t1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APITokenByHash(ctx, "h1"); !recoup.IsNotFound(err) {
		t.Fatalf("a revoked token is still found: %v", err)
	}
	if err := s.DeleteAPIToken(ctx, t1.ID); !recoup.IsNotFound(err) {
		t.Fatalf("revoke twice: %v, want ENOTFOUND", err)
	}
}
