package main

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// Secrets are never flags: a command line is visible to every local user (ps, /proc), the
// environment and a file are not. A secret field is tagged `kong:"-" secret:"NAME"`: it is
// read from the environment variable NAME, or from the file that NAME_FILE names (for Docker
// and systemd credentials). The flag it replaced stays, hidden and tagged `removed:"NAME"`,
// only to refuse it with a message saying what to do instead.

// loadSecrets fills every secret field of v (a pointer to the CLI), reading the environment
// with getenv, and refuses the removed secret flags.
func loadSecrets(v any, getenv func(string) string) error {
	return walkSecrets(reflect.ValueOf(v).Elem(), getenv)
}

func walkSecrets(v reflect.Value, getenv func(string) string) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue // an embedded unexported struct (caseFlags) promotes exported fields
		}
		if name, ok := f.Tag.Lookup("removed"); ok && fv.String() != "" {
			return fmt.Errorf("the flag --%s is no longer accepted: a command line is visible to other users of this machine; set %s (or %s_FILE, the path of a file holding it) in the environment instead",
				f.Tag.Get("name"), name, name)
		}
		if name, ok := f.Tag.Lookup("secret"); ok {
			s, err := readSecret(name, getenv)
			if err != nil {
				return err
			}
			if s != "" {
				fv.SetString(s)
			}
			continue
		}
		if fv.Kind() == reflect.Struct {
			if err := walkSecrets(fv, getenv); err != nil {
				return err
			}
		}
	}
	return nil
}

// readSecret returns the secret NAME from the environment or from the file NAME_FILE names.
// Trailing line breaks and spaces of a file are dropped (editors add a final newline).
func readSecret(name string, getenv func(string) string) (string, error) {
	val, file := getenv(name), getenv(name+"_FILE")
	switch {
	case val != "" && file != "":
		return "", fmt.Errorf("both %s and %s_FILE are set: set only one", name, name)
	case file == "":
		return val, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		// The error names the path, never the content.
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	s := strings.TrimRight(string(b), "\r\n\t ")
	if s == "" {
		return "", fmt.Errorf("%s_FILE: the file %s is empty", name, file)
	}
	return s, nil
}

// loadDatabaseURL reads DATABASE_URL_FILE into g.DatabaseURL, and refuses a PostgreSQL URL
// with a password given as --database-url: a SQLite path on the command line is harmless, a
// password is not (ps shows it to every local user). args are the command line's arguments.
func loadDatabaseURL(g *Globals, args []string, getenv func(string) string) error {
	flag, given := databaseURLFlag(args)
	if given && urlHasPassword(flag) {
		return fmt.Errorf("a password in --database-url is visible to other users of this machine: set DATABASE_URL (or DATABASE_URL_FILE, the path of a file holding it) in the environment instead")
	}
	if getenv("DATABASE_URL_FILE") == "" {
		return nil
	}
	if given {
		return fmt.Errorf("both --database-url and DATABASE_URL_FILE are set: set only one")
	}
	s, err := readSecret("DATABASE_URL", getenv)
	if err != nil {
		return err
	}
	g.DatabaseURL = s
	return nil
}

// databaseURLFlag returns the value of --database-url on the command line, and whether it is
// there. Arguments after "--" are not flags.
func databaseURLFlag(args []string) (string, bool) {
	for i, a := range args {
		switch {
		case a == "--":
			return "", false
		case a == "--database-url" && i+1 < len(args):
			return args[i+1], true
		case strings.HasPrefix(a, "--database-url="):
			return strings.TrimPrefix(a, "--database-url="), true
		}
	}
	return "", false
}

// urlHasPassword reports whether s is a URL whose user information holds a password, or a
// key=value connection string with one.
func urlHasPassword(s string) bool {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	if u, err := url.Parse(s); err == nil && u.Query().Has("password") {
		return true
	}
	return strings.Contains(s, "password=")
}

// secretsHelp lists the secrets a command reads, for its --help.
func secretsHelp(names ...string) string {
	var b strings.Builder
	b.WriteString("Secrets are read only from the environment, never from flags: set NAME, or NAME_FILE to the path of a file holding it.\n")
	for _, n := range names {
		b.WriteString("\n  " + n + " (or " + n + "_FILE)")
	}
	return b.String()
}

// Help lists serve's secrets (kong.HelpProvider).
func (c *ServeCmd) Help() string {
	return secretsHelp("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "RECOUP_ADMIN_TOKEN", "RECOUP_METRICS_TOKEN",
		"RECOUP_SMTP_URL", "RECOUP_LINK_SECRET", "RECOUP_OUTGOING_WEBHOOK_SECRET")
}

// Help lists backfill's secret (kong.HelpProvider).
func (c *BackfillCmd) Help() string { return secretsHelp("STRIPE_SECRET_KEY") }

// keyedSecret is one of several secrets of a setting that can be rolled.
type keyedSecret struct {
	id     int
	secret string
}

var keyedEntry = regexp.MustCompile(`^([0-9]{1,2}):(.+)$`)

// keyedSecrets reads a rollable secret: "ID:SECRET,ID:SECRET,..." (the first signs, all are
// accepted), or one plain secret, which is key 0. A value is a list only if every
// comma-separated entry has the ID: prefix, so a plain secret holding a comma stays whole.
func keyedSecrets(s string) []keyedSecret {
	if s == "" {
		return nil
	}
	var out []keyedSecret
	for _, e := range strings.Split(s, ",") {
		m := keyedEntry.FindStringSubmatch(strings.TrimSpace(e))
		if m == nil {
			return []keyedSecret{{0, s}}
		}
		id, _ := strconv.Atoi(m[1])
		out = append(out, keyedSecret{id, m[2]})
	}
	return out
}
