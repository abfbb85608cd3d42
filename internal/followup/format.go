package followup

import (
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// nbsp separates a currency from its amount, as CLDR does.
const nbsp = "\u00a0"

// Amounts and dates in mails follow CLDR for the territory's locale. The
// number (grouping, decimal sign) comes from golang.org/x/text: de-DE
// 1.000,00; de-CH 1’000.00 (U+2019); de-AT 1 000,00 (a no-break space).
// x/text has no currency patterns, so where the sign stands is CLDR's
// pattern for each locale, written here: de-DE "#,##0.00 ¤", de-AT and
// de-CH "¤ #,##0.00".
var currencyBefore = map[string]bool{"de-AT": true, "de-CH": true}

var currencySigns = map[string]string{"EUR": "€", "CHF": "CHF"}

// money formats a whole amount of currency for locale.
func money(locale, currency string, amount int) string {
	n := message.NewPrinter(language.MustParse(locale)).Sprint(number.Decimal(amount, number.Scale(2)))
	sign := currencySigns[currency]
	if sign == "" {
		sign = currency
	}
	if currencyBefore[locale] {
		return sign + nbsp + n
	}
	return n + nbsp + sign
}

// percent formats a whole percentage for locale: "15 %" (no-break space)
// in de-DE and de-AT, "15%" in de-CH.
func percent(locale string, p int) string {
	return message.NewPrinter(language.MustParse(locale)).Sprint(number.Percent(float64(p) / 100))
}

// date formats a day as CLDR's medium date of German, the same in all
// three locales: 14.12.2026.
func date(t time.Time) string { return t.Format("02.01.2006") }
