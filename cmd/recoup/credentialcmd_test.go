package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/sqlite"
)

// Issue 19 item 5: a user's password can be changed (which signs them out), they can be signed
// out everywhere, and their API tokens listed, revoked and made to expire.
func TestCredentialLifecycleCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "users.db")
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, append([]string{"--database-url", db}, args...), &out, func(int) {}); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	cli("user", "add", "--email", "ada@example.com", "--role", "admin")
	sdb, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	st := sqlite.NewStore(sdb, nil)
	ada, err := st.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	session := func(id string) {
		t.Helper()
		now := time.Now()
		if err := st.CreateSession(ctx, recoup.Session{IDHash: id, UserID: ada.ID, CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}

	session("s1")
	out := cli("user", "passwd", "--email", "Ada@Example.com")
	m := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "1 session(s) signed out") {
		t.Fatalf("passwd: %q", out)
	}
	if ada, _ = st.UserByEmail(ctx, "ada@example.com"); !dashboard.CheckPassword(ada.PasswordHash, m[1]) {
		t.Fatal("the new password does not match")
	}
	if _, err := st.Session(ctx, "s1", time.Now()); !recoup.IsNotFound(err) {
		t.Fatalf("the session made before the password change: %v, want it gone", err)
	}

	session("s2")
	session("s3")
	if out := cli("user", "signout", "--email", "ada@example.com"); !strings.Contains(out, "2 session(s)") {
		t.Fatalf("signout: %q", out)
	}

	ci := regexp.MustCompile(`rcp_\S+`).FindString(cli("user", "token", "--email", "ada@example.com", "--name", "ci"))
	cli("user", "token", "--email", "ada@example.com", "--name", "laptop", "--expires", "0")
	list := cli("user", "tokens", "--email", "ada@example.com")
	if !strings.Contains(list, `"ci"`) || !strings.Contains(list, "expires "+time.Now().Add(90*24*time.Hour).Format(time.DateOnly)) ||
		!strings.Contains(list, `"laptop"`) || !strings.Contains(list, "never expires") || strings.Contains(list, "rcp_") {
		t.Fatalf("tokens:\n%s", list)
	}
	tok, err := st.APITokenByHash(ctx, dashboard.HashSecret(ci))
	if err != nil {
		t.Fatal(err)
	}
	cli("user", "revoke-token", "1")
	if _, err := st.APITokenByHash(ctx, tok.Hash); !recoup.IsNotFound(err) {
		t.Fatalf("the revoked token: %v", err)
	}
	if err := run(ctx, []string{"--database-url", db, "user", "revoke-token", "1"}, &bytes.Buffer{}, func(int) {}); !recoup.IsNotFound(err) {
		t.Fatalf("revoke it again: %v, want not found", err)
	}
}
