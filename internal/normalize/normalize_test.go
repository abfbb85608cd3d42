package normalize

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func ptr(s string) *string { return &s }

func TestEmail(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		strip bool
		want  *string
	}{
		{"trim and lower", "  Anna.Berger@FreshFoodz.DE ", false, ptr("anna.berger@freshfoodz.de")},
		{"blank", "", false, nil},
		{"only white space", " \t\n ", false, nil},
		{"plus-tag kept by default", "anna+messe@example.de", false, ptr("anna+messe@example.de")},
		{"plus-tag stripped when configured", "anna+messe@example.de", true, ptr("anna@example.de")},
		{"plus-tag stripped after lower-casing", " Anna+Messe@Example.DE", true, ptr("anna@example.de")},
		{"several plus signs", "a+b+c@x.de", true, ptr("a@x.de")},
		{"empty local part stays", "+tag@x.de", true, ptr("+tag@x.de")},
		{"plus in the domain is no tag", "anna@b+c.de", true, ptr("anna@b+c.de")},
		{"quoted local part stays", `"A+B"@x.de`, true, ptr(`"a+b"@x.de`)},
		{"no @ is not validated here", "Keine Angabe", false, ptr("keine angabe")},
		{"umlauts lower-cased", "ÄRGER@Müller.DE", false, ptr("ärger@müller.de")},
		{"non-breaking space trimmed", "\u00a0info@hotel-adler.at\u00a0", false, ptr("info@hotel-adler.at")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Email(c.in, c.strip))
		})
	}
}

func TestCompanyName(t *testing.T) {
	cases := []struct {
		in   string
		want *string
	}{
		// SPEC §3
		{"  FreshFoodz GmbH ", ptr("freshfoodz")},
		{"Café Müller AG", ptr("cafe muller")},
		// blank
		{"", nil},
		{"  \t ", nil},
		// umlauts, diacritics, ß
		{"Bäckerei Öztürk", ptr("backerei ozturk")},
		{"Straßenbau Weiß GmbH", ptr("strassenbau weiss")},
		{"Strassenbau Weiss GmbH", ptr("strassenbau weiss")},
		{"STRAẞENBAU", ptr("strassenbau")},
		{"Crème Brûlée Sàrl", ptr("creme brulee")},
		{"Ｆｒｅｓｈ ＧｍｂＨ", ptr("fresh")},
		{"Hotel   Zum\tLöwen", ptr("hotel zum lowen")},
		// legal forms in different spellings
		{"Müller G.m.b.H.", ptr("muller")},
		{"Müller Gmbh", ptr("muller")},
		{"Müller GMBH", ptr("muller")},
		{"Müller g. m. b. H.", ptr("muller")},
		{"Müller, GmbH", ptr("muller")},
		{"Müller GmbH.", ptr("muller")},
		{"Müller GmbH & Co. KG", ptr("muller")},
		{"Müller GmbH & Co KG", ptr("muller")},
		{"Müller GmbH&Co.KG", ptr("muller")},
		{"Müller GmbH u. Co. KG", ptr("muller")},
		{"Müller GmbH + Co. KG", ptr("muller")},
		{"Henkel AG & Co. KGaA", ptr("henkel")},
		{"Müller UG (haftungsbeschränkt)", ptr("muller")},
		{"Müller UG haftungsbeschränkt", ptr("muller")},
		{"Müller UG", ptr("muller")},
		{"Müller OHG", ptr("muller")},
		{"Müller KG", ptr("muller")},
		{"Kiosk Meier e.K.", ptr("kiosk meier")},
		{"Kiosk Meier e. K.", ptr("kiosk meier")},
		{"Kiosk Meier eK", ptr("kiosk meier")},
		{"Kiosk Meier e.Kfm.", ptr("kiosk meier")},
		{"Tafel Hamburg e.V.", ptr("tafel hamburg")},
		{"Tafel Hamburg e. V.", ptr("tafel hamburg")},
		{"Lebenshilfe gGmbH", ptr("lebenshilfe")},
		{"Allianz SE", ptr("allianz")},
		{"Nestlé S.A.", ptr("nestle")},
		{"Nestlé SA", ptr("nestle")},
		{"Café du Lac S.à r.l.", ptr("cafe du lac")},
		{"Café du Lac Sarl", ptr("cafe du lac")},
		{"Grotto Ticino Sagl", ptr("grotto ticino")},
		{"Heuriger Huber GesmbH", ptr("heuriger huber")},
		{"Heuriger Huber Ges.m.b.H.", ptr("heuriger huber")},
		{"Heuriger Huber Gesellschaft mbH", ptr("heuriger huber")},
		{"Hotel Adler Betriebsgesellschaft mbH", ptr("hotel adler betriebsgesellschaft")},
		{"Wirt Gruber e.U.", ptr("wirt gruber")},
		// legal form words elsewhere in the name
		{"AG Weinbau Müller GmbH", ptr("ag weinbau muller")},
		{"KG Brauerei Schmidt", ptr("kg brauerei schmidt")},
		{"Müller & Co.", ptr("muller & co")},
		{"Müller & Co. KG", ptr("muller & co")},
		{"Tag und Nacht", ptr("tag und nacht")},
		{"Hofladen Sage", ptr("hofladen sage")},
		{"Deutsche Bahn AG Catering", ptr("deutsche bahn ag catering")},
		// only one legal form is stripped
		{"Müller KG AG", ptr("muller kg ag")},
		// only a legal form
		{"AG", ptr("ag")},
		{"GmbH", ptr("gmbh")},
		{"GmbH & Co. KG", ptr("gmbh & co. kg")},
		{"e.V.", ptr("e.v")},
		{"AG GmbH", ptr("ag gmbh")},
		// punctuation only
		{".", ptr(".")},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := CompanyName(c.in)
			require.Equal(t, c.want, got)
			if got != nil {
				require.Equal(t, got, CompanyName(*got), "idempotent")
			}
		})
	}
}

func TestPhone(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		territory string
		want      *string
		ok        bool
	}{
		// SPEC §3
		{"spec: DE national", "030 123456", "DE", ptr("+4930123456"), true},
		{"spec: CH international", "+41 44 668 18 00", "DE", ptr("+41446681800"), true},
		// blank
		{"blank", "", "DE", nil, true},
		{"white space", "   ", "CH", nil, true},
		// Germany, notations
		{"DE 00 prefix to AT", "0043 1 234567", "DE", ptr("+431234567"), true},
		{"DE slash", "030/123456", "DE", ptr("+4930123456"), true},
		{"DE dash", "030-123456", "DE", ptr("+4930123456"), true},
		{"DE dots", "030.123.456", "DE", ptr("+4930123456"), true},
		{"DE brackets", "(030) 123456", "DE", ptr("+4930123456"), true},
		{"DE +49 (0)", "+49 (0)30 123456", "DE", ptr("+4930123456"), true},
		{"DE +49 (0) spaced", "+49 (0) 30 / 12 34 56", "DE", ptr("+4930123456"), true},
		{"DE 0049", "0049 30 123456", "DE", ptr("+4930123456"), true},
		{"DE 0049 (0)", "0049 (0)30 123456", "DE", ptr("+4930123456"), true},
		{"DE +49 dashes", "+49-30-123456", "DE", ptr("+4930123456"), true},
		{"DE compact E.164", "+4930123456", "DE", ptr("+4930123456"), true},
		{"DE +49 with trunk 0", "+49 030 123456", "DE", ptr("+4930123456"), true},
		{"DE München", "089 12345678", "DE", ptr("+498912345678"), true},
		{"DE Köln", "0221 / 987 65 43", "DE", ptr("+492219876543"), true},
		{"DE from CH territory", "+49 89 12345678", "CH", ptr("+498912345678"), true},
		{"DE label", "Tel.: 030 123456", "DE", ptr("+4930123456"), true},
		// Germany, mobile
		{"DE mobile 0151", "0151 12345678", "DE", ptr("+4915112345678"), true},
		{"DE mobile +49 151", "+49 151 12345678", "DE", ptr("+4915112345678"), true},
		{"DE mobile 0171 slash", "0171/1234567", "DE", ptr("+491711234567"), true},
		{"DE mobile label", "Mobil: 0171 1234567", "DE", ptr("+491711234567"), true},
		{"DE mobile 0049", "0049 (0)171 123 45 67", "AT", ptr("+491711234567"), true},
		// Germany, extensions
		{"DE direct-dial suffix is part of the number", "030 123456-12", "DE", ptr("+493012345612"), true},
		{"ext. dropped", "+49 30 123456 ext. 12", "DE", ptr("+4930123456"), true},
		{"Durchwahl dropped", "030 123456 Durchwahl 12", "DE", ptr("+4930123456"), true},
		{"DW dropped", "030 123456 DW 12", "DE", ptr("+4930123456"), true},
		{"DW. with dash dropped", "030 123456, DW. -12", "DE", ptr("+4930123456"), true},
		{"x dropped", "030 123456 x12", "DE", ptr("+4930123456"), true},
		{"x without space dropped", "030 123456x12", "DE", ptr("+4930123456"), true},
		{"# dropped", "030 123456 #12", "DE", ptr("+4930123456"), true},
		{"App. dropped", "030 123456 App. 12", "DE", ptr("+4930123456"), true},
		// Switzerland
		{"CH national", "044 668 18 00", "CH", ptr("+41446681800"), true},
		{"CH mobile 079", "079 123 45 67", "CH", ptr("+41791234567"), true},
		{"CH mobile +41", "+41 79 123 45 67", "CH", ptr("+41791234567"), true},
		{"CH mobile 0041", "0041 79 123 45 67", "CH", ptr("+41791234567"), true},
		{"CH +41 (0)", "+41 (0)44 668 18 00", "CH", ptr("+41446681800"), true},
		{"CH mixed notation", "044/668.18.00", "CH", ptr("+41446681800"), true},
		{"CH Natel label", "Natel 078 123 45 67", "CH", ptr("+41781234567"), true},
		{"CH Bern", "031 123 45 67", "CH", ptr("+41311234567"), true},
		{"CH lower-case territory", "044 668 18 00", " ch ", ptr("+41446681800"), true},
		// Austria
		{"AT Wien", "01 234567", "AT", ptr("+431234567"), true},
		{"AT Wien slash", "01/234567", "AT", ptr("+431234567"), true},
		{"AT +43 (0)", "+43 (0)1 234567", "AT", ptr("+431234567"), true},
		{"AT mobile 0664", "0664 1234567", "AT", ptr("+436641234567"), true},
		{"AT mobile +43", "+43 664 1234567", "AT", ptr("+436641234567"), true},
		{"AT mobile 0043", "0043 664 123 45 67", "AT", ptr("+436641234567"), true},
		{"AT Graz", "0316 123456", "AT", ptr("+43316123456"), true},
		{"AT Innsbruck", "0512-123456", "AT", ptr("+43512123456"), true},
		// unknown territory: international numbers only
		{"unknown territory +", "+49 30 123456", "", ptr("+4930123456"), true},
		{"unknown territory 00", "0049 30 123456", "FR", ptr("+4930123456"), true},
		{"unknown territory (+", "(+41) 44 668 18 00", "IT", ptr("+41446681800"), true},
		{"unknown territory national", "030 123456", "", nil, false},
		{"unknown territory national FR", "030 123456", "FR", nil, false},
		// invalid
		{"too short", "12", "DE", nil, false},
		{"emergency number", "110", "DE", nil, false},
		{"too short toll-free", "0800 123", "DE", nil, false},
		{"letters", "abc", "DE", nil, false},
		{"vanity letters not converted", "030 FLOWERS", "DE", nil, false},
		{"typo letter", "030 12345a", "DE", nil, false},
		{"letter O for zero", "O30 123456", "DE", nil, false},
		{"CH number in AT", "044 668 18 00", "AT", nil, false},
		{"invalid CH number", "+41 12 345", "DE", nil, false},
		{"unknown country code", "+999 123456", "DE", nil, false},
		{"longer than E.164 allows", "0049 30 1234567890123", "DE", nil, false},
		{"two numbers", "030 123456 / 030 654321", "DE", nil, false},
		{"only punctuation", "--", "DE", nil, false},
		{"only plus", "+", "DE", nil, false},
		{"placeholder", "keine", "DE", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Phone(c.in, c.territory)
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.want, got)
			if got != nil {
				again, ok := Phone(*got, c.territory)
				require.True(t, ok)
				require.Equal(t, got, again, "idempotent")
			}
		})
	}
}

func TestWebsiteDomain(t *testing.T) {
	cases := []struct {
		name    string
		website *string
		email   *string
		want    *string
	}{
		{"bare www", ptr("www.example.com"), nil, ptr("example.com")},
		{"URL with path", ptr("https://www.Example.com/path"), nil, ptr("example.com")},
		{"port", ptr("example.com:8080"), nil, ptr("example.com")},
		{"user info", ptr("http://user@host.de"), nil, ptr("host.de")},
		{"query and fragment", ptr("http://www.hotel-adler.at/?lang=de#zimmer"), nil, ptr("hotel-adler.at")},
		{"protocol-relative", ptr("//www.freshfoodz.de/"), nil, ptr("freshfoodz.de")},
		{"white space", ptr("  WWW.FreshFoodz.DE  "), nil, ptr("freshfoodz.de")},
		{"trailing dot", ptr("freshfoodz.de."), nil, ptr("freshfoodz.de")},
		{"subdomain kept", ptr("https://shop.freshfoodz.de"), nil, ptr("shop.freshfoodz.de")},
		{"www removed repeatedly", ptr("www.www.freshfoodz.de"), nil, ptr("freshfoodz.de")},
		{"www as the name stays", ptr("www.de"), nil, ptr("www.de")},
		{"IDN kept in Unicode", ptr("https://www.Müller-Bäckerei.DE/"), nil, ptr("müller-bäckerei.de")},
		{"punycode decoded", ptr("http://xn--mller-kva.de"), nil, ptr("müller.de")},
		{"e-mail when no website", nil, ptr("Info@www.Hotel-Adler.at"), ptr("hotel-adler.at")},
		{"e-mail when website blank", ptr("  "), ptr("anna@freshfoodz.de"), ptr("freshfoodz.de")},
		{"website wins over e-mail", ptr("freshfoodz.de"), ptr("anna@gmail.com"), ptr("freshfoodz.de")},
		{"invalid website does not fall back", ptr("n/a"), ptr("anna@freshfoodz.de"), nil},
		{"nothing", nil, nil, nil},
		{"e-mail without @", nil, ptr("anna"), nil},
		{"e-mail with empty domain", nil, ptr("anna@"), nil},
		{"single label", ptr("localhost"), nil, nil},
		{"IPv4", ptr("http://192.168.0.1/"), nil, nil},
		{"IPv6", ptr("http://[::1]:8080/"), nil, nil},
		{"space inside", ptr("fresh foodz.de"), nil, nil},
		{"underscore", ptr("fresh_foodz.de"), nil, nil},
		{"leading hyphen", ptr("-freshfoodz.de"), nil, nil},
		{"empty label", ptr("freshfoodz..de"), nil, nil},
		{"bad punycode", ptr("xn--99999999.de"), nil, nil},
		{"ASCII-only punycode", ptr("xn--abc-.de"), nil, nil},
		// IDN through golang.org/x/net/idna (UTS #46 lookup mapping, see idnaProfile).
		{"punycode URL with www", ptr("https://www.xn--mller-kva.de/"), nil, ptr("müller.de")},
		{"punycode upper-case", ptr("WWW.XN--MLLER-KVA.DE"), nil, ptr("müller.de")},
		{"punycode in several labels", ptr("http://shop.xn--bcher-kva.xn--mller-kva.de/x"), nil, ptr("shop.bücher.müller.de")},
		{"punycode in the e-mail domain", nil, ptr("anna@xn--mller-kva.de"), ptr("müller.de")},
		{"right-to-left IDN", ptr("xn--mgbh0fb.xn--kgbechtv"), nil, ptr("مثال.إختبار")},
		{"full-width folded", ptr("ｗｗｗ．ｆｒｅｓｈｆｏｏｄｚ．ｄｅ"), nil, ptr("freshfoodz.de")},
		{"ideographic full stop", ptr("Müller。DE"), nil, ptr("müller.de")},
		{"soft hyphen dropped", ptr("mül\u00adler.de"), nil, ptr("müller.de")},
		{"sharp s kept (non-transitional)", ptr("Straße.de"), nil, ptr("straße.de")},
		{"hyphens in third and fourth place", ptr("r3---sn-4g5e6nsz.googlevideo.com"), nil, ptr("r3---sn-4g5e6nsz.googlevideo.com")},
		{"63 octets", ptr(strings.Repeat("a", 63) + ".de"), nil, ptr(strings.Repeat("a", 63) + ".de")},
		{"punycode truncated", ptr("https://www.xn--mller-k.de/"), nil, nil},
		{"punycode with trailing delimiter", ptr("xn--mller-kva-.de"), nil, nil},
		{"punycode with non-ASCII digit", ptr("xn--mller-kvä.de"), nil, nil},
		{"punycode of an upper-case letter", ptr("xn--wca.de"), nil, nil},
		{"punycode of a leading combining mark", ptr("xn--kva.de"), nil, nil},
		{"punycode decoding to xn--", ptr("xn--xn--ab-8ya.de"), nil, nil},
		{"punycode in the e-mail domain malformed", nil, ptr("anna@xn--99999999.de"), nil},
		{"Bidi rule", ptr("1مثال.com"), nil, nil},
		{"label over 63 octets in ACE form", ptr(strings.Repeat("ä", 63) + ".de"), nil, nil},
		{"domain of 253 octets", ptr(strings.Repeat("a.", 125) + "abc"), nil, ptr(strings.Repeat("a.", 125) + "abc")},
		{"domain over 253 octets", ptr(strings.Repeat("a.", 126) + "de"), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := WebsiteDomain(c.website, c.email)
			require.Equal(t, c.want, got)
			if got != nil {
				require.Equal(t, got, WebsiteDomain(got, nil), "idempotent")
			}
		})
	}
}
