package demo

// city is a real city of a territory: its postal codes (first and last of
// the city's range; the generator picks codes inside it), its area code
// without the leading 0, and its population in thousands; for resorts
// the number is what their hotels and restaurants make them count as
// (Ischgl has 1,600 inhabitants and a thousand beds per hundred of them).
// A city's share of the leads follows population^cityExponent: the
// Zipf-like skew of real territories (Berlin holds many leads, Weimar
// few), a little flatter than the population's, as restaurants are.
type city struct {
	name       string
	plzFrom    int
	plzTo      int
	areaCode   string
	population int
}

// cityTable lists the cities of the three territories. Postal codes are 5 digits in DE, 4 in
// CH and AT. Cities that share an area code (Nürnberg and Fürth) share it
// here too: phone numbers stay unique because the subscriber number is
// unique per city and area code (see phoneNumber).
var cityTable = map[string][]city{
	"DE": {
		{"Berlin", 10115, 14199, "30", 3850}, {"Hamburg", 20095, 22769, "40", 1900}, {"München", 80331, 81929, "89", 1510},
		{"Köln", 50667, 51149, "221", 1080}, {"Frankfurt am Main", 60306, 60599, "69", 770}, {"Stuttgart", 70173, 70629, "711", 630},
		{"Düsseldorf", 40210, 40629, "211", 620}, {"Leipzig", 4103, 4357, "341", 620}, {"Dortmund", 44135, 44388, "231", 590},
		{"Essen", 45127, 45359, "201", 580}, {"Bremen", 28195, 28779, "421", 570}, {"Dresden", 1067, 1328, "351", 560},
		{"Hannover", 30159, 30669, "511", 540}, {"Nürnberg", 90402, 90491, "911", 530}, {"Duisburg", 47051, 47279, "203", 500},
		{"Bochum", 44787, 44894, "234", 365}, {"Wuppertal", 42103, 42399, "202", 355}, {"Bielefeld", 33602, 33739, "521", 335},
		{"Bonn", 53111, 53229, "228", 335}, {"Münster", 48143, 48167, "251", 320}, {"Mannheim", 68159, 68309, "621", 315},
		{"Karlsruhe", 76131, 76229, "721", 308}, {"Augsburg", 86150, 86199, "821", 300}, {"Wiesbaden", 65183, 65207, "611", 280},
		{"Mönchengladbach", 41061, 41239, "2161", 262}, {"Gelsenkirchen", 45879, 45899, "209", 262}, {"Aachen", 52062, 52080, "241", 250},
		{"Braunschweig", 38100, 38126, "531", 250}, {"Kiel", 24103, 24159, "431", 247}, {"Chemnitz", 9111, 9247, "371", 245},
		{"Halle (Saale)", 6108, 6132, "345", 240}, {"Magdeburg", 39104, 39130, "391", 237}, {"Freiburg im Breisgau", 79098, 79117, "761", 231},
		{"Krefeld", 47798, 47839, "2151", 227}, {"Mainz", 55116, 55131, "6131", 220}, {"Lübeck", 23552, 23570, "451", 218},
		{"Erfurt", 99084, 99099, "361", 214}, {"Oberhausen", 46045, 46149, "208", 210}, {"Rostock", 18055, 18147, "381", 209},
		{"Kassel", 34117, 34134, "561", 202}, {"Hagen", 58089, 58135, "2331", 189}, {"Potsdam", 14467, 14482, "331", 183},
		{"Saarbrücken", 66111, 66133, "681", 180}, {"Hamm", 59063, 59077, "2381", 180}, {"Ludwigshafen am Rhein", 67059, 67071, "621", 172},
		{"Oldenburg", 26121, 26135, "441", 170}, {"Mülheim an der Ruhr", 45468, 45481, "208", 170}, {"Osnabrück", 49074, 49090, "541", 165},
		{"Leverkusen", 51371, 51381, "214", 163}, {"Darmstadt", 64283, 64297, "6151", 160}, {"Heidelberg", 69115, 69126, "6221", 160},
		{"Solingen", 42651, 42719, "212", 159}, {"Herne", 44623, 44653, "2323", 156}, {"Neuss", 41460, 41472, "2131", 153},
		{"Regensburg", 93047, 93059, "941", 153}, {"Paderborn", 33098, 33109, "5251", 152}, {"Ingolstadt", 85049, 85059, "841", 139},
		{"Offenbach am Main", 63065, 63075, "69", 132}, {"Würzburg", 97070, 97084, "931", 127}, {"Fürth", 90762, 90768, "911", 129},
		{"Ulm", 89073, 89081, "731", 127}, {"Heilbronn", 74072, 74081, "7131", 126}, {"Pforzheim", 75172, 75181, "7231", 125},
		{"Wolfsburg", 38440, 38448, "5361", 124}, {"Göttingen", 37073, 37085, "551", 118}, {"Bottrop", 46236, 46244, "2041", 117},
		{"Reutlingen", 72760, 72770, "7121", 116}, {"Koblenz", 56068, 56077, "261", 114}, {"Bremerhaven", 27568, 27580, "471", 113},
		{"Recklinghausen", 45657, 45665, "2361", 111}, {"Erlangen", 91052, 91058, "9131", 113}, {"Bergisch Gladbach", 51427, 51469, "2202", 111},
		{"Trier", 54290, 54296, "651", 111}, {"Jena", 7743, 7751, "3641", 110}, {"Remscheid", 42853, 42899, "2191", 111},
		{"Salzgitter", 38226, 38259, "5341", 104}, {"Siegen", 57072, 57080, "271", 102}, {"Gütersloh", 33330, 33335, "5241", 101},
		{"Hildesheim", 31134, 31141, "5121", 101}, {"Cottbus", 3042, 3055, "355", 98}, {"Kaiserslautern", 67655, 67663, "631", 100},
		{"Witten", 58452, 58456, "2302", 96}, {"Schwerin", 19053, 19063, "385", 96}, {"Gera", 7545, 7557, "365", 93},
		{"Zwickau", 8056, 8066, "375", 88}, {"Flensburg", 24937, 24944, "461", 92}, {"Konstanz", 78462, 78467, "7531", 85},
		{"Bamberg", 96047, 96052, "951", 77}, {"Lüneburg", 21335, 21339, "4131", 76}, {"Bayreuth", 95444, 95448, "921", 74},
		{"Weimar", 99423, 99427, "3643", 65}, {"Rosenheim", 83022, 83026, "8031", 64}, {"Stralsund", 18435, 18439, "3831", 59},
		{"Baden-Baden", 76530, 76534, "7221", 55}, {"Passau", 94032, 94036, "851", 53}, {"Garmisch-Partenkirchen", 82467, 82467, "8821", 27},
		{"Sylt", 25980, 25980, "4651", 18}, {"Berchtesgaden", 83471, 83471, "8652", 8}, {"Rüdesheim am Rhein", 65385, 65385, "6722", 10},
		{"Heringsdorf", 17424, 17424, "38378", 15}, {"Binz", 18609, 18609, "38393", 15}, {"Timmendorfer Strand", 23669, 23669, "4503", 12},
		{"Cuxhaven", 27472, 27478, "4721", 48}, {"Norderney", 26548, 26548, "4932", 15}, {"Bad Reichenhall", 83435, 83435, "8651", 18},
		{"Füssen", 87629, 87629, "8362", 16}, {"Oberstdorf", 87561, 87561, "8322", 15}, {"Lindau (Bodensee)", 88131, 88131, "8382", 25},
		{"Titisee-Neustadt", 79822, 79822, "7651", 12}, {"Bad Kissingen", 97688, 97688, "971", 22}, {"Rothenburg ob der Tauber", 91541, 91541, "9861", 12},
		{"Cochem", 56812, 56812, "2671", 8}, {"Bernkastel-Kues", 54470, 54470, "6531", 8}, {"Quedlinburg", 6484, 6484, "3946", 24},
		{"Wernigerode", 38855, 38855, "3943", 32}, {"Eisenach", 99817, 99819, "3691", 42}, {"Görlitz", 2826, 2828, "3581", 56},
		{"Meißen", 1662, 1662, "3521", 28}, {"Bautzen", 2625, 2625, "3591", 38}, {"Landshut", 84028, 84036, "871", 73},
		{"Kempten (Allgäu)", 87435, 87439, "831", 70}, {"Fulda", 36037, 36043, "661", 70}, {"Marburg", 35037, 35043, "6421", 77},
		{"Gießen", 35390, 35398, "641", 90}, {"Tübingen", 72070, 72076, "7071", 91}, {"Esslingen am Neckar", 73728, 73734, "711", 94},
		{"Ludwigsburg", 71634, 71642, "7141", 94}, {"Friedrichshafen", 88045, 88048, "7541", 61}, {"Celle", 29221, 29229, "5141", 70},
	},
	"CH": {
		{"Zürich", 8001, 8057, "44", 420}, {"Genf", 1201, 1209, "22", 205}, {"Basel", 4001, 4059, "61", 175},
		{"Lausanne", 1003, 1018, "21", 140}, {"Bern", 3001, 3027, "31", 135}, {"Winterthur", 8400, 8411, "52", 117},
		{"Luzern", 6003, 6015, "41", 83}, {"St. Gallen", 9000, 9016, "71", 76}, {"Lugano", 6900, 6917, "91", 63},
		{"Biel/Bienne", 2500, 2505, "32", 56}, {"Thun", 3600, 3608, "33", 44}, {"Köniz", 3097, 3098, "31", 42},
		{"La Chaux-de-Fonds", 2300, 2306, "32", 37}, {"Fribourg", 1700, 1708, "26", 38}, {"Schaffhausen", 8200, 8208, "52", 37},
		{"Chur", 7000, 7007, "81", 37}, {"Uster", 8610, 8610, "44", 35}, {"Vernier", 1214, 1214, "22", 35},
		{"Sion", 1950, 1951, "27", 34}, {"Neuchâtel", 2000, 2000, "32", 33}, {"Lancy", 1212, 1213, "22", 33},
		{"Emmen", 6032, 6032, "41", 31}, {"Zug", 6300, 6304, "41", 30}, {"Yverdon-les-Bains", 1400, 1400, "24", 30},
		{"Dübendorf", 8600, 8600, "44", 30}, {"Kriens", 6010, 6010, "41", 28}, {"Rapperswil-Jona", 8640, 8645, "55", 27},
		{"Montreux", 1820, 1820, "21", 26}, {"Dietikon", 8953, 8953, "44", 28}, {"Baar", 6340, 6340, "41", 24},
		{"Wetzikon", 8620, 8623, "44", 25}, {"Aarau", 5000, 5004, "62", 22}, {"Baden", 5400, 5406, "56", 20},
		{"Olten", 4600, 4600, "62", 19}, {"Davos", 7270, 7270, "81", 11}, {"Zermatt", 3920, 3920, "27", 6},
		{"Interlaken", 3800, 3800, "33", 6}, {"St. Moritz", 7500, 7500, "81", 5}, {"Grindelwald", 3818, 3818, "33", 4},
		{"Arosa", 7050, 7050, "81", 8}, {"Crans-Montana", 3963, 3963, "27", 10}, {"Verbier", 1936, 1936, "27", 8},
		{"Saas-Fee", 3906, 3906, "27", 6}, {"Engelberg", 6390, 6390, "41", 8}, {"Wengen", 3823, 3823, "33", 4},
		{"Ascona", 6612, 6612, "91", 8}, {"Locarno", 6600, 6605, "91", 16}, {"Bellinzona", 6500, 6503, "91", 44},
		{"Martigny", 1920, 1920, "27", 20}, {"Nyon", 1260, 1260, "22", 22}, {"Vevey", 1800, 1800, "21", 20},
		{"Solothurn", 4500, 4500, "32", 17}, {"Frauenfeld", 8500, 8500, "52", 26}, {"Wil", 9500, 9500, "71", 24},
		{"Kreuzlingen", 8280, 8280, "71", 23}, {"Zofingen", 4800, 4800, "62", 12}, {"Langenthal", 4900, 4900, "62", 16},
		{"Burgdorf", 3400, 3400, "34", 16}, {"Gstaad", 3780, 3780, "33", 6}, {"Appenzell", 9050, 9050, "71", 6},
		{"Einsiedeln", 8840, 8840, "55", 16}, {"Brig", 3900, 3900, "27", 13}, {"Visp", 3930, 3930, "27", 8},
	},
	"AT": {
		{"Wien", 1010, 1230, "1", 1980}, {"Graz", 8010, 8063, "316", 300}, {"Linz", 4020, 4040, "732", 210},
		{"Salzburg", 5020, 5026, "662", 157}, {"Innsbruck", 6020, 6080, "512", 132}, {"Klagenfurt am Wörthersee", 9020, 9073, "463", 104},
		{"Villach", 9500, 9524, "4242", 64}, {"Wels", 4600, 4600, "7242", 63}, {"Sankt Pölten", 3100, 3107, "2742", 56},
		{"Dornbirn", 6850, 6850, "5572", 51}, {"Wiener Neustadt", 2700, 2700, "2622", 47}, {"Steyr", 4400, 4400, "7252", 38},
		{"Feldkirch", 6800, 6800, "5522", 35}, {"Bregenz", 6900, 6900, "5574", 30}, {"Leonding", 4060, 4060, "732", 29},
		{"Klosterneuburg", 3400, 3400, "2243", 27}, {"Baden", 2500, 2500, "2252", 26}, {"Leoben", 8700, 8700, "3842", 25},
		{"Wolfsberg", 9400, 9400, "4352", 25}, {"Krems an der Donau", 3500, 3500, "2732", 25}, {"Traun", 4050, 4050, "7229", 24},
		{"Amstetten", 3300, 3300, "7472", 23}, {"Lustenau", 6890, 6890, "5577", 23}, {"Kapfenberg", 8605, 8605, "3862", 22},
		{"Mödling", 2340, 2340, "2236", 21}, {"Hallein", 5400, 5400, "6245", 21}, {"Kufstein", 6330, 6330, "5372", 19},
		{"Traiskirchen", 2514, 2514, "2252", 19}, {"Schwechat", 2320, 2320, "1", 17}, {"Braunau am Inn", 5280, 5280, "7722", 17},
		{"Spittal an der Drau", 9800, 9800, "4762", 15}, {"Saalfelden", 5760, 5760, "6582", 16}, {"Tulln an der Donau", 3430, 3430, "2272", 16},
		{"Bad Ischl", 4820, 4820, "6132", 14}, {"Kitzbühel", 6370, 6370, "5356", 8}, {"Zell am See", 5700, 5700, "6542", 10},
		{"Hallstatt", 4830, 4830, "6134", 4}, {"Sölden", 6450, 6450, "5254", 15}, {"Schladming", 8970, 8970, "3687", 12},
		{"Seefeld in Tirol", 6100, 6100, "5212", 12}, {"Ischgl", 6561, 6561, "5444", 15}, {"Lech", 6764, 6764, "5583", 10},
		{"Mayrhofen", 6290, 6290, "5285", 12}, {"Obergurgl", 6456, 6456, "5256", 6}, {"Bad Gastein", 5640, 5640, "6434", 10},
		{"Velden am Wörther See", 9220, 9220, "4274", 10}, {"St. Anton am Arlberg", 6580, 6580, "5446", 12}, {"Saalbach", 5753, 5753, "6541", 12},
		{"Kaprun", 5710, 5710, "6547", 8}, {"Mariazell", 8630, 8630, "3882", 5}, {"Bad Hofgastein", 5630, 5630, "6432", 8},
		{"Kirchberg in Tirol", 6365, 6365, "5357", 8}, {"Pörtschach am Wörther See", 9210, 9210, "4272", 6}, {"Melk", 3390, 3390, "2752", 6},
		{"Dürnstein", 3601, 3601, "2711", 3}, {"Rust", 7071, 7071, "2685", 4}, {"Podersdorf am See", 7141, 7141, "2177", 4},
		{"Mondsee", 5310, 5310, "6232", 5}, {"St. Wolfgang im Salzkammergut", 5360, 5360, "6138", 6}, {"Gmunden", 4810, 4810, "7612", 13},
		{"Bad Aussee", 8990, 8990, "3622", 6}, {"Lienz", 9900, 9900, "4852", 12}, {"Schwaz", 6130, 6130, "5242", 14},
		{"Hall in Tirol", 6060, 6060, "5223", 14}, {"Wörgl", 6300, 6300, "5332", 14}, {"Imst", 6460, 6460, "5412", 11},
		{"Bludenz", 6700, 6700, "5552", 14}, {"Eisenstadt", 7000, 7000, "2682", 15}, {"Neusiedl am See", 7100, 7100, "2167", 9},
		{"Bruck an der Mur", 8600, 8600, "3862", 16}, {"Judenburg", 8750, 8750, "3572", 10}, {"Ried im Innkreis", 4910, 4910, "7752", 12},
		{"Vöcklabruck", 4840, 4840, "7672", 12}, {"Zwettl", 3910, 3910, "2822", 11}, {"Stockerau", 2000, 2000, "2266", 17},
		{"Korneuburg", 2100, 2100, "2262", 13},
	},
}

// Vienna's postal codes are 1010, 1020, ... 1230: the district in the
// middle two digits.
func postalCode(territory string, c city, r uint64) string {
	if c.name == "Wien" {
		return itoa4(1000 + 10*int(1+r%23))
	}
	n := c.plzFrom + int(r%uint64(c.plzTo-c.plzFrom+1))
	if territory == "DE" {
		return pad5(n)
	}
	return itoa4(n)
}

func pad5(n int) string {
	b := []byte("00000")
	for i := 4; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func itoa4(n int) string { return pad5(n)[1:] }

// mobilePrefixes are mobile network prefixes (without the leading 0) and
// the length of their subscriber numbers.
var mobilePrefixes = map[string][]struct {
	prefix string
	digits int
}{
	"DE": {{"151", 8}, {"160", 7}, {"170", 7}, {"171", 7}, {"172", 7}, {"175", 7}, {"176", 8}, {"177", 8}, {"178", 8}, {"179", 8}},
	"CH": {{"76", 7}, {"77", 7}, {"78", 7}, {"79", 7}},
	"AT": {{"650", 7}, {"660", 7}, {"664", 7}, {"676", 7}, {"680", 7}, {"699", 8}},
}

// countryCallingCode of each territory.
var countryCallingCode = map[string]string{"DE": "49", "CH": "41", "AT": "43"}

// tlds of company domains per territory, with weights.
var tlds = map[string][]weighted[string]{
	"DE": {{"de", 85}, {"com", 8}, {"eu", 3}, {"net", 2}, {"berlin", 1}, {"info", 1}},
	"CH": {{"ch", 85}, {"com", 10}, {"swiss", 3}, {"net", 2}},
	"AT": {{"at", 85}, {"com", 8}, {"co.at", 4}, {"wien", 1}, {"net", 2}},
}

// freemail are the mail providers small businesses use instead of a domain
// of their own.
var freemail = map[string][]string{
	"DE": {"gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "freenet.de"},
	"CH": {"bluewin.ch", "gmx.ch", "gmail.com", "hispeed.ch", "sunrise.ch"},
	"AT": {"gmx.at", "aon.at", "chello.at", "gmail.com", "a1.net"},
}
