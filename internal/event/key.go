package event

import (
	"crypto/md5"
	"time"

	"github.com/google/uuid"
)

// NameUUID is Java's UUID.nameUUIDFromBytes(s.getBytes(UTF_8)): the MD5 of
// the bytes with version 3 and the IETF variant set, and — unlike RFC 4122
// name-based UUIDs — no namespace prepended. Consumers written against the
// Java contract compute the same keys.
func NameUUID(s string) uuid.UUID {
	sum := md5.Sum([]byte(s))
	sum[6] = sum[6]&0x0f | 0x30
	sum[8] = sum[8]&0x3f | 0x80
	return uuid.UUID(sum)
}

// TimeLayout writes times in keys and event data: UTC, always six
// fractional digits (PostgreSQL's precision).
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t for keys and event data.
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(TimeLayout) }
