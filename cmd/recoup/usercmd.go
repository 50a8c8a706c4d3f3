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

// UserCmd manages the dashboard's and the API's users.
type UserCmd struct {
	Add     UserAddCmd     `cmd:"" help:"Create a user of the dashboard (admin, operator or viewer)."`
	List    UserListCmd    `cmd:"" help:"List the users, their roles and whether they are disabled."`
	Disable UserDisableCmd `cmd:"" help:"Disable a user (or enable again with --enable): a disabled user's sessions and tokens stop working at once."`
	Token   UserTokenCmd   `cmd:"" help:"Create an API token for a user; it is printed once."`
	Passwd  UserPasswdCmd  `cmd:"" help:"Set a user's password (generated, or from standard input); their sessions end."`
	Signout UserSignoutCmd `cmd:"" help:"Sign a user out of every browser."`
	Tokens  UserTokensCmd  `cmd:"" help:"List a user's API tokens (never the tokens themselves)."`

	RevokeToken UserRevokeTokenCmd `cmd:"" name:"revoke-token" help:"Revoke an API token by the number recoup user tokens shows."`
}

// UserListCmd lists the users.
type UserListCmd struct{}

// Run prints one line per user: email, role, and "disabled" if so.
func (c *UserListCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		users, err := as.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			state := ""
			if u.Disabled {
				state = " disabled"
			}
			fmt.Fprintf(out, "%s %s%s\n", u.Email, u.Role, state)
		}
		return nil
	})
}

// UserDisableCmd disables or re-enables a user.
type UserDisableCmd struct {
	Email  string `name:"email" required:"" help:"The user's email."`
	Enable bool   `name:"enable" help:"Enable the user again instead."`
}

// Run sets the user's disabled flag.
func (c *UserDisableCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		u, err := as.UserByEmail(ctx, c.Email)
		if err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		u.Disabled = !c.Enable
		if err := as.UpdateUser(ctx, &u); err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		what := "disabled"
		if c.Enable {
			what = "enabled"
		}
		fmt.Fprintf(out, "user %s %s\n", u.Email, what)
		return nil
	})
}

// UserAddCmd creates a user.
type UserAddCmd struct {
	Email         string `name:"email" required:"" help:"The user's email, which is their login."`
	Role          string `name:"role" required:"" enum:"admin,operator,viewer" help:"admin (everything), operator (act on cases) or viewer (read only)."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the password from the first line of standard input; otherwise one is generated and printed once."`

	stdin io.Reader // os.Stdin unless a test sets it
}

// Run creates the user and prints the generated password, if any, once.
func (c *UserAddCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	password, generated := "", false
	if c.PasswordStdin {
		in := c.stdin
		if in == nil {
			in = os.Stdin
		}
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		var err error
		if password, err = dashboard.NewSecret(18); err != nil {
			return err
		}
		generated = true
	}
	hash, err := dashboard.HashPassword(password)
	if err != nil {
		return err
	}
	// Adding a user may be the first thing done with a database: it is created and migrated.
	return accessOf(ctx, g, withStore, func(as recoup.AccessStore) error {
		u := recoup.User{Email: recoup.NormalizeEmail(c.Email), Role: recoup.Role(c.Role), PasswordHash: hash, CreatedAt: time.Now()}
		if err := as.CreateUser(ctx, &u); err != nil {
			return fmt.Errorf("add user: %w", err)
		}
		fmt.Fprintf(out, "user %s added with role %s\n", u.Email, u.Role)
		if generated {
			fmt.Fprintf(out, "password (shown once): %s\n", password)
		}
		return nil
	})
}

// UserTokenCmd creates an API token.
type UserTokenCmd struct {
	Email string `name:"email" required:"" help:"The user the token acts as."`
	Name  string `name:"name" default:"api" help:"A name to tell the user's tokens apart."`
	// Expires is how long the token works; 0: until revoked.
	Expires time.Duration `name:"expires" default:"2160h" help:"How long the token works (default 90 days, 2160h); 0: until revoked."`

	now func() time.Time // time.Now unless a test sets it
}

// Run creates the token and prints it once; only its hash is stored.
func (c *UserTokenCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withAccess(ctx, g, func(as recoup.AccessStore) error {
		u, err := as.UserByEmail(ctx, c.Email)
		if err != nil {
			return fmt.Errorf("user %s: %w", c.Email, err)
		}
		secret, err := dashboard.NewSecret(32)
		if err != nil {
			return err
		}
		token := "rcp_" + secret
		now := time.Now()
		if c.now != nil {
			now = c.now()
		}
		t := recoup.APIToken{UserID: u.ID, Name: c.Name, Hash: dashboard.HashSecret(token), CreatedAt: now}
		if c.Expires < 0 {
			return fmt.Errorf("--expires must be 0 (until revoked) or a duration, got %s", c.Expires)
		}
		if c.Expires > 0 {
			t.ExpiresAt = now.Add(c.Expires)
		}
		if err := as.CreateAPIToken(ctx, &t); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		fmt.Fprintf(out, "API token %q for %s (shown once; send it as Authorization: Bearer <token>):\n%s\n", c.Name, u.Email, token)
		return nil
	})
}

// withAccess runs fn on the access store of the existing, migrated database (openExisting):
// listing, disabling and giving tokens to users needs the users there are.
func withAccess(ctx context.Context, g *Globals, fn func(recoup.AccessStore) error) error {
	return accessOf(ctx, g, withExisting, fn)
}

// accessOf runs fn on the access store of the database that with opens.
func accessOf(ctx context.Context, g *Globals, with func(context.Context, *Globals, func(*backend) error) error, fn func(recoup.AccessStore) error) error {
	return with(ctx, g, func(b *backend) error {
		as, ok := b.store.(recoup.AccessStore)
		if !ok {
			return fmt.Errorf("the %s store keeps no users", b.kind)
		}
		return fn(as)
	})
}
