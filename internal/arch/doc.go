// Package arch holds the architecture test: the import rules of DESIGN.md,
// checked against the package list of the tree, so a forbidden import fails
// the build.
package arch
