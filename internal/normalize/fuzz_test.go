package normalize

import (
	"testing"
	"unicode/utf8"
)

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"", " Anna+Messe@Example.DE ", "a+b+c@x.de", "+tag@x.de", `"a+b"@x.de`, "ÄRGER@Müller.de", "\xff@x"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, strip bool) {
		got := Email(s, strip)
		if got == nil {
			return
		}
		if *got == "" {
			t.Fatalf("Email(%q) = empty string, want nil", s)
		}
		again := Email(*got, strip)
		if again == nil || *again != *got {
			t.Fatalf("not idempotent: %q → %q → %v", s, *got, again)
		}
	})
}

func FuzzCompanyName(f *testing.F) {
	for _, s := range []string{"  FreshFoodz GmbH ", "Café Müller AG", "AG Weinbau Müller GmbH", "Müller KG AG", "GmbH & Co. KG",
		"Straßenbau GesmbH", "Foo UG (haftungsbeschränkt)", "S.à r.l.", "ℌ", "ﬁrma e. V.", "Ｆｏｏ", ".", "\xff", "x , ag ."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CompanyName(s)
		if got == nil {
			return
		}
		if *got == "" {
			t.Fatalf("CompanyName(%q) = empty string, want nil", s)
		}
		if utf8.ValidString(s) && !utf8.ValidString(*got) {
			t.Fatalf("CompanyName(%q) = %q: invalid UTF-8", s, *got)
		}
		again := CompanyName(*got)
		if again == nil || *again != *got {
			t.Fatalf("not idempotent: %q → %q → %v", s, *got, deref(again))
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"030 123456", "+41 44 668 18 00", "0043 1 234567", "030 123456-12", "+49 30 123456 ext. 12",
		"+49 (0)30 123456", "079 123 45 67", "0664 1234567", "Tel.: 0171/1234567", "030 FLOWERS", "12", ""} {
		for _, terr := range []string{"DE", "CH", "AT", ""} {
			f.Add(s, terr)
		}
	}
	f.Fuzz(func(t *testing.T, s, territory string) {
		got, ok := Phone(s, territory)
		if got == nil {
			return
		}
		if !ok {
			t.Fatalf("Phone(%q, %q) = %q but not ok", s, territory, *got)
		}
		if len(*got) < 2 || (*got)[0] != '+' {
			t.Fatalf("Phone(%q, %q) = %q: not E.164", s, territory, *got)
		}
		again, ok := Phone(*got, territory)
		if !ok || again == nil || *again != *got {
			t.Fatalf("not idempotent: %q → %q → %v (ok %v)", s, *got, deref(again), ok)
		}
	})
}

func FuzzWebsiteDomain(f *testing.F) {
	for _, s := range []string{"www.example.com", "https://www.Example.com/path", "example.com:8080", "http://user@host",
		"xn--mller-kva.de", "Müller.DE", "www.www.x.de", "http://[::1]/", "n/a", "a.b。c",
		"https://www.XN--MLLER-KVA.DE/", "xn--99999999.de", "xn--abc-.de", "xn--xn--ab-8ya.de", "ｗｗｗ．ｆｒｅｓｈ．ｄｅ",
		"xn--mgbh0fb.xn--kgbechtv", "r3---sn-x.googlevideo.com", "mül\u00adler.de"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, asEmail bool) {
		var got *string
		if asEmail {
			e := "anna@" + s
			got = WebsiteDomain(nil, &e)
		} else {
			got = WebsiteDomain(&s, nil)
		}
		if got == nil {
			return
		}
		if *got == "" {
			t.Fatalf("WebsiteDomain(%q) = empty string, want nil", s)
		}
		again := WebsiteDomain(got, nil)
		if again == nil || *again != *got {
			t.Fatalf("not idempotent: %q → %q → %v", s, *got, deref(again))
		}
		e := "x@" + *got
		if viaEmail := WebsiteDomain(nil, &e); viaEmail == nil || *viaEmail != *got {
			t.Fatalf("e-mail domain %q → %v, want itself", *got, deref(viaEmail))
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
