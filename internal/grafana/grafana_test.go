package grafana_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/freshplan/leads/internal/grafana"
)

const committed = "../../deploy/grafana/freshplan-leads.json"

// TestTheCommittedDashboardIsTheGeneratorsOutput: the JSON operators
// import is what the builders make, byte for byte; a hand edit or a
// forgotten go generate fails here.
func TestTheCommittedDashboardIsTheGeneratorsOutput(t *testing.T) {
	want, err := grafana.JSON()
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.FromSlash(committed))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "deploy/grafana/freshplan-leads.json is stale: run go generate ./internal/grafana")
}

// TestTheGeneratorWritesTheDashboard runs what go generate runs, the
// generator command, into a file of the test's own: it writes the
// committed JSON.
func TestTheGeneratorWritesTheDashboard(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dashboard.json")
	b, err := exec.Command("go", "run", "./gen", out).CombinedOutput()
	require.NoError(t, err, string(b))
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.FromSlash(committed))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// TestTheDashboardImportsAsOneGrafanaCanTellApart: panels with distinct
// ids and query letters, each explained and reading the chosen Prometheus,
// and the variables the panels filter by.
func TestTheDashboardImportsAsOneGrafanaCanTellApart(t *testing.T) {
	b, err := grafana.JSON()
	require.NoError(t, err)
	var d struct {
		UID    string
		Panels []struct {
			ID          int
			Type        string
			Title       string
			Description string
			Targets     []struct {
				RefID      string
				Expr       string
				Datasource struct{ UID string }
			}
		}
		Templating struct {
			List []struct{ Name, Query string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &d))
	require.Equal(t, grafana.UID, d.UID)
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	require.Equal(t, []string{"datasource", "instance", "territory"}, vars)

	ids, titles, queries := map[int]bool{}, map[string]bool{}, 0
	for _, p := range d.Panels {
		require.False(t, ids[p.ID], "panel id %d twice", p.ID)
		require.False(t, titles[p.Title], "panel %q twice", p.Title)
		ids[p.ID], titles[p.Title] = true, true
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Description, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		refs := map[string]bool{}
		for _, q := range p.Targets {
			require.False(t, refs[q.RefID], "%s: query %s twice", p.Title, q.RefID)
			refs[q.RefID] = true
			require.Equal(t, "${datasource}", q.Datasource.UID, p.Title)
			require.NotEmpty(t, q.Expr, p.Title)
			queries++
		}
	}
	for _, want := range []string{"Event latency publish_notify", "Event latency notify_process", "Event latency end_to_end",
		"Events published and consumed", "Outbox lag", "Follow-up success rate", "Follow-up queue", "Mail outbox",
		"Widget cache invalidations", "Active cockpit streams", "HTTP p95 per route"} {
		require.True(t, titles[want], "no panel %q", want)
	}
	t.Logf("%d panels, %d queries", len(ids), queries)
}
