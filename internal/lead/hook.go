package lead

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Commands, as a TxHook sees them.
const (
	CommandCreate      = "create"
	CommandUpdate      = "update"
	CommandDelete      = "delete"
	CommandAddActivity = "add-activity"
)

// TxHook joins the transaction of every command. Hooks are wired in main
// (the Idempotency-Key claim, the follow-up scheduler); the write path
// knows nothing about what they do.
type TxHook interface {
	// Begin runs in the transaction before the command's writes. It returns
	// the hook's part in this command, or nil when it has none; an error
	// rolls the whole transaction back.
	Begin(ctx context.Context, tx pgx.Tx, command string) (TxStep, error)
}

// TxStep is a hook's part in one command.
type TxStep interface {
	// Done runs after the command's writes, in its transaction, with the
	// command's result: the *Lead as written (deleted, for delete), or the
	// *Activity for add-activity. An error rolls everything back.
	Done(ctx context.Context, tx pgx.Tx, result any) error
	// Failed runs when the command failed: its writes are rolled back to a
	// savepoint taken after Begin, so the step can still record the outcome
	// and the transaction commits with only that. err is the command's
	// error as the caller will get it. Returning an error rolls back the
	// whole transaction instead.
	Failed(ctx context.Context, tx pgx.Tx, err error) error
}
