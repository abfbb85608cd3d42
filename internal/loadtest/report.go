package loadtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Goals of the issue this harness answers, checked by Report.
const (
	GoalPerSecond    = 4000.0 // pipeline, as fast as possible
	StretchPerSecond = 5000.0
	GoalVersusNaive  = 2.5                   // pipeline ÷ naive, as fast as possible
	GoalP95          = 10 * time.Millisecond // pipeline end-to-end p95 …
	GoalP95Rate      = 1000                  // … at this rate
)

// Report prints results as a table, compares the designs run at the same
// rate (the median run of each, when runs were repeated), checks the
// issue's goals, breaks each run's writer time down by
// statement, and ends with the results as JSON.
func Report(w io.Writer, results ...Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "design\trate\twriters\tevents\tseconds\tevents/s\tcommits/s\tp50\tp95\tp99\tmax\tcommit p50\tcommit p95\tdelivery p50\tdelivery p95\tlost\terrors\trt/event\tclient cpu\tserver cpu\tmachine cpu\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%s\t%s\t\n",
			r.Design, rateName(r.TargetRate), r.Writers, r.Events, r.Seconds, r.PerSecond, r.CommitPerSecond,
			msText(r.P50), msText(r.P95), msText(r.P99), msText(r.Max), msText(r.CommitP50), msText(r.CommitP95),
			msText(r.DeliveryP50), msText(r.DeliveryP95), r.Lost, r.Errors, r.RoundTrips, cores(r.ClientCPU), cores(r.ServerCPU), cores(r.MachineCPU))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "(latencies in ms: end-to-end = writer begins the transaction → consumer handled the event; commit = begin → commit")
	fmt.Fprintln(w, " returned; delivery = commit returned → handled; rt/event = round trips of the writers' pool per event; cpu in cores")
	if len(results) > 0 && results[0].Cores > 0 {
		fmt.Fprintf(w, " of %d; machine cpu includes everything else running on this host)\n", results[0].Cores)
	} else {
		fmt.Fprintln(w, ")")
	}

	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s %s: first error: %s\n", r.Design, rateName(r.TargetRate), r.FirstError)
		}
	}

	pipe, naive := byRate(results, "pipeline"), byRate(results, "naive")
	for _, rate := range rates(results) {
		n, ok := naive[rate]
		if !ok || n.PerSecond <= 0 {
			continue
		}
		for _, d := range designs(results) {
			if r, ok := byRate(results, d)[rate]; ok && d != "naive" {
				fmt.Fprintf(w, "%s: %s %.0f events/s vs naive %.0f events/s = %.2f×; p95 %s vs %s ms\n",
					rateName(rate), d, r.PerSecond, n.PerSecond, r.PerSecond/n.PerSecond, msText(r.P95), msText(n.P95))
			}
		}
	}

	fmt.Fprintln(w, "goals:")
	if p, ok := pipe[0]; ok {
		fmt.Fprintf(w, "  pipeline ≥ %.0f events/s at max rate (stretch %.0f): %.0f — %s\n",
			GoalPerSecond, StretchPerSecond, p.PerSecond, verdict(p.PerSecond >= GoalPerSecond, p.PerSecond >= StretchPerSecond))
		if n, ok := naive[0]; ok && n.PerSecond > 0 {
			x := p.PerSecond / n.PerSecond
			fmt.Fprintf(w, "  pipeline ≥ %.1f× naive at max rate: %.2f× — %s\n", GoalVersusNaive, x, verdict(x >= GoalVersusNaive, false))
		}
	}
	if p, ok := pipe[GoalP95Rate]; ok {
		fmt.Fprintf(w, "  pipeline end-to-end p95 ≤ %s ms at %d/s: %s ms (achieved %.0f/s) — %s\n", msText(GoalP95), GoalP95Rate,
			msText(p.P95), p.PerSecond, verdict(p.P95 <= GoalP95 && p.PerSecond >= 0.95*GoalP95Rate, false))
	}

	for _, r := range results {
		if len(r.Statements) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s %s — writers' pool, per committed event: %.2f round trips\n", r.Design, rateName(r.TargetRate), r.RoundTrips)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  per event\tmean ms\tstatement")
		for _, s := range r.Statements {
			if s.PerEvent < 0.01 {
				continue // connection set-up and gauges; in the JSON
			}
			fmt.Fprintf(tw, "  %.2f\t%.3f\t%s\n", s.PerEvent, s.MeanMs, s.SQL)
		}
		_ = tw.Flush()
	}

	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		fmt.Fprintf(w, "json: %v\n", err)
		return
	}
	fmt.Fprintf(w, "%s\n", b)
}

func verdict(met, stretch bool) string {
	switch {
	case stretch:
		return "met, stretch met"
	case met:
		return "met"
	}
	return "NOT met"
}

func rateName(rate int) string {
	if rate == 0 {
		return "max"
	}
	return fmt.Sprintf("%d/s", rate)
}

func msText(d time.Duration) string { return fmt.Sprintf("%.2f", ms(d)) }

func cores(c float64) string {
	if c < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", c)
}

// byRate picks, for each rate, the run of design with the median
// throughput (the lower one of an even count), so that repeated runs on a
// noisy machine are compared by their middle, not their best.
func byRate(results []Result, design string) map[int]Result {
	groups := map[int][]Result{}
	for _, r := range results {
		if r.Design == design {
			groups[r.TargetRate] = append(groups[r.TargetRate], r)
		}
	}
	out := map[int]Result{}
	for rate, g := range groups {
		slices.SortFunc(g, func(a, b Result) int { return cmp.Compare(a.PerSecond, b.PerSecond) })
		out[rate] = g[(len(g)-1)/2]
	}
	return out
}

func designs(results []Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range results {
		if !seen[r.Design] {
			seen[r.Design] = true
			out = append(out, r.Design)
		}
	}
	return out
}

func rates(results []Result) []int {
	var out []int
	seen := map[int]bool{}
	for _, r := range results {
		if !seen[r.TargetRate] {
			seen[r.TargetRate] = true
			out = append(out, r.TargetRate)
		}
	}
	return out
}
