package lead

import (
	"github.com/freshplan/leads/internal/normalize"
)

// normalizeLead derives the read-only search and deduplication fields from
// the fields a user entered; clearing a source field clears its derived
// value. It returns the fields whose value could not be normalized (stored
// as given, derived value null).
func normalizeLead(l *Lead) (failed []string) {
	l.EmailNormalized = nil
	if l.Email != nil {
		l.EmailNormalized = normalize.Email(*l.Email, false)
	}
	l.CompanyNameNormalized = normalize.CompanyName(l.CompanyName)
	l.PhoneE164 = nil
	if l.Phone != nil {
		var ok bool
		if l.PhoneE164, ok = normalize.Phone(*l.Phone, l.Territory); !ok {
			failed = append(failed, "phone")
		}
	}
	l.WebsiteDomain = normalize.WebsiteDomain(l.Website, l.EmailNormalized)
	return failed
}

// normalize derives l's fields and counts what could not be normalized.
func (s *Service) normalize(l *Lead) { s.countNormalization(normalizeLead(l)) }

func (s *Service) countNormalization(failed []string) {
	for _, f := range failed {
		s.metrics.NormalizationErrors.WithLabelValues(f).Inc()
	}
}
