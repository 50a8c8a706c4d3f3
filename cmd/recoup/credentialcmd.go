package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
)

// The credential lifecycle commands (issue 19): change a password, sign a user out everywhere,
// list and revoke API tokens.

// UserPasswdCmd sets a user's password; their sessions end.
type UserPasswdCmd struct {
	Email         string `name:"email" required:"" help:"The user's email."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the new password from the first line of standard input; otherwise one is generated and printed once."`

	stdin io.Reader // os.Stdin unless a test sets it
}

// Run sets the password and signs the user out everywhere: whoever knew the old password
// holds no session made with it.
func (c *UserPasswdCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	password, generated, err := readOrGeneratePassword(c.PasswordStdin, c.stdin)
	if err != nil {
		return err
	}
	hash, err := dashboard.HashPassword(password)
	if err != nil {
		return err
	}
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		u, err := as.UserByEmail(ctx, recoup.NormalizeEmail(c.Email))
		if err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		u.PasswordHash = hash
		if err := as.UpdateUser(ctx, &u); err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		n, err := as.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("user %s: the password is changed, but signing out failed: %w", c.Email, err)
		}
		fmt.Fprintf(out, "password of %s changed; %d session(s) signed out\n", u.Email, n)
		if generated {
			fmt.Fprintf(out, "password (shown once): %s\n", password)
		}
		return nil
	})
}

// UserSignoutCmd ends every session of a user.
type UserSignoutCmd struct {
	Email string `name:"email" required:"" help:"The user's email."`
}

// Run signs the user out of every browser.
func (c *UserSignoutCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		u, err := as.UserByEmail(ctx, recoup.NormalizeEmail(c.Email))
		if err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		n, err := as.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		fmt.Fprintf(out, "%s signed out everywhere (%d session(s))\n", u.Email, n)
		return nil
	})
}

// UserTokensCmd lists a user's API tokens.
type UserTokensCmd struct {
	Email string `name:"email" required:"" help:"The user's email."`
}

// Run prints one line per token: its number (for revoke-token), name, creation and expiry.
func (c *UserTokensCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		u, err := as.UserByEmail(ctx, recoup.NormalizeEmail(c.Email))
		if err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		ts, err := as.APITokens(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			fmt.Fprintf(out, "%s has no API tokens\n", u.Email)
		}
		now := time.Now()
		for _, t := range ts {
			exp := "never expires"
			switch {
			case !t.Valid(now):
				exp = "expired " + t.ExpiresAt.Format(time.DateOnly)
			case !t.ExpiresAt.IsZero():
				exp = "expires " + t.ExpiresAt.Format(time.DateOnly)
			}
			fmt.Fprintf(out, "%d %q created %s, %s\n", t.ID, t.Name, t.CreatedAt.Format(time.DateOnly), exp)
		}
		return nil
	})
}

// UserRevokeTokenCmd revokes an API token.
type UserRevokeTokenCmd struct {
	ID int64 `arg:"" help:"The token's number, as recoup user tokens lists it."`
}

// Run deletes the token: it stops opening the API at once.
func (c *UserRevokeTokenCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		if err := as.DeleteAPIToken(ctx, c.ID); err != nil {
			return fmt.Errorf("revoke token %d: %w", c.ID, err)
		}
		fmt.Fprintf(out, "API token %d revoked\n", c.ID)
		return nil
	})
}

// readOrGeneratePassword reads a password from the first line of in (os.Stdin when nil), or
// generates one when fromStdin is false.
func readOrGeneratePassword(fromStdin bool, in io.Reader) (password string, generated bool, err error) {
	if !fromStdin {
		password, err = dashboard.NewSecret(18)
		return password, true, err
	}
	if in == nil {
		in = os.Stdin
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}
