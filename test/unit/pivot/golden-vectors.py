#!/usr/bin/env python3
# Independent reference for golden-vectors.json (identity key v1 and sub), written apart from
# src/pivot so that the vectors are not the TypeScript code's own output.
# Run once: python3 test/unit/pivot/golden-vectors.py > test/unit/pivot/golden-vectors.json
# Changing these vectors changes every sub in production.
import hashlib, hmac, json, re, unicodedata

SECRET = 'golden-test-secret-0123456789abcdef'
SEP = '\u001f'
CLAIMS = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry']
WHOLE = {'\u0152': 'OE', '\u00c6': 'AE', '\u1e9e': 'SS', '\u00d8': 'O', '\u0141': 'L', '\u0110': 'D'}
PUNCT = set("'\u2019\u2018\u02bc`-\u2010\u2011\u2012\u2013\u2014.")

def normalise(name):
    s = ''.join(c for c in unicodedata.normalize('NFKD', name) if not unicodedata.category(c).startswith('M'))
    s = ''.join(WHOLE.get(c, c) for c in s.upper())
    s = ''.join(' ' if c in PUNCT else c for c in s)
    return re.sub(r'\s+', ' ', s).strip()

def key(p):
    fields = [normalise(p['given_name']), normalise(p['family_name']), p['birthdate'], p['gender'],
              p['birthplace'].upper(), p['birthcountry']]
    return SEP.join(['v1'] + fields)

def sub(sector, k):
    return hmac.new(SECRET.encode(), (sector + SEP + k).encode('utf-8'), hashlib.sha256).hexdigest()

def person(given, family, birthdate, gender, birthplace, birthcountry):
    return dict(zip(CLAIMS, [given, family, birthdate, gender, birthplace, birthcountry]))

CASES = [
    ('born in Paris', 'sp-demo', person('Marie', 'DUPONT', '1985-04-12', 'female', '75056', '99100')),
    ('same person, another sector', 'sector-impots', person('Marie', 'DUPONT', '1985-04-12', 'female', '75056', '99100')),
    ('several given names with a hyphen, Lyon', 'sp-demo', person('Jean-Pierre Louis', 'MARTIN', '1972-11-03', 'male', '69123', '99100')),
    ('same person spelled by another IdP', 'sp-demo', person('JEAN PIERRE  LOUIS', 'Martin', '1972-11-03', 'male', '69123', '99100')),
    ('accents, typographic apostrophe, Feb 29, Marseille', 'sp-demo', person('\u00c9lo\u00efse', 'N\u2019Diaye', '2000-02-29', 'female', '13055', '99100')),
    ('decomposed accents (NFD) of the same person', 'sp-demo', person('E\u0301loi\u0308se', "N'DIAYE", '2000-02-29', 'female', '13055', '99100')),
    ('ligatures, born in Ajaccio', 'sp-demo', person('L\u00e6titia Oph\u00e9lie', 'de l\u2019\u0152uvre-Baptiste', '1999-12-31', 'female', '2A004', '99100')),
    ('born in Bastia, code sent in lowercase, dots', 'sp-demo', person('Ange M.', "O'Brien", '1950-01-01', 'male', '2b033', '99100')),
    ('born in Spain', 'sp-demo', person('Carmen', 'Garc\u00eda L\u00f3pez', '1990-07-15', 'female', '', '99134')),
    ('sharp s and stroke letters, born in Germany', 'sp-demo', person('J\u00fcrgen \u0141ukasz', 'Stra\u00dfer S\u00f8rensen', '1961-05-20', 'male', '', '99109')),
]

vectors = []
for description, sector, p in CASES:
    k = key(p)
    vectors.append({'description': description, 'sector': sector, 'pivot': p, 'identityKey': k, 'sub': sub(sector, k)})
print(json.dumps({
    'warning': 'Changing these vectors changes every sub in production.',
    'secret': SECRET,
    'vectors': vectors,
}, indent=2, ensure_ascii=True))
