// Fictitious people only: each one exercises an edge case of the identité pivot that a hub must
// carry unchanged (accents, several given names, hyphens, apostrophes, Corsica, born abroad…).

export interface MockIdentityClaims {
  given_name: string;
  family_name: string;
  birthdate: string;
  gender: 'male' | 'female';
  /** INSEE commune code when born in France (99100), "" otherwise. */
  birthplace: string;
  /** INSEE country code, 99xxx. */
  birthcountry: string;
  email: string;
  /** Nom d'usage, when it differs from the birth name. */
  preferred_username?: string;
}

export interface MockIdentity {
  /** Stable slug, the value of the login page's `identity` button. */
  readonly id: string;
  readonly label: string;
  /** The IdP's technical identifier: stable across restarts, never reused. */
  readonly sub: string;
  readonly claims: Readonly<MockIdentityClaims>;
}

const FRANCE = '99100';

export const MOCK_IDENTITIES: readonly MockIdentity[] = Object.freeze([
  {
    id: 'standard',
    label: 'Camille Martin — née à Paris',
    sub: '9e64880cd81ac213d6602c7282a507bf289b66f0e766e66fee0f26d4f76b880bv1',
    claims: {
      given_name: 'Camille',
      family_name: 'Martin',
      birthdate: '1987-04-12',
      gender: 'female',
      birthplace: '75056',
      birthcountry: FRANCE,
      email: 'camille.martin@courriel.example',
    },
  },
  {
    id: 'born-abroad',
    label: 'Lucía García — née en Espagne',
    sub: '29b61a3610c7ea2198bda31bfcc5c6d3b2319e316a17daad4864602df9a0eb8fv1',
    claims: {
      given_name: 'Lucía',
      family_name: 'García',
      birthdate: '1990-11-02',
      gender: 'female',
      birthplace: '',
      birthcountry: '99134',
      email: 'lucia.garcia@courriel.example',
    },
  },
  {
    id: 'several-given-names',
    label: 'Jean Pierre Marie Durand — plusieurs prénoms, né à Lyon',
    sub: '5d439f7be2d448911892840aaf29b0aac4f2aaf8abee3adf9041cea36a987bfav1',
    claims: {
      given_name: 'Jean Pierre Marie',
      family_name: 'Durand',
      birthdate: '1962-07-30',
      gender: 'male',
      birthplace: '69123',
      birthcountry: FRANCE,
      email: 'jpm.durand@courriel.example',
    },
  },
  {
    id: 'accents',
    label: 'Éloïse Hélène Noël — accents, née à Marseille',
    sub: '561026438c1db0a63a733e8d35a7bb7d3c82dce1c244f475e0590eb2b8b59a42v1',
    claims: {
      given_name: 'Éloïse Hélène',
      family_name: 'Noël',
      birthdate: '1995-02-28',
      gender: 'female',
      birthplace: '13055',
      birthcountry: FRANCE,
      email: 'eloise.noel@courriel.example',
    },
  },
  {
    id: 'hyphenated',
    label: 'Marie-Claire Lefèvre-Morin — noms composés, née à Bordeaux',
    sub: 'ca560c4870398602307225c5ee870dec646090428a818f6bdba1eadcc1cf56e3v1',
    claims: {
      given_name: 'Marie-Claire',
      family_name: 'Lefèvre-Morin',
      birthdate: '1978-09-05',
      gender: 'female',
      birthplace: '33063',
      birthcountry: FRANCE,
      email: 'mc.lefevre-morin@courriel.example',
    },
  },
  {
    id: 'apostrophe',
    label: 'Moussa N’Diaye — apostrophe typographique, né à Toulouse',
    sub: 'bb459f6a1985c1fa39c56845b4c7e9e063d7465ded66a8414bfa14ecd63390d2v1',
    claims: {
      given_name: 'Moussa',
      family_name: 'N’Diaye',
      birthdate: '1983-12-01',
      gender: 'male',
      birthplace: '31555',
      birthcountry: FRANCE,
      email: 'moussa.ndiaye@courriel.example',
    },
  },
  {
    id: 'very-long-name',
    label: "Louis-Marie de Castelmoron d'Aubrac-… — nom très long, apostrophe droite",
    sub: '0023b5867adbc2dd167fe60ba5f01d6f8793fd4da15bceded94bc3b7bd84e869v1',
    claims: {
      given_name: 'Louis-Marie Henri Bertrand',
      family_name: "de Castelmoron d'Aubrac-Villefranche-Saint-Hilaire-des-Vignes",
      birthdate: '1950-01-01',
      gender: 'male',
      birthplace: '44109',
      birthcountry: FRANCE,
      email: 'lm.castelmoron@courriel.example',
    },
  },
  {
    id: 'born-in-corsica',
    label: 'Paul-Antoine Santoni — né à Ajaccio (2A004)',
    sub: '3330e659a64b8a472a8c20b182ec197233227a0001bde8e84f45dbde43ee4057v1',
    claims: {
      given_name: 'Paul-Antoine',
      family_name: 'Santoni',
      birthdate: '1972-06-18',
      gender: 'male',
      birthplace: '2A004',
      birthcountry: FRANCE,
      email: 'pa.santoni@courriel.example',
    },
  },
  {
    id: 'usage-name',
    label: 'Sophie Bernard, dite Moreau — nom d’usage, née à Lille',
    sub: '1e26cd029990d598e74657cf02476bef6ea8a133bae9e904c54d3a07eb6fcb45v1',
    claims: {
      given_name: 'Sophie',
      family_name: 'Bernard',
      preferred_username: 'Moreau',
      birthdate: '1980-05-20',
      gender: 'female',
      birthplace: '59350',
      birthcountry: FRANCE,
      email: 'sophie.moreau@courriel.example',
    },
  },
  {
    id: 'born-overseas',
    label: 'Thierry Lacroix — né à Pointe-à-Pitre (97120)',
    sub: '2c0c4e6f2741e38b9dd7ba33f2f8ff0e876e7b0cc3e66d963f3a6413dd92eecfv1',
    claims: {
      given_name: 'Thierry',
      family_name: 'Lacroix',
      birthdate: '1969-10-09',
      gender: 'male',
      birthplace: '97120',
      birthcountry: FRANCE,
      email: 'thierry.lacroix@courriel.example',
    },
  },
  {
    id: 'leap-day-born-abroad',
    label: 'Yasmine El Amrani — née un 29 février, au Maroc',
    sub: '0cd0ea2ba1fecf99c960461aceffd0ed59d551bd94b8d5d0ec7ffe073201f7eav1',
    claims: {
      given_name: 'Yasmine',
      family_name: 'El Amrani',
      birthdate: '2000-02-29',
      gender: 'female',
      birthplace: '',
      birthcountry: '99350',
      email: 'yasmine.elamrani@courriel.example',
    },
  },
  {
    id: 'extended-diacritics',
    label: 'Ngọc Anh Vũ — diacritiques hors Latin-1, née au Viêt Nam',
    sub: 'b70c2741688d1e9d19c13a7d34e6f5c650efed2d7b54760eb4a7e2c00e0a8530v1',
    claims: {
      given_name: 'Ngọc Anh',
      family_name: 'Vũ',
      birthdate: '1992-08-15',
      gender: 'female',
      birthplace: '',
      birthcountry: '99243',
      email: 'ngoc-anh.vu@courriel.example',
    },
  },
]);
