// Command gen writes the Grafana dashboard to the file named by its
// argument; go generate in internal/grafana runs it.
package main

import (
	"fmt"
	"os"

	"github.com/freshplan/leads/internal/grafana"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen <dashboard.json>")
		os.Exit(2)
	}
	b, err := grafana.JSON()
	if err == nil {
		err = os.WriteFile(os.Args[1], b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
