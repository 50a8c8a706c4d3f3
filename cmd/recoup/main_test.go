package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLI(t *testing.T) {
	ctx := context.Background()
	t.Run("help lists every setting", func(t *testing.T) {
		for _, args := range [][]string{{"--help"}, {"serve", "--help"}} {
			var out bytes.Buffer
			exited := -1
			func() {
				defer func() { recover() }()
				_ = run(ctx, args, &out, func(code int) { exited = code; panic("exit") })
			}()
			for _, want := range []string{"STRIPE_SECRET_KEY", "DATABASE_URL", "RECOUP_LISTEN", "RECOUP_POLICY", "RECOUP_ADMIN_TOKEN", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"} {
				if args[0] == "--help" && want != "DATABASE_URL" {
					continue // the top-level help lists global settings and commands
				}
				if exited != 0 || !strings.Contains(out.String(), want) {
					t.Fatalf("%v: exit %d, %s missing:\n%s", args, exited, want, out.String())
				}
			}
		}
	})
	t.Run("policy check", func(t *testing.T) {
		dir := t.TempDir()
		good := filepath.Join(dir, "good.yaml")
		bad := filepath.Join(dir, "bad.yaml")
		os.WriteFile(good, []byte("final_action: mark_uncollectible\n"), 0o600)
		os.WriteFile(bad, []byte("retry:\n  hour: 31\n"), 0o600)
		if err := run(ctx, []string{"policy", "check", good}, &bytes.Buffer{}, func(int) {}); err != nil {
			t.Fatal(err)
		}
		if err := run(ctx, []string{"policy", "check", bad}, &bytes.Buffer{}, func(int) {}); err == nil || !strings.Contains(err.Error(), "1 problem") {
			t.Fatalf("bad policy: %v", err)
		}
	})
	t.Run("migrate", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "m.db")
		var out bytes.Buffer
		if err := run(ctx, []string{"--database-url", db, "migrate"}, &out, func(int) {}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "migrations applied") {
			t.Fatalf("output %q", out.String())
		}
	})
	t.Run("serve refuses bad configuration with the setting's name", func(t *testing.T) {
		t.Setenv("STRIPE_SECRET_KEY", "")
		err := run(ctx, []string{"serve"}, &bytes.Buffer{}, func(int) {})
		if err == nil || !strings.Contains(err.Error(), "STRIPE_SECRET_KEY") {
			t.Fatalf("err %v", err)
		}
	})
}
