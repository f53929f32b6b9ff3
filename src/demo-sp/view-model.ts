// What the pages show, as plain rows: the templates only loop and print (autoescaped).
import type { LogoutReceipt, LogoutTokenRefusal } from './backchannel-logout.ts';
import type { DataProviderAnswer } from './data-provider.ts';
import { type DemoSpError, type ReceivedResponse, relaisCodeOf } from './errors.ts';
import type { Authentication } from './relais-client.ts';
import type { Scenario } from './sandbox.ts';

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

/** Why a logout token was refused, for the page that lists them. */
const REFUSAL_LABELS: Readonly<Record<LogoutTokenRefusal, string>> = {
  missing_token: 'requête sans logout_token',
  malformed: 'ce n’est pas un JWT signé',
  bad_typ: 'en-tête typ inattendu',
  bad_signature: 'signature non vérifiée',
  bad_issuer: 'émetteur (iss) inattendu',
  bad_audience: 'destinataire (aud) inattendu',
  expired: 'jeton expiré ou trop ancien',
  bad_dates: 'dates (iat, exp) absentes ou invalides',
  missing_jti: 'identifiant jti absent',
  bad_events: 'événement de déconnexion absent (events)',
  no_subject: 'ni sid ni sub',
  bad_subject: 'sid ou sub invalide',
  nonce_present: 'nonce présent (interdit)',
  replayed: 'jeton déjà reçu (jti rejoué)',
};

export interface LogoutReceiptRow {
  /** ISO 8601, for the <time> element. */
  readonly datetime: string;
  readonly time: string;
  readonly sid: string;
  readonly outcome: string;
  readonly accepted: boolean;
}

export function logoutReceiptRows(receipts: readonly LogoutReceipt[]): LogoutReceiptRow[] {
  return receipts.map(({ at, sidDigest, outcome }) => ({
    datetime: at.toISOString(),
    time: `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    sid: sidDigest === undefined ? '—' : `sha256:${sidDigest}…`,
    outcome: describeOutcome(outcome),
    accepted: outcome.kind === 'ended',
  }));
}

function describeOutcome(outcome: LogoutReceipt['outcome']): string {
  switch (outcome.kind) {
    case 'ended':
      if (outcome.sessions === 0) return 'Acceptée : aucune session ouverte ici';
      return `Acceptée : ${outcome.sessions} session${outcome.sessions > 1 ? 's fermées' : ' fermée'}`;
    case 'refused':
      return `Refusée : ${REFUSAL_LABELS[outcome.refusal]}`;
    case 'unverifiable':
      return 'Non traitée : clés de Relais injoignables';
  }
}

/**
 * The rest of an error Relais redirected: its `state` and `iss`. Only an answer whose both passed
 * the checks gets this far (openid-client, RFC 9207): the rows say so.
 */
export function receivedRows(received: ReceivedResponse, issuer: string): Row[] {
  return [
    {
      name: 'state',
      label: 'État',
      value:
        received.state === undefined
          ? '(absent) — vérifié : la demande n’en avait pas envoyé'
          : `${received.state} — vérifié : celui envoyé par ce navigateur`,
    },
    {
      name: 'iss',
      label: 'Émetteur',
      value:
        received.iss === undefined
          ? '(absent)'
          : `${received.iss} — vérifié : l’émetteur de Relais (${issuer.replace(/\/$/, '')})`,
    },
  ];
}

export interface ScenarioCheck {
  readonly code: string;
  readonly title: string;
  readonly expected: string;
  readonly matches: boolean;
}

/** A sandbox login's error against what its scenario expects (error and Relais code). */
export function scenarioCheck(error: DemoSpError, scenario: Scenario | undefined): ScenarioCheck | undefined {
  if (scenario === undefined) return undefined;
  return {
    code: scenario.code,
    title: scenario.title,
    expected: `${scenario.error} [${scenario.code}]`,
    matches:
      error.oauthError === scenario.error && relaisCodeOf(error.oauthErrorDescription) === scenario.code,
  };
}
