package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/freshplan/leads/internal/auth"
	"github.com/freshplan/leads/internal/config"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, strings.Split(s, ",")...); return nil }

// token prints a development JWT signed with FRESHPLAN_DEV_JWT_SECRET.
func token(cfg config.Config, args []string, out io.Writer) error {
	fs := newFlagSet("token", "token --user U --role SALES|MANAGER|ADMIN --territory DE [--territory CH] [--ttl 8h]\n\n"+
		"Prints an HS256 development token, accepted by serve --dev-auth (or --demo).")
	user := fs.String("user", "", "user id (sub)")
	name := fs.String("name", "", "display name")
	email := fs.String("email", "", "e-mail address")
	ttl := fs.Duration("ttl", 8*time.Hour, "lifetime")
	var roles, territories listFlag
	fs.Var(&roles, "role", "role: SALES, MANAGER or ADMIN (repeatable)")
	fs.Var(&territories, "territory", "territory code, e.g. DE (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" || len(roles) == 0 {
		return fmt.Errorf("token: --user and --role are required")
	}
	if len(auth.NormalizeRoles(roles)) == 0 {
		return fmt.Errorf("token: --role must be SALES, MANAGER or ADMIN")
	}
	if *name == "" {
		*name = *user
	}
	issuer := auth.DevIssuer{Secret: []byte(cfg.DevJWTSecret), Now: time.Now}
	t, err := issuer.Issue(*user, roles, territories, *name, *email, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(out, t)
	return err
}
