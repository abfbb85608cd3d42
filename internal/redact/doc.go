// Package redact masks personal data (e-mail addresses and phone numbers)
// before it reaches a log.
//
// Why: the SPEC requires that logs never contain a full e-mail address or a
// full phone number. Log lines are shipped to systems with wider access and
// longer retention than the database, and lead data is personal data under
// the GDPR. Rather than trusting every call site to remember to mask, the
// process-wide slog handler is wrapped with [NewHandler], which masks the
// message and every attribute (nested groups, attributes added with
// WithAttrs, group names, keys, LogValuer results, errors, fmt.Stringers
// and other values of kind Any) on the way out.
//
// Masking rules:
//
//   - E-mail addresses keep their domain and lose their local part:
//     "anna.mueller@example.com" becomes "***@example.com". URL-encoded
//     addresses ("anna%40example.com") are masked as well. A domain must have
//     at least one dot and a last label containing a letter, so "user@localhost"
//     or "anna@127.0.0.1" are not treated as e-mail addresses.
//   - Phone numbers keep only their last two digits: "+49 30 1234567" becomes
//     "***67". A phone number is a run of digit groups, optionally starting
//     with "+", "%2B" or "(", joined by short separators made of spaces,
//     '-', '/', '.', '(' and ')', with at least 7 digits in total.
//
// To keep logs useful, digit runs that are clearly something else are left
// intact: UUIDs and other tokens glued to letters (hex ids, hashes,
// durations like "1.234567s", RFC 3339 timestamps like
// "2025-09-26T20:00:00.000000Z"), identifiers like "lead-20250926001",
// calendar dates ("2025-09-26", "26.09.2025", "09/26/2025"), times of day
// and their fractions ("20:00:00.123456"), IPv4 addresses (with optional
// "/nn" prefix length), decimal numbers with a single dot ("0.0012345") and
// anything with fewer than 7 digits (status codes, ports, counts, versions).
// So "2025-09-26 20:00:00" stays intact because the date and the hour are
// recognised before digits are counted.
//
// Trade-offs, chosen in favour of privacy:
//
//   - Any other run of 7 or more digits is masked, because it cannot be told
//     apart from a phone number: bare ids ("order 12345678" becomes
//     "order ***78"), Unix timestamps, compact dates ("20250926"), byte counts
//     and amounts with thousands separators ("1.234.567") inside strings.
//     Numeric attributes (slog.Int, slog.Float64, ...) are never touched.
//   - Digits glued to letters are never masked ("ID0301234567", "tel0301..."),
//     otherwise hashes and UUIDs would be mangled.
//   - Values of kind Any that are not errors, strings or numbers (structs,
//     maps, slices, pointers) are checked in their fmt "%+v" form and in
//     their JSON form; if either contains personal data the value is
//     replaced by the masked string form. This costs a format and a JSON
//     encoding per such attribute; types that are logged often should
//     implement slog.LogValuer and log only what is needed.
//
// [String] is allocation-free and regex-free for strings that contain
// neither an '@' (or "%40") nor at least 7 digits, so the handler is cheap
// for ordinary log lines.
package redact
