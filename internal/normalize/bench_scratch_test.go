package normalize

import (
	"strings"
	"testing"
)

func BenchmarkCompanyTypical(b *testing.B) {
	for b.Loop() {
		CompanyName("  Bäckerei Müller GmbH & Co. KG ")
	}
}
func BenchmarkCompanyLong(b *testing.B) {
	s := strings.Repeat("Müller ", 40) + "GmbH"
	for b.Loop() {
		CompanyName(s)
	}
}
func BenchmarkFold(b *testing.B) {
	for b.Loop() {
		fold("  Bäckerei Müller GmbH & Co. KG ")
	}
}
func BenchmarkPhone(b *testing.B) {
	for b.Loop() {
		Phone("+49 (0)30 123456 ext. 12", "DE")
	}
}
