package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed swaggerui/index.html swaggerui/initializer.js swaggerui/swagger-ui-bundle.js swaggerui/swagger-ui.css
//go:embed swaggerui/favicon-32x32.png swaggerui/LICENSE swaggerui/NOTICE swaggerui/swagger-ui-bundle.js.LICENSE.txt
var swaggerFiles embed.FS

// swaggerUI serves the API documentation at /q/swagger-ui/ over
// /q/openapi, from embedded files (swaggerui/README.md).
func swaggerUI() http.Handler {
	sub, err := fs.Sub(swaggerFiles, "swaggerui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.StripPrefix("/q/swagger-ui/", http.FileServerFS(sub))
}
