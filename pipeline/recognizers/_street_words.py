"""Word lists of the international street address recognizer (``street_address_intl``):
street words of many languages, words that are never part of a street, apartment markers."""

from __future__ import annotations

# Street words that come first: "Rua Augusta", "Calle Mayor", "Odos Diakou". Any case...
PREFIX_KEYWORDS = (
    "rua", "rúa", "rue", "viale", "vicolo", "vico", "piazza", "piazzale", "piazzetta", "contrada",
    "lungomare", "calle", "avenida", "avda.", "avda", "av.", "avd.", "paseo", "passeig", "plaça",
    "praça", "carrer", "carretera", "ctra.", "crta.", "rambla", "travesía", "travessa", "tv.",
    "estrada", "alameda", "rodovia", "urbanización", "urb.", "boulevard", "bd.", "chemin",
    "allée", "impasse", "quai", "trg", "náměstí", "nám.", "ulica", "odos", "leoforos", "plateia",
    "sokak", "cadde", "strada", "ul.", "al.", "os.", "οδός", "οδος", "οδ.", "λεωφόρος", "λεωφ.",
    "λ.", "πλατεία", "incrocio", "traversa", "vicoletto",
    "calea", "str.", "bulevardul", "aleea", "drumul", "intrarea",
    "soseaua", "șoseaua", "splaiul", "piața", "piata", "quadra", "trecho", "recanto",
    "condomínio", "estação", "ladeira", "travessa", "viela", "vereda", "rodovia",
    "blv.", "cl.", "cra.", "carrera", "avinguda", "carreró", "pasaje",
    "calzada", "cerrada", "retorno", "prolongación", "andador", "periférico", "viaducto",
    "callejón", "continuación",
)
# ... and capitalised only, as they are English words too ("sent via Royal Mail 2 days ago").
CAPITALISED_PREFIXES = (
    "Via", "Largo", "Corso", "Borgo", "Salita", "Camino", "Ronda", "Plaza", "Cours", "Colonia",
    "Quinta", "R.", "R", "Avenue", "Place", "Route", "Rte", "Pl.", "Na", "Vila", "Setor",
    "Conjunto", "Residencial", "Distrito", "Campo", "Canale", "Rione", "Diagonal", "Stretto",
    "Rotonda", "Galleria", "Privada", "Circuito", "Corredor",
)
# Word endings that make a word a street name: "Koskikatu", "Storgatan", "Nørregade".
STREET_SUFFIXES = (
    "vej", "vejen", "gade", "stræde", "vænget", "vænge", "plads", "torv", "allé", "katu", "kuja",
    "polku", "tie", "gatan", "vägen", "väg", "gränd", "stigen", "torget", "backen", "veien",
    "vegen", "vei", "veg", "gata", "gaten", "plass", "stien", "svingen", "straße", "strasse",
    "gasse", "weg", "platz", "allee", "damm", "ufer", "pfad", "steig", "straat", "laan",
    "plein", "gracht", "dreef", "singel", "steeg", "utca", "iela", "gatvė", "tänav", "ulica",
    "cesta", "ulice", "stígur", "braut", "vegur", "stræti", "caddesi", "sokağı", "sokak", "str",
)
# ... of which these end English words too ("Brigade", "Bowtie"): capitalised words only.
RISKY_SUFFIXES = ("tie", "gade", "weg", "damm", "steig", "vei", "veg")
ENGLISH_ENDINGS = frozenset(
    "brigade renegade escapade cavalcade blockade barricade grenade cascade stockade arcade"
    " necktie bowtie hogtie cutie sweetie".split()
)
# Street words that are a street name on their own, capitalised: "Gata 3".
LONE_STREET_WORDS = frozenset(
    ("Gata", "Gatan", "Gade", "Vej", "Vejen", "Veien", "Vegen", "Utca", "Iela", "Ulica", "Cesta", "Straße", "Strasse", "Tänav")
)
# Type words after the name: "Brīvības iela", "Síp utca", "Gedimino pr.", "Václavské nám.".
TYPE_WORDS = (
    "utca", "u.", "út", "útja", "körút", "krt.", "tér", "köz", "fasor", "iela", "gatvė", "g.",
    "pr.", "prospektas", "tänav", "mnt", "mnt.", "maantee", "puiestee", "pst.", "tee", "põik",
    "plass", "vei", "veien", "veg", "vegen", "gata", "gatan", "väg", "vägen", "vej", "gade",
    "straße", "strasse", "str.", "gasse", "weg", "platz", "allee", "ulica", "cesta", "ulice",
    "náměstí", "nám.", "třída", "tř.", "nábřeží", "aqq.", "sokak", "sok.", "cadde", "cad.",
    "caddesi", "allé", "alle", "street", "st.", "road", "rd.", "avenue", "ave.", "boulevard",
    "blvd.", "blvd",
)
# Number-first streets: "29 rue Grande Fusterie", "137 Avenue Teboulbi", "65 R. Mongi Bali".
NUMBER_FIRST_KEYWORDS = ("rue", "avenue", "boulevard", "bd", "bd.", "chemin", "allée", "impasse", "quai")
NUMBER_FIRST_CAPITALISED = ("R.", "Cours", "Place", "Route")
# Lower-case words inside capitalised names: "Fuente del Gallo", "Jiřího z Poděbrad".
PARTICLES = (
    "de", "da", "do", "dos", "das", "del", "della", "delle", "dei", "degli", "di", "du", "des",
    "la", "le", "les", "el", "los", "las", "y", "e", "z", "ze", "u", "na", "nad", "pod", "van",
    "von", "der", "den", "ter", "ten", "het", "am", "an", "im", "zum", "zur", "auf", "sur",
)
# Lower-case words that end a place name or a number-first street ("..., Estonia for this
# card", "29 rue Grande Fusterie St. the first"): function words, chat words, unit words.
STOP_WORDS = (
    "a", "about", "above", "after", "again", "against", "ago", "all", "also", "am", "an", "and",
    "any", "are", "around", "as", "asap", "at", "be", "because", "been", "before", "being",
    "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing",
    "done", "down", "during", "each", "either", "else", "every", "few", "for", "from",
    "further", "get", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "last", "later", "less",
    "many", "may", "me", "might", "mine", "more", "most", "much", "must", "my", "near", "need",
    "next", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our",
    "ours", "out", "over", "own", "per", "please", "pls", "plz", "same", "she", "should",
    "since", "so", "some", "soon", "such", "than", "thank", "thanks", "thx", "that", "the",
    "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through",
    "till", "to", "today", "tomorrow", "tonight", "too", "under", "until", "up", "upon", "us",
    "very", "via", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "within", "would", "yes", "yesterday", "yet", "you", "your", "yours",
    "ok", "okay", "hi", "hello", "hey", "regards", "cheers", "best", "kind", "dear", "sir",
    "madam", "instead", "already", "still", "ever", "never", "always", "apt", "apartment",
    "suite", "ste", "unit", "flat", "floor", "fl", "room", "rm", "box", "nr", "items", "item",
    "times", "pcs", "x",
    # Polish function words: Polish chat runs through the same recognizers.
    "w", "we", "na", "o", "od", "po", "za", "dla", "bez", "przy", "lub", "albo", "oraz", "jest",
    "są", "nie", "tak", "czy", "mam", "ma", "się", "że", "bo", "jak", "ale",
)
# Words that are no street: "12 March 2024", "Windows 10", "Article 50", "Room 12", "Apt. 5".
NOT_STREET = frozenset(
    w.lower()
    for w in """
    January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday Mon Tue Tues Wed Thu Thurs Fri Sat Sun Styczeń Luty Marzec Kwiecień Maj
    Czerwiec Lipiec Sierpień Wrzesień Październik Listopad Grudzień Stycznia Lutego Marca
    Kwietnia Maja Czerwca Lipca Sierpnia Września Października Listopada Grudnia
    Article Art Chapter Section Sec Paragraph Para Verse Page Pages Table Figure Fig Step Steps
    Level Round Season Episode Part Volume Vol Item Items Version Ver Release Update Build
    Patch Room Floor Gate Platform Terminal Seat Row Bus Line Flight Train Track Exit Zone
    Sector Lot Aisle Counter Desk Booth Pier Dock Berth Stage Phase Day Days Week Weeks Month
    Months Year Years Hour Hours Minute Minutes Min Mins Secs Second Seconds Top Class Grade
    Group Team Player Number Nr No Num Order Orders Ticket Case Invoice Ref Reference Code Pin
    Id Size Sizes Qty Quantity Pack Set Sets Batch Model Series Type Mark Mk Gen Generation
    Windows Win Android Ios Ipados Macos Osx Chrome Firefox Safari Edge Opera Office Excel
    Word Outlook Teams Zoom Skype Slack Python Java Node Ubuntu Debian Fedora Galaxy Pixel
    Iphone Ipad Xbox Playstation Ps Switch Wii Nintendo Nokia Huawei Xiaomi Samsung Apple
    Google Microsoft Amazon Kindle Echo Alexa Siri Tesla Bmw Audi Mercedes Toyota Honda Ford
    Covid Score Vs Versus Pm Am Gmt Utc Cet Est Pst Usd Eur Gbp Pln Chf Sek Nok Dkk Czk Huf
    Zł Zl Euro Euros Dollar Dollars Pound Pounds Cent Cents Km Kg Mb Gb Tb Kb Hz Mhz Ghz Mp
    Fps Hdmi Usb Dvd Cd Tv Hd Uhd Rtx Gtx Gpu Cpu Ram Apt Apartment Appt Suite Ste Unit Flat
    Box Po Mr Mrs Ms Dr Prof Tel Phone Fax Mobile Cell Psalm Psalms Genesis Exodus John Luke
    Matthew Corinthians Revelation Iso Rfc En Din Gdpr Rodo Cat Category Kids Children Adults
    People Persons Guests Nights Tickets Seats Bed Beds Bedroom Bedrooms Bath Baths Bathrooms
    Stars Points Pts Lives Goals Games Wins Losses Laps Rounds Reps Lessons Units Credits Tabs
    Nip Regon Pesel Krs Iban Bic Swift Sort Card Karta Kartą Karty Konto Konta Account Acct
    Rachunek Rachunku Telefon Tel Nr Numer Zamówienie Zamówienia Faktura Fv Paczka Przesyłka
    Ssn Vat Tax Etf Nikkei Dax Ftse Nasdaq Index Unknown Building Bldg Station Warehouse Block
    Hall Wing Tower Marketing Sales Support Accounting Finance Hr It Reception Lobby Parking
    Grams Gram Cups Cup Liters Litres Tablets Pills Doses Pairs Boxes Bags Bottles Packs
    """.split()
)

UNIT_WORDS = (
    "apt", "apartment", "appt", "suite", "ste", "unit", "flat", "fl", "floor", "no", "nr", "room",
    "rm", "wohnung", "whg", "lok", "lokal", "m", "door", "bldg", "building",
    # Romance languages: "Piano 4", "Appartamento 80", "Dto. 1", "Bl. 39 Sc. 16 Ap. 979"
    "piso", "puerta", "pta", "esc", "escalera", "dto", "depto", "departamento", "oficina", "local",
    "torre", "andar", "sala", "bloco", "lote", "apto", "piano", "appartamento", "interno", "int",
    "scala", "étage", "etage", "bte", "bl", "sc", "ap", "et",
)
