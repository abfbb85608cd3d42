package followup

import "time"

// starterBox is in every T+3 offer (SPEC §6).
const starterBox = "Cook&Fresh® Starter-Box"

// samples are the T+3 products per business type, after the starter box.
var samples = map[string][]string{
	"RESTAURANT": {"Premium-Gemüseauswahl", "Chef's Special"},
	"HOTEL":      {"Frühstückssortiment", "Bankett-Paket"},
	"KANTINE":    {"Großküchen-Sortiment", "Menükomponenten"},
	"CATERING":   {"Event-Pakete", "Fingerfood-Auswahl"},
}

// seasonal is the T+3 add-on of the month the mail goes out.
func seasonal(m time.Month) string {
	switch {
	case m >= time.March && m <= time.May:
		return "Spargel-Auswahl der Saison"
	case m == time.September || m == time.October:
		return "Oktoberfest-Sortiment"
	case m >= time.November:
		return "Weihnachts-Catering"
	}
	return ""
}

// bulkTerms are the T+7 discount (percent) and minimum order (in the
// territory's currency) per business type; others get otherTerms.
var bulkTerms = map[string][2]int{
	"RESTAURANT": {15, 500},
	"HOTEL":      {20, 1000},
	"KANTINE":    {25, 2000},
	"CATERING":   {10, 300},
}

var otherTerms = [2]int{10, 250}

// sampleProducts is the T+3 offer for a business type in a month.
func sampleProducts(businessType string, m time.Month) []string {
	out := append([]string{starterBox}, samples[businessType]...)
	if s := seasonal(m); s != "" {
		out = append(out, s)
	}
	return out
}

// bulkOffer is the T+7 discount and minimum for a business type.
func bulkOffer(businessType string) (discount, minimum int) {
	t, ok := bulkTerms[businessType]
	if !ok {
		t = otherTerms
	}
	return t[0], t[1]
}
