"""Countries: a name or code as a school writes it -> ISO 3166 alpha-2, and alpha-2 -> French name.

A pure data table (all of Europe and the académie's main partner countries elsewhere). Matching ignores
case, accents, punctuation, hyphens and spaces, a leading article ("la Suisse", "the Netherlands") and a
parenthesised or comma-separated precision ("allemagne (Bade-Wurtemberg)" -> DE).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """One country: ISO codes, French name with its preposition ("en Allemagne"), English and native names."""

    code: str
    alpha3: str
    name_fr: str
    in_fr: str
    name_en: str
    native: tuple[str, ...]
    aliases: tuple[str, ...]


# code | alpha-3 | French name | French "in" preposition | English name | native names ; … | aliases ; …
_TABLE = """
AL|ALB|Albanie|en|Albania|Shqipëria;Shqipëri|
AD|AND|Andorre|en|Andorra|Andorra|
AM|ARM|Arménie|en|Armenia|Հայաստան;Hayastan|
AT|AUT|Autriche|en|Austria|Österreich|
AZ|AZE|Azerbaïdjan|en|Azerbaijan|Azərbaycan|
BY|BLR|Biélorussie|en|Belarus|Беларусь;Bielaruś|Bélarus
BE|BEL|Belgique|en|Belgium|België;Belgien|
BA|BIH|Bosnie-Herzégovine|en|Bosnia and Herzegovina|Bosna i Hercegovina|Bosnie;Bosnia
BG|BGR|Bulgarie|en|Bulgaria|България;Bulgaria|
HR|HRV|Croatie|en|Croatia|Hrvatska|
CY|CYP|Chypre|à|Cyprus|Κύπρος;Kıbrıs|
CZ|CZE|Tchéquie|en|Czechia|Česko;Česká republika|République tchèque;Czech Republic
DK|DNK|Danemark|au|Denmark|Danmark|
EE|EST|Estonie|en|Estonia|Eesti|
FI|FIN|Finlande|en|Finland|Suomi|
FR|FRA|France|en|France|France|
GE|GEO|Géorgie|en|Georgia|საქართველო;Sakartvelo|
DE|DEU|Allemagne|en|Germany|Deutschland;Bundesrepublik Deutschland|RFA;République fédérale d'Allemagne
GR|GRC|Grèce|en|Greece|Ελλάδα;Ellada;Hellas|
HU|HUN|Hongrie|en|Hungary|Magyarország|
IS|ISL|Islande|en|Iceland|Ísland|
IE|IRL|Irlande|en|Ireland|Éire|République d'Irlande
IT|ITA|Italie|en|Italy|Italia|
XK|XKX|Kosovo|au|Kosovo|Kosova;Косово|
LV|LVA|Lettonie|en|Latvia|Latvija|
LI|LIE|Liechtenstein|au|Liechtenstein|Liechtenstein|
LT|LTU|Lituanie|en|Lithuania|Lietuva|
LU|LUX|Luxembourg|au|Luxembourg|Lëtzebuerg;Luxemburg|
MT|MLT|Malte|à|Malta|Malta|
MD|MDA|Moldavie|en|Moldova|Moldova|République de Moldavie;Republic of Moldova
MC|MCO|Monaco|à|Monaco|Monaco|
ME|MNE|Monténégro|au|Montenegro|Crna Gora;Црна Гора|
NL|NLD|Pays-Bas|aux|Netherlands|Nederland|Hollande;Holland
MK|MKD|Macédoine du Nord|en|North Macedonia|Северна Македонија;Severna Makedonija|Macédoine;Macedonia
NO|NOR|Norvège|en|Norway|Norge;Noreg|
PL|POL|Pologne|en|Poland|Polska|
PT|PRT|Portugal|au|Portugal|Portugal|
RO|ROU|Roumanie|en|Romania|România|
RU|RUS|Russie|en|Russia|Россия;Rossiya|Fédération de Russie;Russian Federation
SM|SMR|Saint-Marin|à|San Marino|San Marino|
RS|SRB|Serbie|en|Serbia|Србија;Srbija|
SK|SVK|Slovaquie|en|Slovakia|Slovensko|
SI|SVN|Slovénie|en|Slovenia|Slovenija|
ES|ESP|Espagne|en|Spain|España;Espanya;Espainia|
SE|SWE|Suède|en|Sweden|Sverige|
CH|CHE|Suisse|en|Switzerland|Schweiz;Svizzera;Svizra|Confédération suisse
UA|UKR|Ukraine|en|Ukraine|Україна;Ukraïna|
GB|GBR|Royaume-Uni|au|United Kingdom|United Kingdom|UK;Grande-Bretagne;Great Britain;Angleterre;England;Écosse;Scotland;Pays de Galles;Wales;Irlande du Nord;Northern Ireland
VA|VAT|Vatican|au|Vatican City|Città del Vaticano|Saint-Siège;Holy See;Cité du Vatican
TR|TUR|Turquie|en|Turkey|Türkiye|
US|USA|États-Unis|aux|United States|United States|US;États-Unis d'Amérique;United States of America
CA|CAN|Canada|au|Canada|Canada|
MX|MEX|Mexique|au|Mexico|México|
BR|BRA|Brésil|au|Brazil|Brasil|
AR|ARG|Argentine|en|Argentina|Argentina|
CL|CHL|Chili|au|Chile|Chile|
CO|COL|Colombie|en|Colombia|Colombia|
PE|PER|Pérou|au|Peru|Perú|
UY|URY|Uruguay|en|Uruguay|Uruguay|
CU|CUB|Cuba|à|Cuba|Cuba|
HT|HTI|Haïti|en|Haiti|Haïti;Ayiti|
JP|JPN|Japon|au|Japan|日本;Nippon;Nihon|
CN|CHN|Chine|en|China|中国;Zhongguo|République populaire de Chine;People's Republic of China
TW|TWN|Taïwan|à|Taiwan|臺灣;台灣|
KR|KOR|Corée du Sud|en|South Korea|대한민국;한국;Hanguk|République de Corée;Republic of Korea;Korea, Republic of
IN|IND|Inde|en|India|भारत;Bharat|
VN|VNM|Viêt Nam|au|Vietnam|Việt Nam|
TH|THA|Thaïlande|en|Thailand|ประเทศไทย;Prathet Thai|
ID|IDN|Indonésie|en|Indonesia|Indonesia|
SG|SGP|Singapour|à|Singapore|Singapura|
PH|PHL|Philippines|aux|Philippines|Pilipinas|
AU|AUS|Australie|en|Australia|Australia|
NZ|NZL|Nouvelle-Zélande|en|New Zealand|Aotearoa|
UZ|UZB|Ouzbékistan|en|Uzbekistan|Oʻzbekiston|
KZ|KAZ|Kazakhstan|au|Kazakhstan|Қазақстан;Qazaqstan|
MA|MAR|Maroc|au|Morocco|المغرب;Al-Maghrib|
DZ|DZA|Algérie|en|Algeria|الجزائر;Al-Djazaïr|
TN|TUN|Tunisie|en|Tunisia|تونس;Tounes|
EG|EGY|Égypte|en|Egypt|مصر;Misr|
IL|ISR|Israël|en|Israel|ישראל;Yisrael|
LB|LBN|Liban|au|Lebanon|لبنان;Lubnan|
JO|JOR|Jordanie|en|Jordan|الأردن;Al-Urdun|
AE|ARE|Émirats arabes unis|aux|United Arab Emirates|الإمارات العربية المتحدة|EAU;UAE;Émirats
QA|QAT|Qatar|au|Qatar|قطر|
SA|SAU|Arabie saoudite|en|Saudi Arabia|السعودية|
SN|SEN|Sénégal|au|Senegal|Sénégal|
CI|CIV|Côte d'Ivoire|en|Ivory Coast|Côte d'Ivoire|
CM|CMR|Cameroun|au|Cameroon|Cameroun;Cameroon|
ML|MLI|Mali|au|Mali|Mali|
BF|BFA|Burkina Faso|au|Burkina Faso|Burkina Faso|
BJ|BEN|Bénin|au|Benin|Bénin|
TG|TGO|Togo|au|Togo|Togo|
GN|GIN|Guinée|en|Guinea|Guinée|
NE|NER|Niger|au|Niger|Niger|
TD|TCD|Tchad|au|Chad|Tchad|
MR|MRT|Mauritanie|en|Mauritania|موريتانيا|
GA|GAB|Gabon|au|Gabon|Gabon|
CG|COG|Congo|au|Republic of the Congo|Congo|Congo-Brazzaville;République du Congo
CD|COD|République démocratique du Congo|en|Democratic Republic of the Congo|République démocratique du Congo|RDC;DRC;Congo-Kinshasa
MG|MDG|Madagascar|à|Madagascar|Madagasikara|
MU|MUS|Maurice|à|Mauritius|Maurice|Île Maurice
NG|NGA|Nigeria|au|Nigeria|Nigeria|
GH|GHA|Ghana|au|Ghana|Ghana|
KE|KEN|Kenya|au|Kenya|Kenya|
ET|ETH|Éthiopie|en|Ethiopia|ኢትዮጵያ|
ZA|ZAF|Afrique du Sud|en|South Africa|Suid-Afrika;South Africa|
"""

_ARTICLES = ("l ", "la ", "le ", "les ", "the ", "die ", "el ")
_BRACKETED = re.compile(r"[(\[{].*?(?:[)\]}]|$)")
_PRECISION = re.compile(r"\s*(?:[,;/:|]|\s[-–—]\s)")


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Royaume-Uni" and "royaume uni" give "royaume uni"."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in kept).split()
    return " ".join(words)


def _strip_article(key: str) -> str:
    for article in _ARTICLES:
        if key.startswith(article) and len(key) > len(article):
            return key[len(article) :]
    return key


def _parse_table() -> tuple[tuple[Country, ...], dict[str, str]]:
    countries: list[Country] = []
    index: dict[str, str] = {}
    for line in _TABLE.strip().splitlines():
        code, alpha3, name_fr, prep, name_en, native, aliases = line.split("|")
        in_fr = f"{prep} {name_fr}"
        country = Country(
            code=code,
            alpha3=alpha3,
            name_fr=name_fr,
            in_fr=in_fr,
            name_en=name_en,
            native=tuple(n for n in native.split(";") if n),
            aliases=tuple(a for a in aliases.split(";") if a),
        )
        countries.append(country)
        for name in (code, alpha3, name_fr, name_en, *country.native, *country.aliases):
            key = _strip_article(fold(name))
            other = index.setdefault(key, code)
            if other != code:  # pragma: no cover - guarded by a unit test on the table
                raise ValueError(f"country key {key!r} maps to both {other} and {code}")
    return tuple(countries), index


COUNTRIES, _INDEX = _parse_table()
_BY_CODE = {c.code: c for c in COUNTRIES}


def _lookup(text: str) -> str | None:
    key = fold(text)
    if not key:
        return None
    return _INDEX.get(key) or _INDEX.get(_strip_article(key))


def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 code for a country name (French, English, native) or code, or None if unknown."""
    if not text or not text.strip():
        return None
    found = _lookup(text)
    if found is None:
        found = _lookup(_BRACKETED.sub(" ", text))
    if found is None:
        found = _lookup(_PRECISION.split(_BRACKETED.sub(" ", text), maxsplit=1)[0])
    return found


def get_country(code: str) -> Country | None:
    """The table entry for an alpha-2 code (any case), or None."""
    return _BY_CODE.get(code.strip().upper())


def country_name_fr(code: str) -> str | None:
    """French name of an alpha-2 code ("DE" -> "Allemagne"), or None."""
    country = get_country(code)
    return country.name_fr if country else None


def country_name_en(code: str) -> str | None:
    """English name of an alpha-2 code ("DE" -> "Germany"), or None."""
    country = get_country(code)
    return country.name_en if country else None


def french_name(code: str) -> str:
    """French name for display ("DE" -> "Allemagne"); an unknown code is returned as given."""
    return country_name_fr(code) or code
