// What the pages show, as plain rows: the templates only loop and print (autoescaped).
import type { DataProviderAnswer } from './data-provider.ts';
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

/** The demo data provider's fields (src/demo-dp/); another provider's show under their own names. */
const DATA_PROVIDER_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['quotient_familial', 'Quotient familial'],
  ['annee', 'Année'],
  ['mois', 'Mois'],
  ['allocataire', 'Allocataire (le sub de l’usager pour ce service)'],
];

/** The data provider panel: its fields, or why the call failed (status and error, never the token). */
export type DataProviderPanel =
  | { readonly resource: string; readonly rows: Row[] }
  | { readonly resource: string; readonly failure: string };

export function claimRows(userinfo: Readonly<Record<string, unknown>>): Row[] {
  return labelledRows(userinfo, CLAIM_LABELS, JWT_CLAIMS);
}

export function dataProviderPanel(answer: DataProviderAnswer): DataProviderPanel {
  if (answer.ok)
    return { resource: answer.resource, rows: labelledRows(answer.fields, DATA_PROVIDER_LABELS) };
  const status = answer.status === undefined ? 'aucune réponse' : `HTTP ${answer.status}`;
  return { resource: answer.resource, failure: `${status} : ${answer.error}` };
}

/** Known fields first, in the order of `labels`; any other field follows under its own name. */
function labelledRows(
  record: Readonly<Record<string, unknown>>,
  labels: ReadonlyArray<readonly [string, string]>,
  hidden: ReadonlySet<string> = new Set(),
): Row[] {
  const known = new Map(labels);
  const rows: Row[] = [];
  for (const [name, label] of labels) {
    if (Object.hasOwn(record, name)) rows.push({ name, label, value: display(record[name]) });
  }
  for (const [name, value] of Object.entries(record)) {
    if (!known.has(name) && !hidden.has(name)) rows.push({ name, label: name, value: display(value) });
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
