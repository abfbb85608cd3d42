package arch_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/freshplan/leads/"

// imports lists each package of the module with its direct imports
// (tests excluded: they may use whatever helps them).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").Output()
	require.NoError(t, err)
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkgs[strings.TrimPrefix(fields[0], module)] = fields[1:]
	}
	require.Contains(t, pkgs, "internal/event", "the package list was read")
	return pkgs
}

// deps lists every package pkg depends on, directly or not.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	require.NoError(t, err)
	return strings.Fields(string(out))
}

func TestEventPackageKnowsNoDomain(t *testing.T) {
	for _, pkg := range []string{"internal/event", "internal/event/pgnotify"} {
		require.NotContains(t, deps(t, pkg), module+"internal/lead", pkg)
	}
}

func TestForbiddenImports(t *testing.T) {
	rules := []struct {
		from, prefix, why string
	}{
		{"internal/lead", module + "internal/idempotency", "hooks are wired in main, not imported by the domain"},
		{"internal/httpapi", "github.com/jackc/pgx", "the HTTP edge sees services, never the pool"},
		{"internal/httpapi", module + "internal/postgres", "the HTTP edge sees services, never the pool"},
	}
	pkgs := imports(t)
	for _, r := range rules {
		for _, imp := range pkgs[r.from] {
			require.False(t, strings.HasPrefix(imp, r.prefix), "%s imports %s: %s", r.from, imp, r.why)
		}
	}
	// Tools and the dev-only cluster bootstrap are imported only by cmd.
	for pkg, list := range pkgs {
		if strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		for _, imp := range list {
			for _, tool := range []string{"internal/demo", "internal/loadtest", "internal/postgres/localpg"} {
				require.NotEqual(t, module+tool, imp, "%s imports the tool package %s", pkg, tool)
			}
		}
	}
}
