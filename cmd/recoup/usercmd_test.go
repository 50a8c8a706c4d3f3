package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/sqlite"
)

func TestUserCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "users.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"--database-url", db, "user", "add", "--email", " Ada@Example.com", "--role", "admin"}, &out, func(int) {}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password in %q", out.String())
	}
	generated := m[1]

	g := &Globals{DatabaseURL: db, LogLevel: "error"}
	add := &UserAddCmd{Email: "op@example.com", Role: "operator", PasswordStdin: true, stdin: strings.NewReader("a long enough password\n")}
	out.Reset()
	if err := add.Run(ctx, g, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "password") && strings.Contains(out.String(), "a long enough") {
		t.Fatalf("a password given on stdin was printed: %q", out.String())
	}
	short := &UserAddCmd{Email: "v@example.com", Role: "viewer", PasswordStdin: true, stdin: strings.NewReader("short\n")}
	if err := short.Run(ctx, g, &out); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("short password: want EINVALID, got %v", err)
	}
	if err := run(ctx, []string{"--database-url", db, "user", "add", "--email", "ada@example.com", "--role", "viewer"}, &out, func(int) {}); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Fatalf("duplicate user: want ECONFLICT, got %v", err)
	}

	out.Reset()
	if err := run(ctx, []string{"--database-url", db, "user", "token", "--email", "op@example.com", "--name", "ci"}, &out, func(int) {}); err != nil {
		t.Fatal(err)
	}
	token := regexp.MustCompile(`rcp_\S+`).FindString(out.String())

	sdb, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	st := sqlite.NewStore(sdb, nil)
	ada, err := st.UserByEmail(ctx, "ada@example.com")
	if err != nil || ada.Role != recoup.RoleAdmin || !dashboard.CheckPassword(ada.PasswordHash, generated) {
		t.Fatalf("ada: %+v, %v; the generated password must match", ada, err)
	}
	op, _ := st.UserByEmail(ctx, "op@example.com")
	if !dashboard.CheckPassword(op.PasswordHash, "a long enough password") {
		t.Fatal("the stdin password does not match")
	}
	tok, err := st.APITokenByHash(ctx, dashboard.HashSecret(token))
	if err != nil || tok.UserID != op.ID || tok.Name != "ci" {
		t.Fatalf("token: %+v, %v", tok, err)
	}

	out.Reset()
	if err := run(ctx, []string{"--database-url", db, "user", "disable", "--email", "op@example.com"}, &out, func(int) {}); err != nil {
		t.Fatal(err)
	}
	if op, _ := st.UserByEmail(ctx, "op@example.com"); !op.Disabled {
		t.Fatal("user disable left the user enabled")
	}
	out.Reset()
	if err := run(ctx, []string{"--database-url", db, "user", "list"}, &out, func(int) {}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "ada@example.com admin\nop@example.com operator disabled\n"; got != want {
		t.Fatalf("user list:\n%s\nwant:\n%s", got, want)
	}
	if err := run(ctx, []string{"--database-url", db, "user", "disable", "--email", "op@example.com", "--enable"}, &out, func(int) {}); err != nil {
		t.Fatal(err)
	}
	if op, _ := st.UserByEmail(ctx, "op@example.com"); op.Disabled {
		t.Fatal("user disable --enable left the user disabled")
	}
}

func TestLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.5:443": false, "recoup.example.com:443": false,
	} {
		if got := loopback(listen); got != want {
			t.Errorf("loopback(%q) = %v, want %v", listen, got, want)
		}
	}
}
