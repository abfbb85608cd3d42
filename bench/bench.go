// Package bench holds the SQL and pgbench scripts of the scale
// measurements (README.md here), embedded so that freshplan bench
// --compare runs the very scripts this folder documents.
package bench

import "embed"

// Files are the scripts, by their names in this folder.
//
//go:embed *.sql *.pgbench
var Files embed.FS
