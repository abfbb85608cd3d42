package loadtest

import (
	"context"
	"time"
)

// WaitIdle waits until the machine's CPU has been busy less than share
// (0.3: 30 %) for two seconds in a row, or limit has passed, and returns
// how long it waited: a service that has just started runs its start-up
// work (the protection walk over every lead, due jobs), and a run measured
// meanwhile measures that. Off Linux it returns at once.
func WaitIdle(ctx context.Context, share float64, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	prev, calm := readCPU(nil), 0
	for calm < 2 && time.Since(start) < limit && prev.ok {
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(time.Second):
		}
		cur := readCPU(nil)
		if total := cur.total - prev.total; total > 0 && float64(cur.busy-prev.busy)/float64(total) < share {
			calm++
		} else {
			calm = 0
		}
		prev = cur
	}
	return time.Since(start), nil
}
