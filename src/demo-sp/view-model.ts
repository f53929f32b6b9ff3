// What the pages show, as plain rows: the templates only loop and print (autoescaped).
import type { Authentication } from './relais-client.ts';

export interface Row {
  /** The claim or field name as it travels on the wire, shown for integrators. */
  readonly name: string;
  readonly label: string;
  readonly value: string;
}

/** Known claims first, in this order; any other claim follows under its own name. */
const CLAIM_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['given_name', 'Prénom(s)'],
  ['family_name', 'Nom de naissance'],
  ['preferred_username', 'Nom d’usage'],
  ['birthdate', 'Date de naissance'],
  ['gender', 'Sexe'],
  ['birthplace', 'Lieu de naissance (code INSEE)'],
  ['birthcountry', 'Pays de naissance (code INSEE)'],
  ['email', 'Adresse électronique'],
  // ProConnect: the professional identity.
  ['usual_name', 'Nom d’usage'],
  ['uid', 'Identifiant chez le fournisseur d’identité'],
  ['siret', 'SIRET de l’établissement'],
  ['siren', 'SIREN de l’entreprise'],
  ['organizational_unit', 'Service'],
  ['belonging_population', 'Population'],
  ['phone', 'Téléphone'],
  ['chorusdt', 'Chorus DT'],
  ['idp_id', 'Fournisseur d’identité'],
  ['idp_acr', 'Niveau déclaré par le fournisseur d’identité'],
  ['sub', 'Identifiant de l’usager pour ce service'],
];

/** The userinfo JWT's envelope, not facts about the citizen (iss is shown with the authentication). */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);

export function claimRows(userinfo: Readonly<Record<string, unknown>>): Row[] {
  const known = new Map(CLAIM_LABELS);
  const rows: Row[] = [];
  for (const [name, label] of CLAIM_LABELS) {
    if (Object.hasOwn(userinfo, name)) rows.push({ name, label, value: display(userinfo[name]) });
  }
  for (const [name, value] of Object.entries(userinfo)) {
    if (!known.has(name) && !JWT_CLAIMS.has(name)) rows.push({ name, label: name, value: display(value) });
  }
  return rows;
}

export function authenticationRows(authentication: Authentication): Row[] {
  const { authTime } = authentication;
  return [
    { name: 'iss', label: 'Émetteur', value: authentication.iss },
    { name: 'acr', label: 'Niveau de garantie', value: authentication.acr ?? '(absent)' },
    {
      name: 'amr',
      label: 'Méthodes d’authentification',
      value: authentication.amr?.join(', ') ?? '(absent)',
    },
    {
      name: 'auth_time',
      label: 'Heure de l’authentification',
      value: authTime === undefined ? '(absent)' : `${new Date(authTime * 1000).toISOString()} (${authTime})`,
    },
  ];
}

function display(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '(vide)' : value;
  return JSON.stringify(value) ?? String(value);
}
