package loadtest

import (
	"context"
	"time"
)

// MaxRate searches the highest rate at which a run keeps end-to-end p95
// within budget, achieves 95 % of its rate, fails nothing and loses
// nothing: it doubles from o.Rate until a run misses, then halves the gap
// until it is within a tenth. Every run is returned, the best first (zero
// when none held).
func MaxRate(ctx context.Context, o ServiceOptions, budget time.Duration, each func(ServiceResult)) (ServiceResult, []ServiceResult, error) {
	var best ServiceResult
	var runs []ServiceResult
	lo, hi := 0, 0
	for rate := o.Rate; rate > lo && (hi == 0 || rate < hi) && len(runs) < 8; {
		o.Rate = rate
		res, err := RunService(ctx, Max, o)
		if err != nil {
			return best, runs, err
		}
		runs = append(runs, res)
		if each != nil {
			each(res)
		}
		if Holds(res, budget) {
			best, lo = res, rate
		} else {
			hi = rate
		}
		switch {
		case hi == 0:
			rate *= 2
		case hi-lo <= max(lo/10, 5):
			return best, runs, nil
		default:
			rate = (lo + hi) / 2
		}
	}
	return best, runs, nil
}

// Holds says whether a run sustained its rate within the end-to-end
// budget, exactly once.
func Holds(r ServiceResult, budget time.Duration) bool {
	return r.Failed == 0 && r.ExactlyOnce() && r.EndToEnd.P95 <= budget && r.Achieved >= 0.95*float64(r.Rate)
}
