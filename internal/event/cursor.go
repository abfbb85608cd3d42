package event

import (
	"errors"
	"strconv"
	"strings"
)

// Cursor encodes a position for clients: the SSE id of the live stream and
// the after= of the event feed. "42" is everything up to outbox id 42;
// "42~901,907" adds the transactions that were still running then, whose
// events the next read must still return.
func (p Position) Cursor() string {
	if len(p.InFlight) == 0 {
		return strconv.FormatInt(p.LastID, 10)
	}
	return strconv.FormatInt(p.LastID, 10) + "~" + strings.Join(p.InFlight, ",")
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
	last, rest, hasRest := strings.Cut(s, "~")
	id, err := strconv.ParseInt(last, 10, 64)
	if err != nil || id < 0 {
		return Position{}, ErrBadCursor
	}
	pos := Position{LastID: id}
	if !hasRest {
		return pos, nil
	}
	for _, x := range strings.Split(rest, ",") {
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
