package web

import (
	"net/http"

	"golang.org/x/text/language"
)

// The pages speak German; a browser that asks for no German gets English.
// The German text is the key, so a template reads as the page does.
var english = map[string]string{
	"Anmelden": "Sign in",
	"Entwicklungsmodus: Wählen Sie einen Demo-Benutzer.": "Development mode: pick a demo user.",
	"Angemeldet als":                "Signed in as",
	"Abmelden":                      "Sign out",
	"Cockpit":                       "Cockpit",
	"Leads":                         "Leads",
	"Neuer Lead":                    "New lead",
	"Leads in":                      "Leads in",
	"Meine Leads":                   "My leads",
	"Leads gesamt":                  "Leads in total",
	"Schutz endet in 7 Tagen":       "Protection ends within 7 days",
	"Uhr gestoppt":                  "Clock stopped",
	"T+3 offen":                     "T+3 pending",
	"T+7 offen":                     "T+7 pending",
	"Überfällig":                    "Overdue",
	"T+3 heute":                     "T+3 today",
	"T+7 heute":                     "T+7 today",
	"Follow-ups der letzten 7 Tage": "Follow-ups of the last 7 days",
	"gesendet":                      "sent",
	"davon konvertiert":             "of them converted",
	"Konversion":                    "Conversion",
	"Antwort":                       "Response",
	"Letzte Follow-ups":             "Recent follow-ups",
	"Letzte Aktivitäten":            "Recent activities",
	"Noch keine":                    "None yet",
	"Live":                          "Live",
	"Verbinde …":                    "Connecting …",
	"Verbunden":                     "Connected",
	"Verbindung unterbrochen, verbinde neu …": "Connection lost, reconnecting …",
	"← Cockpit":                          "← Cockpit",
	"Firmenname":                         "Company name",
	"Ort":                                "City",
	"PLZ":                                "Postal code",
	"E-Mail":                             "E-mail",
	"Telefon":                            "Phone",
	"Land (DE, CH, AT)":                  "Country (DE, CH, AT)",
	"Branche":                            "Business type",
	"E-Mail-Einwilligung liegt vor":      "E-mail consent given",
	"Mögliche Dubletten":                 "Possible duplicates",
	"Trotzdem anlegen":                   "Register anyway",
	"Begründung (mindestens 10 Zeichen)": "Reason (at least 10 characters)",
	"Anlegen":                            "Register",
	"Status":                             "Status",
	"Gebiet":                             "Territory",
	"Verantwortlich":                     "Owner",
	"Registriert":                        "Registered",
	"Die Uhr ist gestoppt":               "The clock is stopped",
	"Aktivität erfassen":                 "Record an activity",
	"Art":                                "Type",
	"Beschreibung":                       "Description",
	"Erfassen":                           "Record",
	"Status ändern":                      "Change the status",
	"Neuer Status":                       "New status",
	"Ändern":                             "Change",
	"Uhr":                                "Clock",
	"Uhr weiterlaufen lassen":            "Resume the clock",
	"Grund":                              "Reason",
	"Uhr stoppen":                        "Stop the clock",
	"Verlauf":                            "Timeline",
	"Noch keine Einträge":                "No entries yet",
	"Firma":                              "Company",
	"alle":                               "all",
	"Suche":                              "Search",
	"Filtern":                            "Filter",
	"Keine Leads":                        "No leads",
	"Weitere":                            "More",
	"Bitte prüfen Sie die markierten Felder.":                                                           "Please check the marked fields.",
	"Diese Leads sehen nach demselben Kunden aus. Zum Anlegen trotzdem bitte bestätigen und begründen.": "These leads look like the same customer. To register it anyway, confirm and give a reason.",
	"Sie dürfen in diesem Gebiet keine Leads anlegen.":                                                  "You may not register leads in this territory.",
	"Der Lead konnte nicht angelegt werden. Bitte später erneut versuchen.":                             "The lead could not be registered. Please try again later.",
	"Dieser Filter passt nicht; bitte anpassen.":                                                        "This filter does not fit; please change it.",
	"Der Lead wurde inzwischen geändert; bitte erneut versuchen.":                                       "The lead was changed meanwhile; please try again.",
	"Das darf Ihre Rolle nicht.":                                                                        "Your role may not do this.",
	"Das passt nicht zum Stand des Leads.":                                                              "This does not fit the lead's state.",
	"Das hat nicht geklappt; bitte später erneut versuchen.":                                            "That did not work; please try again later.",
}

// lang is "de", or "en" for a browser that asks for languages but not for
// German among them.
func lang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "de"
	}
	for _, t := range tags {
		if base, _ := t.Base(); base.String() == "de" {
			return "de"
		}
	}
	return "en"
}

// translate is the text in the page's language.
func translate(l, text string) string {
	if l == "en" {
		if t, ok := english[text]; ok {
			return t
		}
	}
	return text
}

// page is what every page's template reads: its language and title.
type page struct {
	L     string
	Title string
}

func pageOf(r *http.Request, title string) page { return page{L: lang(r), Title: title} }
