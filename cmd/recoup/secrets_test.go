package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/updatelink"
)

// Issue 19 item 6: secrets come from the environment or a *_FILE, never from a flag, which
// other local users see in ps.
func TestSecretsOnlyFromEnvironment(t *testing.T) {
	t.Run("an old secret flag is refused, saying what to do", func(t *testing.T) {
		for _, flag := range []string{"--admin-token", "--stripe-secret-key", "--stripe-webhook-secret", "--link-secret", "--outgoing-webhook-secret", "--smtp-url"} {
			err := run(context.Background(), []string{"serve", flag, "a-value-of-some-length-0123456789"}, &bytes.Buffer{}, func(int) {})
			if err == nil || !strings.Contains(err.Error(), "is no longer accepted") || !strings.Contains(err.Error(), "_FILE") {
				t.Fatalf("%s: error %v, want a refusal naming the environment variable and its _FILE", flag, err)
			}
			if strings.Contains(err.Error(), "a-value-of-some-length") {
				t.Fatalf("%s: the error repeats the secret: %v", flag, err)
			}
		}
	})
	t.Run("from a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte("token-from-a-file-0123456789\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"RECOUP_ADMIN_TOKEN_FILE": path, "STRIPE_SECRET_KEY": "sk_test_env"}
		var cli CLI
		if err := loadSecrets(&cli, func(k string) string { return env[k] }); err != nil {
			t.Fatal(err)
		}
		if cli.Serve.AdminToken != "token-from-a-file-0123456789" || cli.Serve.SecretKey != "sk_test_env" || cli.Backfill.SecretKey != "sk_test_env" {
			t.Fatalf("admin token %q, serve key %q, backfill key %q", cli.Serve.AdminToken, cli.Serve.SecretKey, cli.Backfill.SecretKey)
		}
		env["RECOUP_ADMIN_TOKEN"] = "another"
		if err := loadSecrets(&CLI{}, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "set only one") {
			t.Fatalf("both set: %v", err)
		}
	})
	t.Run("help names the variables, not flags", func(t *testing.T) {
		var out bytes.Buffer
		func() {
			defer func() { recover() }()
			_ = run(context.Background(), []string{"serve", "--help"}, &out, func(int) { panic("exit") })
		}()
		if strings.Contains(out.String(), "--admin-token") || !strings.Contains(out.String(), "RECOUP_ADMIN_TOKEN_FILE") {
			t.Fatalf("serve --help:\n%s", out.String())
		}
	})
}

// Issue 19 item 5: RECOUP_LINK_SECRET and RECOUP_OUTGOING_WEBHOOK_SECRET take several keys
// while one is rolled; links sent under the old single secret keep working.
func TestRollableSecrets(t *testing.T) {
	for in, want := range map[string][]keyedSecret{
		"plain-secret":              {{0, "plain-secret"}},
		"with,a:comma":              {{0, "with,a:comma"}},
		"2:new-secret, 1:old:colon": {{2, "new-secret"}, {1, "old:colon"}},
	} {
		if got := keyedSecrets(in); !slices.Equal(got, want) {
			t.Errorf("keyedSecrets(%q) = %v, want %v", in, got, want)
		}
	}
	old := "the-old-link-secret-of-32-characters!"
	before, err := updatelink.NewSigner([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	sent, err := before.Issue(updatelink.Update, 5, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f := fullComms()
	f.LinkSecret = "1:the-new-link-secret-of-32-characters!,0:" + old
	cm, err := f.build(policy.Default(), nopPortal{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cm.links.Signer.Verify(sent, updatelink.Update, time.Now()); err != nil {
		t.Fatalf("a link sent under the old secret after the roll: %v", err)
	}
	f.LinkSecret = "1:short," + "0:" + old
	if err := f.validate(); err == nil || !strings.Contains(err.Error(), "key 1") || strings.Contains(err.Error(), "short") && strings.Contains(err.Error(), "1:short") {
		t.Fatalf("a short key: %v", err)
	}
}

// A PostgreSQL password never goes on the command line; DATABASE_URL_FILE holds one for
// Docker and systemd credentials.
func TestDatabaseURLKeepsPasswordsOffTheCommandLine(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{
		{"migrate", "--database-url", "postgres://app:s3cret-pw@db:5432/recoup"},
		{"migrate", "--database-url=postgres://app:s3cret-pw@db/recoup"},
		{"migrate", "--database-url", "host=db user=app password=s3cret-pw dbname=recoup"},
		{"migrate", "--database-url", "postgres://app@db/recoup?password=s3cret-pw"},
	} {
		err := loadDatabaseURL(&Globals{}, args, none)
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE") || strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("%q: error %v, want a refusal naming DATABASE_URL_FILE without the password", args, err)
		}
	}
	// Through the whole CLI too, before anything opens.
	if err := run(context.Background(), []string{"migrate", "--database-url", "postgres://app:s3cret-pw@127.0.0.1:1/x"}, &bytes.Buffer{}, func(int) {}); err == nil || !strings.Contains(err.Error(), "visible to other users") {
		t.Fatalf("run: %v", err)
	}
	for _, args := range [][]string{
		{"migrate", "--database-url", "/var/lib/recoup/recoup.db"},
		{"migrate", "--database-url", "postgres://app@db/recoup"},
		{"simulate", "--", "--database-url", "postgres://a:b@c/d"},
	} {
		if err := loadDatabaseURL(&Globals{DatabaseURL: "kept"}, args, none); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}

	path := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(path, []byte("postgres://app:s3cret-pw@db/recoup\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL_FILE": path}
	g := Globals{DatabaseURL: "recoup.db"}
	if err := loadDatabaseURL(&g, []string{"serve"}, func(k string) string { return env[k] }); err != nil || g.DatabaseURL != "postgres://app:s3cret-pw@db/recoup" {
		t.Fatalf("from the file: %q, %v", g.DatabaseURL, err)
	}
	if err := loadDatabaseURL(&Globals{}, []string{"serve", "--database-url", "x.db"}, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "set only one") {
		t.Fatalf("flag and file: %v", err)
	}
	env["DATABASE_URL"] = "postgres://app@db/recoup"
	if err := loadDatabaseURL(&Globals{}, []string{"serve"}, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "set only one") {
		t.Fatalf("variable and file: %v", err)
	}
}
