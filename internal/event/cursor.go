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

// ErrBadCursor means a cursor did not come from Cursor.
var ErrBadCursor = errors.New("event: bad cursor")

// maxCursorInFlight bounds what a client can make the server look up.
const maxCursorInFlight = 256

// ParseCursor reads a cursor; "" is the start of the retained events.
func ParseCursor(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	parts := strings.Split(s, "~")
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id < 0 || len(parts) == 2 || len(parts) > 3 {
		return Position{}, ErrBadCursor
	}
	pos := Position{LastID: id}
	if len(parts) == 1 {
		return pos, nil
	}
	if _, err := strconv.ParseUint(parts[1], 10, 64); err != nil {
		return Position{}, ErrBadCursor
	}
	pos.Xmax = parts[1]
	if parts[2] == "" {
		return pos, nil
	}
	for _, x := range strings.Split(parts[2], ",") {
		if _, err := strconv.ParseUint(x, 10, 64); err != nil {
			return Position{}, ErrBadCursor
		}
		pos.InFlight = append(pos.InFlight, x)
	}
	if len(pos.InFlight) > maxCursorInFlight {
		return Position{}, ErrBadCursor
	}
	return pos, nil
}
