package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// ServiceReport is what freshplan bench measured against the service,
// and the side-by-side references of the same run.
type ServiceReport struct {
	Machine    string          `json:"machine"`
	Leads      int             `json:"leads"`
	Runs       []ServiceResult `json:"runs"`
	References *References     `json:"references,omitempty"`
}

// References are the designs measured side by side in the same run.
type References struct {
	Pgbench        PgbenchResult `json:"pgbench"`
	Naive          Result        `json:"naive"`       // pg_notify inside each transaction, full speed
	Pipeline       Result        `json:"pipeline"`    // the service's pipeline in process, full speed
	NaiveAtRate    Result        `json:"naiveAtRate"` // the same at a fixed rate
	PipelineAtRate Result        `json:"pipelineAtRate"`
}

// WriteTable prints the runs and references as a readable table.
func (rep ServiceReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "machine: %s; leads pre-seeded: %d\n", rep.Machine, rep.Leads)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tmix\trate/s\tachieved/s\tevents/s\tAPI p95 ms\tpub→notify p95\tnotify→proc p95\te2e p50\te2e p95\te2e p99\tcommitted\treceived\tlost\ttwice\tconsumed/expected\tRSS MB start→end\t")
	for _, r := range rep.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.0f/%.0f\t%s\t\n",
			r.Scenario, r.Mix, r.Rate, r.Achieved, r.EventsPerSecond, endpointsP95(r), msText(r.PublishNotify.P95),
			msText(r.NotifyProcess.P95), msText(r.EndToEnd.P50), msText(r.EndToEnd.P95), msText(r.EndToEnd.P99),
			r.Committed, r.Received, r.Lost, r.Duplicates, r.Consumed, r.ConsumedExpected, memory(r))
	}
	_ = tw.Flush()
	for _, r := range rep.Runs {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s at %d/s: %d failed, first: %s\n", r.Scenario, r.Rate, r.Failed, r.FirstError)
		}
		if r.Dropped > 0 || r.Reconnects > 0 {
			fmt.Fprintf(w, "%s at %d/s: %d iterations not started (the most in flight were running); the watcher's stream resumed %d times (%d events again)\n",
				r.Scenario, r.Rate, r.Dropped, r.Reconnects, r.Redelivered)
		}
	}
	if ref := rep.References; ref != nil {
		fmt.Fprintf(w, "side by side: pgbench (the service's status-change statements, %d clients) %.0f tps, latency avg %.2f ms; "+
			"naive design %.0f events/s; pipeline in process %.0f events/s (%.0f %% of pgbench)\n",
			ref.Pgbench.Clients, ref.Pgbench.TPS, ref.Pgbench.LatencyMs, ref.Naive.PerSecond, ref.Pipeline.PerSecond,
			100*ref.Pipeline.PerSecond/ref.Pgbench.TPS)
		fmt.Fprintf(w, "at %d events/s: end-to-end p95 naive %s ms, pipeline %s ms\n",
			ref.NaiveAtRate.TargetRate, msText(ref.NaiveAtRate.P95), msText(ref.PipelineAtRate.P95))
		for _, r := range rep.Runs {
			if r.Mix == "status" {
				fmt.Fprintf(w, "%s at %d/s: %.0f status changes/s through HTTP = %.0f %% of pgbench\n",
					r.Scenario, r.Rate, r.Achieved, 100*r.Achieved/ref.Pgbench.TPS)
			}
		}
	}
}

// WriteMarkdown prints the summary as a Markdown table for
// docs/PERFORMANCE.md.
func (rep ServiceReport) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "Machine: %s; %d leads pre-seeded.\n\n", rep.Machine, rep.Leads)
	fmt.Fprintln(w, "| scenario | mix | rate/s | achieved/s | API p95 (ms) | publish→notify p95 | notify→processed p95 | end-to-end p50 / p95 / p99 (ms) | lost | twice | consumed = expected | RSS start → end |")
	fmt.Fprintln(w, "|---|---|---:|---:|---|---:|---:|---|---:|---:|---|---|")
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %s | %s / %s / %s | %d | %d | %v | %s |\n",
			r.Scenario, r.Mix, r.Rate, r.Achieved, endpointsP95(r), msText(r.PublishNotify.P95), msText(r.NotifyProcess.P95),
			msText(r.EndToEnd.P50), msText(r.EndToEnd.P95), msText(r.EndToEnd.P99), r.Lost, r.Duplicates,
			r.Consumed == r.ConsumedExpected, memory(r))
	}
	if ref := rep.References; ref != nil {
		fmt.Fprintf(w, "\nSide by side in the same run: pgbench running the service's status-change statements %.0f tps (%d clients); "+
			"the naive design (pg_notify in each transaction) %.0f events/s; the pipeline in process %.0f events/s (%.0f %% of pgbench). "+
			"At %d events/s, end-to-end p95: naive %s ms, pipeline %s ms.\n",
			ref.Pgbench.TPS, ref.Pgbench.Clients, ref.Naive.PerSecond, ref.Pipeline.PerSecond, 100*ref.Pipeline.PerSecond/ref.Pgbench.TPS,
			ref.NaiveAtRate.TargetRate, msText(ref.NaiveAtRate.P95), msText(ref.PipelineAtRate.P95))
	}
}

// WriteJSON writes the whole report.
func (rep ServiceReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// endpointsP95 lists each endpoint's p95 in ms, by name.
func endpointsP95(r ServiceResult) string {
	names := make([]string, 0, len(r.Endpoints))
	for n := range r.Endpoints {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + msText(r.Endpoints[n].P95)
	}
	return strings.Join(parts, ", ")
}

func memory(r ServiceResult) string {
	if len(r.Samples) == 0 {
		return "-"
	}
	first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
	return fmt.Sprintf("%.0f → %.0f", first.RSSBytes/1e6, last.RSSBytes/1e6)
}
