package redact_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/freshplan/leads/internal/redact"
)

func ExampleString() {
	fmt.Println(redact.String("lead anna.mueller@example.com, phone +49 30 1234567, id 0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d"))
	// Output: lead ***@example.com, phone ***67, id 0190f3c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d
}

func ExampleNewHandler() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})))
	logger.Info("lead created", "email", "anna.mueller@example.com", slog.Group("contact", "phone", "030/123456"))
	// Output: {"level":"INFO","msg":"lead created","email":"***@example.com","contact":{"phone":"***56"}}
}
