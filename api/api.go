// Package api holds the OpenAPI contract of the service.
package api

import _ "embed"

// OpenAPI is the service's OpenAPI 3.1 document (YAML), served at /q/openapi.
//
//go:embed openapi.yaml
var OpenAPI []byte
