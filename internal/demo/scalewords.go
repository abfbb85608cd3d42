package demo

// The word lists and places the scale generator builds a territory from.
// Embedded in Go so that `freshplan seed --leads` needs no files. No word of
// BusinessWords appears in the other lists, so "the first word is a business
// word" can be decided from the name alone (the generator's tests do).
//
// "Müller" and "Adler" are left out, as in the demo data: the README's
// walkthrough creates "Café Müller AG" in Berlin and "Hotel Adler" in Bonn,
// which must not meet a similar generated name.

// BusinessWords are the generic words of the trade; about one company name
// in five starts with one of them.
var BusinessWords = []string{
	"Hotel", "Gasthaus", "Gasthof", "Landgasthof", "Restaurant", "Café", "Konditorei", "Bäckerei", "Metzgerei",
	"Fleischerei", "Kantine", "Catering", "Partyservice", "Brauhaus", "Brauerei", "Pizzeria", "Trattoria", "Osteria",
	"Ristorante", "Bistro", "Weinstube", "Weinbar", "Weingut", "Heuriger", "Beisl", "Wirtshaus", "Bierstube",
	"Biergarten", "Kneipe", "Pub", "Bar", "Lounge", "Imbiss", "Grill", "Steakhouse", "Burgerladen", "Dönerhaus",
	"Sushi-Bar", "Asia-Bistro", "Tapas-Bar", "Taverne", "Gaststätte", "Mensa", "Betriebsrestaurant", "Cafeteria",
	"Kaffeehaus", "Eiscafé", "Eisdiele", "Hofladen", "Feinkost", "Delikatessen", "Markthalle", "Supermarkt",
	"Frischmarkt", "Bioladen", "Großküche", "Zentralküche", "Seniorenheim", "Pflegeheim", "Seniorenresidenz",
	"Klinik", "Krankenhaus", "Kurhaus", "Reha-Zentrum", "Kita", "Schule", "Internat", "Jugendherberge", "Hostel",
	"Pension", "Gästehaus", "Aparthotel", "Boardinghouse", "Wellnesshotel", "Berghotel", "Berghütte", "Skihütte",
	"Landhaus", "Schlosshotel", "Parkhotel", "Strandhotel", "Seehotel", "Tagungshotel", "Sporthotel", "Golfhotel",
	"Eventlocation", "Festsaal", "Vereinsheim", "Clubhaus", "Betriebskantine", "Mittagstisch", "Foodtruck",
	"Lieferdienst", "Getränkemarkt", "Großhandel", "Fleischwaren", "Käserei", "Molkerei", "Confiserie",
	"Chocolaterie", "Patisserie", "Bierkeller", "Ratskeller", "Weinkeller", "Vinothek", "Espressobar", "Teestube",
	"Speisewagen", "Raststätte",
}

// businessType maps a business word to the lead's business type; words
// not listed are RESTAURANT.
var businessType = map[string]string{
	"Hotel": "HOTEL", "Pension": "HOTEL", "Gästehaus": "HOTEL", "Aparthotel": "HOTEL", "Boardinghouse": "HOTEL",
	"Wellnesshotel": "HOTEL", "Berghotel": "HOTEL", "Schlosshotel": "HOTEL", "Parkhotel": "HOTEL", "Strandhotel": "HOTEL",
	"Seehotel": "HOTEL", "Tagungshotel": "HOTEL", "Sporthotel": "HOTEL", "Golfhotel": "HOTEL", "Hostel": "HOTEL",
	"Jugendherberge": "HOTEL", "Landhaus": "HOTEL", "Kurhaus": "HOTEL", "Gasthof": "HOTEL", "Landgasthof": "HOTEL",
	"Kantine": "KANTINE", "Betriebskantine": "KANTINE", "Betriebsrestaurant": "KANTINE", "Mensa": "KANTINE",
	"Cafeteria": "KANTINE", "Großküche": "KANTINE", "Zentralküche": "KANTINE", "Mittagstisch": "KANTINE",
	"Catering": "CATERING", "Partyservice": "CATERING", "Eventlocation": "CATERING", "Festsaal": "CATERING",
	"Foodtruck": "CATERING", "Lieferdienst": "CATERING",
	"Großhandel": "GROSSHANDEL", "Getränkemarkt": "GROSSHANDEL", "Fleischwaren": "GROSSHANDEL", "Molkerei": "GROSSHANDEL",
	"Käserei": "GROSSHANDEL", "Brauerei": "GROSSHANDEL",
	"Supermarkt": "LEH", "Frischmarkt": "LEH", "Bioladen": "LEH", "Hofladen": "LEH", "Feinkost": "LEH",
	"Delikatessen": "LEH", "Markthalle": "LEH", "Bäckerei": "LEH", "Metzgerei": "LEH", "Fleischerei": "LEH",
	"Kita": "BILDUNG", "Schule": "BILDUNG", "Internat": "BILDUNG",
	"Seniorenheim": "GESUNDHEIT", "Pflegeheim": "GESUNDHEIT", "Seniorenresidenz": "GESUNDHEIT", "Klinik": "GESUNDHEIT",
	"Krankenhaus": "GESUNDHEIT", "Reha-Zentrum": "GESUNDHEIT",
	"Vereinsheim": "SONSTIGES", "Clubhaus": "SONSTIGES", "Speisewagen": "SONSTIGES", "Raststätte": "SONSTIGES",
}

// Surnames of Germany, Switzerland and Austria, and of the owners of
// restaurants everywhere.
var surnames = []string{
	"Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer",
	"Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
	"Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid",
	"Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs",
	"Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich",
	"Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
	"Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher", "Krämer",
	"Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas",
	"Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn",
	"Busch", "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer", "Lindner", "Ernst",
	"Hübner", "Kramer", "Franz", "Beyer", "Wolter", "Seifert", "Hermann", "Böttcher", "Brinkmann", "Haase",
	"Schindler", "Jansen", "Kolb", "Wenzel", "Dittrich", "Kirchner", "Nowak", "Körner", "Thiele", "Nagel",
	"Rieger", "Hempel", "Wendt", "Ulrich", "Marx", "Bock", "Schütz", "Reuter", "Fiedler", "Ritter",
	"Steiner", "Gerber", "Brunner", "Frei", "Moser", "Widmer", "Wyss", "Suter", "Bachmann", "Baumgartner",
	"Kälin", "Bühler", "Egli", "Hug", "Lüthi", "Zürcher", "Aebischer", "Rüegg", "Ammann", "Oberholzer",
	"Bosshard", "Hess", "Kuster", "Iten", "Gisler", "Lustenberger", "Imhof", "Stucki", "Zbinden", "Flückiger",
	"Hostettler", "Tschanz", "Rüfenacht", "Inäbnit", "Schürch", "Blaser", "Zaugg", "Wüthrich", "Brügger", "Sigrist",
	"Gruber", "Pichler", "Hofer", "Leitner", "Eder", "Reiter", "Mayr", "Wimmer", "Egger", "Auer",
	"Binder", "Lechner", "Wallner", "Aigner", "Ebner", "Koller", "Lehner", "Holzer", "Strasser", "Pirker",
	"Kofler", "Gasser", "Hackl", "Unterberger", "Posch", "Stöckl", "Zach", "Fink", "Brandstätter", "Haider",
	"Schwaiger", "Rainer", "Pöll", "Kastner", "Obermair", "Mairhofer", "Trummer", "Kern", "Platzer", "Knapp",
	"Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
	"Gallo", "Conti", "De Luca", "Costa", "Giordano", "Mancini", "Lombardi", "Moretti", "Barbieri", "Fontana",
	"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan",
	"Nguyen", "Tran", "Pham", "Le", "Wang", "Li", "Zhang", "Chen", "Liu", "Kim",
	"Papadopoulos", "Georgiou", "Dimitriou", "Kovačević", "Horvat", "Novak", "Kowalski", "Wiśniewski", "Dubois", "Bernard",
	"Silva", "Santos", "Pereira", "Ferreira", "Garcia", "Fernández", "López", "Martínez", "Sánchez", "Rodríguez",
	"Nielsen", "Jensen", "Hansen", "Andersson", "Janssen", "de Vries", "Van den Berg", "O'Brien", "Murphy", "Smith",
	"Thaler", "Hauser", "Rauch", "Kogler", "Spiegel", "Sailer", "Brandner", "Wieser", "Ortner", "Hagen",
	"Kunz", "Vetter", "Walser", "Schenk", "Amrein", "Kaufmann", "Wirth", "Stauffer", "Messerli", "Ryser",
}

// Compound surnames, as common in Bavaria, Austria and Switzerland
// ("Oberhuber", "Steinberger", "Holzmann"): prefix + suffix.
var (
	surnamePrefixes = []string{"Ober", "Unter", "Hinter", "Vorder", "Klein", "Groß", "Neu", "Alt", "Stein", "Holz", "Berg",
		"Wald", "Hof", "Mühl", "Kirch", "Brunn", "Lind", "Eich", "Bach", "Feld", "Wies", "Moos", "Rosen", "Sonn", "Wein",
		"Gold", "Silber", "Eisen", "Kupfer", "Hoch", "Lehn", "Reich", "Frei", "Stock", "Grün"}
	surnameSuffixes = []string{"huber", "mayr", "bauer", "berger", "mann", "meier", "hofer", "leitner", "egger", "moser",
		"reiter", "lechner", "brunner", "bichler", "gruber", "dorfer", "stätter", "thaler", "wieser", "hammer",
		"schmid", "felder", "bacher", "lehner"}
)

// allSurnames are surnames and compound surnames: over a thousand.
var allSurnames = func() []string {
	out := append([]string(nil), surnames...)
	for _, p := range surnamePrefixes {
		for _, s := range surnameSuffixes {
			out = append(out, p+s)
		}
	}
	return out
}()

// Place names built from a stem and a suffix ("Lindenhof", "Rheinblick",
// "Sonnenalm"): about a thousand, with the fixed places below.
var (
	placeStems = []string{"Linden", "Eichen", "Birken", "Tannen", "Buchen", "Rosen", "Sonnen", "Berg", "See", "Wald",
		"Alpen", "Rhein", "Main", "Donau", "Elb", "Isar", "Neckar", "Mosel", "Schloss", "Burg", "Kloster", "Mühl",
		"Brunnen", "Quell", "Wiesen", "Feld", "Stern", "Mond", "Reben", "Wein", "Korn", "Hopfen", "Apfel", "Kirsch",
		"Kastanien", "Holunder", "Lerchen", "Falken", "Hirsch", "Fuchs", "Biber", "Schwanen", "Raben", "Ahorn",
		"Erlen", "Fichten", "Kiefern", "Ulmen", "Weiden", "Rot", "Grün", "Gold", "Silber", "Hoch"}
	placeSuffixes = []string{"hof", "blick", "garten", "eck", "haus", "stube", "alm", "quelle", "höhe", "grund", "au",
		"wiese", "hain", "terrasse", "klause", "winkel", "tal"}
)

var allPlaces = func() []string {
	out := append([]string(nil), places...)
	for _, st := range placeStems {
		for _, su := range placeSuffixes {
			out = append(out, st+su)
		}
	}
	return out
}()

// firstNames are the given names of contact persons, and of "Annas Café".
var firstNames = []string{
	"Anna", "Maria", "Sophie", "Lena", "Laura", "Julia", "Sarah", "Lisa", "Katharina", "Hannah",
	"Lea", "Johanna", "Clara", "Emma", "Mia", "Marie", "Nina", "Paula", "Elena", "Sabine",
	"Claudia", "Petra", "Andrea", "Monika", "Susanne", "Birgit", "Martina", "Stefanie", "Christina", "Nicole",
	"Barbara", "Ursula", "Heidi", "Vreni", "Ruth", "Brigitte", "Theresa", "Resi", "Franziska", "Eva",
	"Lukas", "Jonas", "Leon", "Felix", "Paul", "Maximilian", "Elias", "Noah", "Luca", "David",
	"Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Martin", "Peter", "Frank", "Jürgen",
	"Klaus", "Wolfgang", "Uwe", "Ralf", "Jan", "Tobias", "Florian", "Sebastian", "Daniel", "Alexander",
	"Reto", "Urs", "Beat", "Ueli", "Kurt", "Hansjörg", "Res", "Fritz", "Sepp", "Franz",
	"Georg", "Josef", "Alois", "Johann", "Ferdinand", "Matthias", "Dominik", "Bernhard", "Herbert", "Manfred",
	"Mario", "Giuseppe", "Luigi", "Marco", "Giovanni", "Antonio", "Mehmet", "Ahmet", "Ayşe", "Fatma",
	"Minh", "Linh", "Wei", "Dimitri", "Nikos", "Ivan", "Piotr", "José", "Carlos", "Sofía",
}

// innNouns are the nouns of inn names ("Zum Goldenen Hirschen"): the
// nominative, the dative after "zum"/"zur", and the gender (m, f, n).
var innNouns = []struct{ nom, dat, gender string }{
	{"Hirsch", "Hirschen", "m"}, {"Löwe", "Löwen", "m"}, {"Bär", "Bären", "m"}, {"Ochse", "Ochsen", "m"},
	{"Schwan", "Schwanen", "m"}, {"Stern", "Stern", "m"}, {"Anker", "Anker", "m"}, {"Hahn", "Hahn", "m"},
	{"Engel", "Engel", "m"}, {"Storch", "Storchen", "m"}, {"Falke", "Falken", "m"}, {"Rabe", "Raben", "m"},
	{"Baum", "Baum", "m"}, {"Hecht", "Hecht", "m"}, {"Keller", "Keller", "m"}, {"Brunnen", "Brunnen", "m"},
	{"Krone", "Krone", "f"}, {"Linde", "Linde", "f"}, {"Mühle", "Mühle", "f"}, {"Post", "Post", "f"},
	{"Traube", "Traube", "f"}, {"Rose", "Rose", "f"}, {"Tanne", "Tanne", "f"}, {"Eiche", "Eiche", "f"},
	{"Sonne", "Sonne", "f"}, {"Glocke", "Glocke", "f"}, {"Kanne", "Kanne", "f"}, {"Schmiede", "Schmiede", "f"},
	{"Lamm", "Lamm", "n"}, {"Kreuz", "Kreuz", "n"}, {"Rössl", "Rössl", "n"}, {"Rad", "Rad", "n"},
	{"Fass", "Fass", "n"}, {"Schiff", "Schiff", "n"}, {"Tor", "Tor", "n"}, {"Horn", "Horn", "n"},
	{"Einhorn", "Einhorn", "n"}, {"Posthorn", "Posthorn", "n"}, {"Hufeisen", "Hufeisen", "n"},
}

// innAdjectives are adjective stems: "Golden" + "er"/"e"/"es"/"en".
var innAdjectives = []string{"Golden", "Alt", "Weiß", "Grün", "Rot", "Blau", "Schwarz", "Neu", "Wild", "Fröhlich",
	"Lustig", "Klein", "Groß", "Silbern", "Braun", "Gemütlich", "Still", "Hoh", "Fein", "Jung"}

// places are names of places and views that make a name on their own
// ("Sonnenhof") or with a business word ("Alpenblick Hotel").
var places = []string{
	"Alpenblick", "Seeblick", "Bergblick", "Talblick", "Rheinblick", "Donaublick", "Sonnenhof", "Lindenhof",
	"Eichenhof", "Birkenhof", "Rosenhof", "Tannenhof", "Waldhof", "Wiesenhof", "Seehof", "Schlossberg",
	"Waldrand", "Seeufer", "Mainufer", "Elbterrasse", "Isartal", "Moselterrasse", "Neckarblick", "Bodensee",
	"Sonnenalp", "Edelweiß", "Enzian", "Almrausch", "Bergkristall", "Morgenrot", "Abendrot", "Schwalbennest",
	"Kastanienhof", "Kirschgarten", "Lindengarten", "Rebgarten", "Mühlbach", "Steinbruch", "Hafenkante", "Altstadt",
	"Marktplatz", "Domplatz", "Schlossgarten", "Stadtpark", "Kurpark", "Rathauskeller", "Zollhaus", "Fährhaus",
	"Bahnhofsbuffet", "Uferlos", "Kornspeicher", "Zehntscheuer", "Kartause", "Klosterhof", "Gutshof", "Weidenhof",
}

// landmarks follow "am"/"an der" in names like "Restaurant am See".
var landmarks = []string{"am See", "am Markt", "am Dom", "am Schloss", "am Hafen", "am Park", "am Ring", "am Rathaus",
	"am Bahnhof", "am Tor", "am Fluss", "an der Brücke", "an der Mühle", "an der Kirche", "im Turm", "im Park",
	"an der Oper", "am Stadttor", "im Hof", "am Berg"}

// streetStems form street names with streetSuffixes: "Lindenstraße".
var streetStems = []string{"Haupt", "Bahnhof", "Schul", "Garten", "Dorf", "Berg", "Kirch", "Wald", "Ring", "Linden",
	"Schiller", "Goethe", "Mozart", "Beethoven", "Friedrich", "Wilhelm", "Park", "Wiesen", "Rosen", "Mühlen",
	"Industrie", "Markt", "Post", "See", "Sonnen", "Birken", "Feld", "Buchen", "Eichen", "Tannen",
	"Kastanien", "Ahorn", "Blumen", "Brunnen", "Burg", "Schloss", "Rathaus", "Kloster", "Hafen", "Brücken",
	"Mittel", "Ober", "Unter", "Neu", "Alt", "Hoch", "Tal", "Wein", "Hopfen", "Korn"}

var streetSuffixes = []string{"straße", "straße", "straße", "weg", "gasse", "allee", "platz", "ring"}

// stopReasons explain stopped clocks.
var stopReasons = []string{"Betriebsferien", "Umbau der Küche", "Inhaberwechsel", "Saisonpause", "Krankheit des Inhabers",
	"Ausschreibung läuft", "Budgetfreigabe ausstehend"}

// duplicateReasons are the override reasons of force-created near-duplicates.
var duplicateReasons = []string{"Zweiter Standort derselben Familie", "Anderer Betreiber, gleicher Name",
	"Neueröffnung nach Inhaberwechsel", "Filiale mit eigener Rechnungsadresse", "Bestätigt: kein Duplikat"}

// legalForms per territory, with weights: the ones people type in each country.
var legalForms = map[string][]weighted[string]{
	"DE": {{"GmbH", 45}, {"e.K.", 15}, {"KG", 8}, {"GmbH & Co. KG", 12}, {"AG", 4}, {"OHG", 6}, {"UG (haftungsbeschränkt)", 6}, {"e.V.", 4}},
	"CH": {{"GmbH", 45}, {"AG", 35}, {"Sàrl", 10}, {"SA", 5}, {"Sagl", 5}},
	"AT": {{"GmbH", 50}, {"GesmbH", 10}, {"e.U.", 15}, {"KG", 10}, {"OG", 10}, {"AG", 5}},
}

// Activity descriptions and outcomes by type; %s is the contact person.
var activityTexts = map[string][]string{
	"CALL":             {"Telefonat mit %s", "Rückruf von %s", "Kurzes Telefonat, %s interessiert", "Anruf wegen Lieferzeiten"},
	"QUALIFIED_CALL":   {"Bedarfsanalyse am Telefon mit %s", "Qualifizierungsgespräch mit %s", "Mengen und Lieferrhythmus mit %s besprochen"},
	"EMAIL":            {"Angebot per E-Mail an %s", "Preisliste an %s geschickt", "Antwort auf Anfrage von %s", "Produktinfos zur Starter-Box gesendet"},
	"MEETING":          {"Termin vor Ort mit %s", "Besuch in der Küche, Gespräch mit %s", "Treffen auf der Messe mit %s"},
	"DEMO":             {"Verkostung mit %s", "Kochvorführung Cook&Fresh vor Ort", "Produktdemo für das Küchenteam"},
	"ROI_PRESENTATION": {"Wirtschaftlichkeitsrechnung mit %s durchgegangen", "Kostenvergleich präsentiert"},
	"SAMPLE_SENT":      {"Muster der Starter-Box verschickt", "Probierpaket an %s gesendet", "Saisonmuster verschickt"},
	"ORDER":            {"Erstbestellung eingegangen", "Bestellung über Großgebinde", "Nachbestellung Starter-Box"},
	"NOTE":             {"Notiz: %s ist Entscheider", "Notiz: Küche wird im Herbst umgebaut", "Notiz: bezieht bisher vom Großhandel", "Notiz: Ruhetag Montag"},
	"FOLLOW_UP":        {"Wiedervorlage in zwei Wochen", "Nachfassen nach Musterversand", "Erinnerung: Angebot nachfassen"},
	"SAMPLE_FEEDBACK":  {"Rückmeldung zu den Mustern von %s", "Muster kamen gut an", "Muster: Portionsgröße zu klein"},
}

var outcomes = []string{"Interesse an Starter-Box", "kein Bedarf", "Rückruf vereinbart", "Muster gewünscht",
	"Preisliste angefragt", "Entscheidung nächste Woche", "nicht erreicht", "Termin vereinbart"}
