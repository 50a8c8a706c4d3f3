package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
