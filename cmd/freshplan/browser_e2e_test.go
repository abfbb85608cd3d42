//go:build e2e

package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// artifacts is where the browser test saves its screenshots (git-ignored).
var artifacts = filepath.Join("..", "..", "artifacts")

// browser starts Debian's Chromium headless, as root without the sandbox,
// kept off the network but for the service under test, and returns a tab
// and what closes the browser.
func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "the browser test needs Debian's chromium (installed by .ci/run)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("no-pings", true), chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("disable-features", "OptimizationHints,MediaRouter,Translate,AutofillServerCommunication"),
		chromedp.Flag("lang", "de-DE"), chromedp.Flag("accept-lang", "de-DE,de"))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	stop := func() { cancelTab(); cancel() }
	t.Cleanup(stop)
	require.NoError(t, chromedp.Do(tab)) // starts the browser on a context without a deadline
	return tab, stop
}

// TestE2ECockpitInABrowser: a demo SALES user logs in in Chromium, opens
// the cockpit, and sees its total change within 2 s, without reload, when
// a lead is created through the API from another connection; creating the
// same customer through the page shows the duplicate warning; at 390×844
// the cockpit, the form and the list fit without horizontal scrolling and every
// control has a label. Screenshots go to artifacts/.
func TestE2ECockpitInABrowser(t *testing.T) {
	h := newHarness(t)
	ctx, srv := h.ctx, h.srv
	require.NoError(t, os.MkdirAll(artifacts, 0o755))
	tab, closeBrowser := browser(t)
	t.Cleanup(closeBrowser) // before the server closes: the page's stream holds a connection
	b, cancelSteps := context.WithTimeout(tab, 90*time.Second)
	defer cancelSteps()
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tgt)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(artifacts, name), png, 0o644)
		})
	}
	connected := `document.getElementById("live-status").textContent === document.body.dataset.connected`

	require.NoError(t, chromedp.Do(b,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`button[value="sales.de.anna"]`),
		chromedp.Click(`button[value="sales.de.anna"]`),
		chromedp.WaitVisible(`#widget`),
	))
	_, err := chromedp.Run(b, chromedp.Poll[bool](connected, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the page's stream did not connect")
	total, err := chromedp.Run(b, chromedp.Text(`[data-field="leadStats.total"]`))
	require.NoError(t, err)
	require.Equal(t, "0", total)

	// Another connection registers a lead of hers through the API.
	tok := h.token(t, "sales.de.anna", "SALES", "DE")
	status, body := callAPI(ctx, t, srv.URL, tok, "POST", "/api/leads", map[string]any{"companyName": "Gasthaus Linde", "city": "Berlin"})
	require.Equal(t, http.StatusCreated, status, string(body))
	start := time.Now()
	_, err = chromedp.Run(b, chromedp.Poll[bool](`document.querySelector('[data-field="leadStats.total"]').textContent === "1"`,
		chromedp.WithPollingTimeout(2*time.Second)))
	require.NoError(t, err, "the widget did not change within 2 s")
	t.Logf("the open cockpit showed the new lead %s after the API answered", time.Since(start).Round(time.Millisecond))
	require.NoError(t, chromedp.Do(b, shot("cockpit-desktop.png")))

	// The same customer through the page: the duplicate warning.
	require.NoError(t, chromedp.Do(b,
		chromedp.Click(`a[href="/leads/new"]`),
		chromedp.WaitVisible(`#companyName`),
		chromedp.SendKeys(`#companyName`, "Gasthaus Linde"),
		chromedp.SendKeys(`#city`, "Berlin"),
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible(`.candidates`),
		shot("lead-new-duplicate.png"),
	))
	warning, err := chromedp.Run(b, chromedp.Text(`.candidates`))
	require.NoError(t, err)
	require.Contains(t, warning, "Mögliche Dubletten")
	require.Contains(t, warning, "Gasthaus Linde")

	// A phone: no horizontal scrolling, a label on every control.
	for _, page := range []string{"/cockpit", "/leads/new", "/leads"} {
		require.NoError(t, chromedp.Do(b,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3)),
			chromedp.Navigate(srv.URL+page),
			chromedp.WaitReady(`main`),
			shot("mobile"+strings.ReplaceAll(page, "/", "-")+".png"),
		))
		fits, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		require.NoError(t, err)
		require.True(t, fits, "%s scrolls sideways at 390 px", page)
		labelled, err := chromedp.Run(b, chromedp.Evaluate[bool](
			`Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
				.every(e => e.labels && e.labels.length > 0 && e.labels[0].textContent.trim() !== '')
			&& Array.from(document.querySelectorAll('button')).every(b => b.textContent.trim() !== '')`))
		require.NoError(t, err)
		require.True(t, labelled, "%s has a control without a label", page)
	}
}
