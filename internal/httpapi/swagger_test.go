package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSwaggerUIIsServedFromTheBinary: /q/swagger-ui leads to the page,
// which loads its script and style from the service and the contract from
// /q/openapi; nothing from another host.
func TestSwaggerUIIsServedFromTheBinary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	rec := get("/q/swagger-ui")
	require.Equal(t, http.StatusMovedPermanently, rec.Code)
	require.Equal(t, "/q/swagger-ui/", rec.Header().Get("Location"))
	rec = get("/q/swagger-ui/")
	require.Equal(t, http.StatusOK, rec.Code)
	page := rec.Body.String()
	require.Contains(t, page, `<script src="swagger-ui-bundle.js">`)
	require.NotContains(t, page, "//", "no absolute or protocol-relative URL: nothing loads from a CDN")
	for _, f := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "initializer.js", "LICENSE"} {
		rec = get("/q/swagger-ui/" + f)
		require.Equal(t, http.StatusOK, rec.Code, f)
		require.NotZero(t, rec.Body.Len(), f)
	}
	require.Contains(t, get("/q/swagger-ui/initializer.js").Body.String(), `url: "/q/openapi"`)
}
