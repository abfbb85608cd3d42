package event

import (
	"errors"
	"strconv"
	"strings"
)

// Cursor encodes a position for clients: the SSE id of the live stream and
// the after= of the event feed. "42~910~901,907" is everything up to outbox
// id 42 except the events of transactions 901 and 907 and of those from 910
// on, which were still running then and which the next read still returns.
// A bare "42" means everything up to 42, with nothing left running.
func (p Position) Cursor() string {
	if p.Xmax == "" {
		return strconv.FormatInt(p.LastID, 10)
	}
	return strconv.FormatInt(p.LastID, 10) + "~" + p.Xmax + "~" + strings.Join(p.InFlight, ",")
}

// ErrBadCursor means a cursor did not come from Cursor: malformed here, or
// beyond what the server has issued when Fetch checks it against the
// database.
var ErrBadCursor = errors.New("event: bad cursor")

// maxCursorInFlight bounds what a client can make the server look up.
const maxCursorInFlight = 256

// ParseCursor reads a cursor; "" is the start of the retained events. It
// accepts only what Cursor writes: canonical numbers, and in-flight xids
// as a snapshot lists them — ascending, distinct and below its xmax. Fetch
// checks the rest, which needs the database.
func ParseCursor(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	parts := strings.Split(s, "~")
	if len(parts) != 1 && len(parts) != 3 {
		return Position{}, ErrBadCursor
	}
	id, ok := parseCanonical(parts[0])
	if !ok || id > 1<<63-1 {
		return Position{}, ErrBadCursor
	}
	pos := Position{LastID: int64(id)}
	if len(parts) == 1 {
		return pos, nil
	}
	xmax, ok := parseCanonical(parts[1])
	if !ok {
		return Position{}, ErrBadCursor
	}
	pos.Xmax = parts[1]
	if parts[2] == "" {
		return pos, nil
	}
	inFlight := strings.Split(parts[2], ",")
	if len(inFlight) > maxCursorInFlight || !snapshotList(inFlight, xmax) {
		return Position{}, ErrBadCursor
	}
	pos.InFlight = inFlight
	return pos, nil
}

// snapshotList reports whether xids are what pg_snapshot_xip lists for a
// snapshot with this xmax: canonical, strictly ascending, all below xmax.
func snapshotList(xids []string, xmax uint64) bool {
	var prev uint64
	for i, x := range xids {
		v, ok := parseCanonical(x)
		if !ok || v >= xmax || (i > 0 && v <= prev) {
			return false
		}
		prev = v
	}
	return true
}

// parseCanonical reads an unsigned decimal as strconv.Format writes it: no
// sign, no leading zeros. A cursor the server wrote has one spelling, so
// any other is not one of ours.
func parseCanonical(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(v, 10) != s {
		return 0, false
	}
	return v, true
}
