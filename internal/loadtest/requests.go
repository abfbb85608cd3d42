package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// RequestOptions drive Requests: one client against a running service.
type RequestOptions struct {
	BaseURL    string
	Tokens     map[string]string // caller name → bearer token
	Iterations int               // requests per operation and caller
	Status     string            // the list filter (a status that holds at least 5 % of the scope)
	Search     string            // the q of the search
	Client     *http.Client
}

// RequestResult is one operation's latency for one caller.
type RequestResult struct {
	Caller, Operation string
	Count, Errors     int
	P50, P95, P99     time.Duration
	FirstError        string
}

// operation is one request of the measured set; ids are leads the caller
// may see.
type operation struct {
	name   string
	req    func(rng *rand.Rand, ids []string, i int) (method, path string, body any, want int)
	header map[string]string // sent with each request
}

// operations are the requests of the scale issue's targets.
func operations(o RequestOptions) []operation {
	return []operation{
		{"create", func(_ *rand.Rand, _ []string, i int) (string, string, any, int) {
			n := fmt.Sprintf("%d-%d", time.Now().UnixNano(), i)
			return "POST", "/api/leads", map[string]any{"companyName": "Messegast " + n, "city": "Messestadt " + n,
				"email": "info@bench-" + n + ".example", "countryCode": "DE"}, http.StatusCreated
		}, nil},
		{"get", func(rng *rand.Rand, ids []string, _ int) (string, string, any, int) {
			return "GET", "/api/leads/" + ids[rng.IntN(len(ids))], nil, http.StatusOK
		}, nil},
		{"list", func(_ *rand.Rand, _ []string, i int) (string, string, any, int) {
			sort := []string{"createdAt,desc", "companyName,asc", "lastActivityAt,desc"}[i%3]
			return "GET", "/api/leads?" + url.Values{"status": {o.Status}, "sort": {sort}, "size": {"20"}}.Encode(), nil, http.StatusOK
		}, nil},
		{"search", func(_ *rand.Rand, _ []string, _ int) (string, string, any, int) {
			return "GET", "/api/leads?" + url.Values{"q": {o.Search}, "size": {"20"}}.Encode(), nil, http.StatusOK
		}, nil},
		{"duplicates", func(_ *rand.Rand, _ []string, i int) (string, string, any, int) {
			name := []string{"Hotel Adler", "Gasthaus zur Post", "Café Central", "Restaurant Sonne"}[i%4]
			return "GET", "/api/leads/duplicates?" + url.Values{"companyName": {name}, "city": {"Berlin"}}.Encode(), nil, http.StatusOK
		}, nil},
		{"activities", func(rng *rand.Rand, ids []string, _ int) (string, string, any, int) {
			return "GET", "/api/leads/" + ids[rng.IntN(len(ids))] + "/activities?size=20", nil, http.StatusOK
		}, nil},
		// The caller's lead widget: from the cache after the first read, and
		// read afresh from the aggregates (Cache-Control: no-cache).
		{"widget", widget, nil},
		{"widget-fresh", widget, map[string]string{"Cache-Control": "no-cache"}},
	}
}

func widget(_ *rand.Rand, _ []string, _ int) (string, string, any, int) {
	return "GET", "/api/cockpit/lead-widget", nil, http.StatusOK
}

// Requests measures each operation's latency per caller, one request at a
// time (the targets are per-request costs, not throughput).
func Requests(ctx context.Context, o RequestOptions) ([]RequestResult, error) {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	var out []RequestResult
	for caller, token := range o.Tokens {
		ids, err := visibleIDs(ctx, o, token)
		if err != nil {
			return nil, fmt.Errorf("loadtest: %s: %w", caller, err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for _, op := range operations(o) {
			out = append(out, measure(ctx, o, caller, token, op, rng, ids))
		}
	}
	return out, nil
}

func measure(ctx context.Context, o RequestOptions, caller, token string, op operation, rng *rand.Rand, ids []string) RequestResult {
	h := hdrhistogram.New(1, 60_000_000, 3)
	res := RequestResult{Caller: caller, Operation: op.name}
	for i := range o.Iterations + o.Iterations/10 { // the first tenth warms up
		method, path, body, want := op.req(rng, ids, i)
		start := time.Now()
		status, err := call(ctx, o.Client, o.BaseURL, token, method, path, body, nil, op.header)
		elapsed := time.Since(start)
		if err == nil && status != want {
			err = fmt.Errorf("%s %s: status %d, want %d", method, path, status, want)
		}
		if err != nil {
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
			continue
		}
		if i >= o.Iterations/10 {
			_ = h.RecordValue(elapsed.Microseconds())
			res.Count++
		}
	}
	us := func(q float64) time.Duration { return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond }
	res.P50, res.P95, res.P99 = us(50), us(95), us(99)
	return res
}

// visibleIDs are up to 500 leads the caller may see, for get and activities.
func visibleIDs(ctx context.Context, o RequestOptions, token string) ([]string, error) {
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Next string `json:"next"`
	}
	var ids []string
	after := ""
	for len(ids) < 500 {
		q := url.Values{"size": {"100"}, "sort": {"companyName,asc"}}
		if after != "" {
			q.Set("after", after)
		}
		if _, err := call(ctx, o.Client, o.BaseURL, token, "GET", "/api/leads?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, d := range page.Data {
			ids = append(ids, d.ID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no lead visible")
	}
	return ids, nil
}

// call sends body as JSON to base+path with the bearer token and the
// headers, and decodes the answer into into when given.
func call(ctx context.Context, client *http.Client, base, token, method, path string, body, into any,
	header ...map[string]string) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for _, h := range header {
		for k, v := range h {
			req.Header.Set(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if into != nil {
		return res.StatusCode, json.NewDecoder(res.Body).Decode(into)
	}
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

// ReportRequests prints the results as a table and as JSON.
func ReportRequests(w io.Writer, results []RequestResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "caller\toperation\trequests\terrors\tp50 ms\tp95 ms\tp99 ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t\n", r.Caller, r.Operation, r.Count, r.Errors, msText(r.P50), msText(r.P95), msText(r.P99))
	}
	_ = tw.Flush()
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s %s: first error: %s\n", r.Caller, r.Operation, r.FirstError)
		}
	}
	_ = json.NewEncoder(w).Encode(results)
}
