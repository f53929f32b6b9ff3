// The error sandbox (demo mode only): every Relais error that can reach an SP's redirect_uri,
// produced by the hub's own code path. A scenario is an authorization request crafted to fail, a
// normal login in which the citizen does what the error is about (leaves, refuses), or a normal
// login whose next visit to the mock IdP goes wrong on purpose (an armed misbehaviour).
// Nothing here writes an error: the hub does, and the callback shows what arrived.
import type { Misbehaviour } from '../mock-idp/index.ts';
import type { RequestOverrides } from './relais-client.ts';

export type SandboxProfile = 'franceconnect' | 'proconnect';

/** What the demo wires in (src/demo.ts): the bundled mock IdP's one-shot faults. */
export interface SandboxHooks {
  /** The demo's profile: its own scenarios (ProConnect's agents go through the email page). */
  readonly profile: SandboxProfile;
  /**
   * Faults for the next login at the demo's mock IdP (ProConnect: the ministry's), undefined
   * disarms: see MockIdp.armNextLogin.
   */
  armMockIdp(misbehaviour: Misbehaviour | undefined): void;
}

export interface Scenario {
  /** The Relais code the SP should receive, also the scenario's id. */
  readonly code: string;
  /** The OAuth `error` expected with it. */
  readonly error: string;
  readonly title: string;
  /** How the hub is made to produce it, in a sentence. */
  readonly how: string;
  /** What the citizen does once the button is pressed (none: the answer comes back at once). */
  readonly steps: readonly string[];
  /** Changes to the authorization request. */
  readonly request?: RequestOverrides;
  /** Faults armed at the mock IdP for this one login. */
  readonly mockIdp?: Misbehaviour;
}

const PICK_IDP = 'Sur la mire de Relais, choisissez « Identité de démonstration ».';
const PICK_PERSON = 'Sur le fournisseur d’identité de démonstration, choisissez une personne.';
const LEAVE_MIRE =
  'De retour sur la mire (un bandeau nomme l’erreur), cliquez « Revenir à Service de démonstration ».';
const BACK_TO_SP = 'Sur la page d’erreur de Relais, cliquez « Revenir à Service de démonstration ».';

/** A login_hint one character over the hub's bound (320). */
const LONG_LOGIN_HINT = `${'a'.repeat(309)}@courriel.ex`;

export const SCENARIOS: readonly Scenario[] = [
  {
    code: 'R1003',
    error: 'invalid_scope',
    title: 'scope sans openid',
    how: 'La demande envoie scope=identite_pivot email, sans openid.',
    steps: [],
    request: { scope: 'identite_pivot email' },
  },
  {
    code: 'R1004',
    error: 'invalid_scope',
    title: 'scope address (retiré par FranceConnect v2)',
    how: 'La demande ajoute le scope address.',
    steps: [],
    request: { scope: 'openid identite_pivot address' },
  },
  {
    code: 'R1005',
    error: 'invalid_scope',
    title: 'scope non autorisé (DataPass)',
    how: 'La demande ajoute offline_access, que ce service n’a pas obtenu.',
    steps: [],
    request: { scope: 'openid identite_pivot offline_access' },
  },
  {
    code: 'R1006',
    error: 'invalid_request',
    title: 'state absent',
    how: 'La demande n’envoie pas de state : l’erreur revient sans state, et ce service ne peut la rattacher qu’à son cookie.',
    steps: [],
    request: { state: null },
  },
  {
    code: 'R1007',
    error: 'invalid_request',
    title: 'nonce trop court',
    how: 'La demande envoie nonce=court (22 caractères au moins sont exigés).',
    steps: [],
    request: { nonce: 'court' },
  },
  {
    code: 'R1008',
    error: 'invalid_request',
    title: 'prompt incomplet',
    how: 'La demande envoie prompt=login, sans consent.',
    steps: [],
    request: { prompt: 'login' },
  },
  {
    code: 'R1009',
    error: 'invalid_request',
    title: 'acr_values absent',
    how: 'La demande n’envoie pas d’acr_values.',
    steps: [],
    request: { acr_values: null },
  },
  {
    code: 'R1010',
    error: 'invalid_request',
    title: 'niveau non autorisé',
    how: 'La demande envoie acr_values=eidas3, que ce service ne peut pas demander (eidas1 et eidas2 seulement).',
    steps: [],
    request: { acr_values: 'eidas3' },
  },
  {
    code: 'R1012',
    error: 'invalid_request',
    title: 'idp_hint inconnu',
    how: 'La demande envoie idp_hint=fi-inconnu.',
    steps: [],
    request: { idp_hint: 'fi-inconnu' },
  },
  {
    code: 'R1013',
    error: 'invalid_request',
    title: 'refus d’oidc-provider (PKCE plain)',
    how: 'La demande envoie code_challenge_method=plain (S256 seulement).',
    steps: [],
    request: { code_challenge_method: 'plain' },
  },
  {
    code: 'R1015',
    error: 'invalid_request',
    title: 'paramètre trop long',
    how: 'La demande envoie un login_hint de 321 caractères (320 au plus).',
    steps: [],
    request: { login_hint: LONG_LOGIN_HINT },
  },
  {
    code: 'R2001',
    error: 'access_denied',
    title: 'annulation chez le fournisseur d’identité',
    how: 'Une connexion normale ; vous annulez chez le fournisseur d’identité, qui répond access_denied.',
    steps: [
      PICK_IDP,
      'Sur le fournisseur d’identité de démonstration, cliquez « Refuser / annuler ».',
      LEAVE_MIRE,
    ],
  },
  {
    code: 'R2002',
    error: 'temporarily_unavailable',
    title: 'fournisseur d’identité en panne',
    how: 'Le fournisseur d’identité de démonstration est piégé : son point d’échange de jetons répond 503.',
    steps: [PICK_IDP, PICK_PERSON, LEAVE_MIRE],
    mockIdp: { tokenStatus: 503 },
  },
  {
    code: 'R2003',
    error: 'server_error',
    title: 'réponse invalide du fournisseur d’identité',
    how: 'Le fournisseur d’identité de démonstration est piégé : la signature de son id_token est altérée.',
    steps: [PICK_IDP, PICK_PERSON, LEAVE_MIRE],
    mockIdp: { badSignature: true },
  },
  {
    code: 'R2004',
    error: 'access_denied',
    title: 'niveau atteint insuffisant',
    how: 'La demande exige eidas2 ; le fournisseur d’identité de démonstration est piégé pour n’atteindre qu’eidas1.',
    steps: [PICK_IDP, PICK_PERSON, LEAVE_MIRE],
    request: { acr_values: 'eidas2' },
    mockIdp: { acr: 'eidas1' },
  },
  {
    code: 'R2005',
    error: 'invalid_request',
    title: 'formulaire de la mire falsifié',
    how: 'Une connexion normale ; vous falsifiez le formulaire de la mire (seul geste à faire à la main : aucun tiers ne peut le faire à votre place, c’est le but).',
    steps: [
      'Sur la mire de Relais, ouvrez les outils de développement du navigateur et changez la valeur (value) du bouton « Identité de démonstration », name="idp", en fi-inconnu.',
      'Cliquez ce bouton.',
    ],
  },
  {
    code: 'R3001',
    error: 'access_denied',
    title: 'identité pivot invalide',
    how: 'Le fournisseur d’identité de démonstration est piégé : il affirme une date de naissance future (2999-01-01).',
    steps: [PICK_IDP, PICK_PERSON, LEAVE_MIRE],
    mockIdp: { claims: { birthdate: '2999-01-01' } },
  },
  {
    code: 'R4001',
    error: 'access_denied',
    title: 'départ depuis la mire',
    how: 'Une connexion normale ; vous quittez la mire sans choisir de compte.',
    steps: ['Sur la mire de Relais, cliquez « Revenir à Service de démonstration ».'],
  },
  {
    code: 'R4002',
    error: 'access_denied',
    title: 'refus du consentement',
    how: 'Une connexion normale ; vous refusez la transmission de vos données.',
    steps: [PICK_IDP, PICK_PERSON, 'Sur la page de consentement de Relais, cliquez « Refuser ».'],
  },
  {
    code: 'R4003',
    error: 'login_required',
    title: 'retour du fournisseur d’identité dans un autre navigateur',
    how: 'Le fournisseur d’identité de démonstration est piégé : en vous renvoyant à Relais, il efface le cookie qui lie la connexion à votre navigateur (le retour semble venir d’ailleurs).',
    steps: [PICK_IDP, PICK_PERSON, BACK_TO_SP],
    mockIdp: { dropHubBinding: true },
  },
  {
    code: 'R4004',
    error: 'login_required',
    title: 'formulaire non vérifiable (CSRF)',
    how: 'Le fournisseur d’identité de démonstration est piégé : il poste à Relais un consentement au jeton CSRF contrefait.',
    steps: [
      PICK_IDP,
      'Sur le fournisseur d’identité de démonstration, cliquez « Continuer vers Relais ».',
      BACK_TO_SP,
    ],
    mockIdp: { forgedHubForm: true },
  },
];

/** Codes that reach an SP but that the demo cannot produce by a button, and why. */
export const NOT_BY_A_BUTTON: ReadonlyArray<{ code: string; error: string; why: string }> = [
  {
    code: 'R1011',
    error: 'invalid_request',
    why: 'Aucun fournisseur d’identité ouvert au service ne sait délivrer le niveau demandé : ici, le fournisseur de démonstration délivre les trois niveaux.',
  },
  {
    code: 'R1016',
    error: 'invalid_request',
    why: 'Le niveau demandé exige des jetons chiffrés (ENCRYPTION_REQUIRED_FROM) : la démo ne le règle pas.',
  },
  {
    code: 'R5002',
    error: 'temporarily_unavailable',
    why: 'La mémoire de Relais est saturée (MEMORY_STORE_BUDGET_MB) : pas de saturation à la demande.',
  },
  {
    code: 'R5003',
    error: 'temporarily_unavailable',
    why: 'Le stockage de session (Redis) est injoignable : la démo tourne sans Redis.',
  },
  {
    code: 'R2006',
    error: 'access_denied',
    why: 'Profil ProConnect seulement : le niveau demandé exige un second facteur que le fournisseur d’identité n’a pas montré. Voir le bac à sable de PROFILE=proconnect npm start.',
  },
  {
    code: 'R2007',
    error: 'access_denied',
    why: 'Profil ProConnect seulement : aucun fournisseur d’identité ne sert le domaine de l’e-mail, et pas de fournisseur de repli.',
  },
  {
    code: 'R2008',
    error: 'access_denied',
    why: 'Profil ProConnect seulement : service réservé aux agents publics (public_agents_only).',
  },
  {
    code: 'R3002',
    error: 'access_denied',
    why: 'Profil ProConnect seulement : le fournisseur d’identité affirme un e-mail hors de ses domaines. Voir le bac à sable de PROFILE=proconnect npm start.',
  },
];

/** Errors shown on a Relais page only: nothing reaches the SP's redirect_uri. */
export const HUB_PAGE_ONLY: ReadonlyArray<{ code: string; why: string }> = [
  { code: 'R1001', why: 'client_id inconnu ou inactif : Relais ne peut pas faire confiance au retour.' },
  { code: 'R1002', why: 'redirect_uri non enregistrée à la lettre : idem.' },
  {
    code: 'R1013',
    why: 'aussi sur une page de Relais avant que la redirect_uri soit vérifiée (requête POST mal formée…).',
  },
  { code: 'R4005', why: 'page de Relais inconnue.' },
  { code: 'R5000', why: 'erreur interne de Relais.' },
  { code: 'R5001', why: 'trop de requêtes : page 429 de Relais, ou JSON 429 sur le canal arrière.' },
];

// ---- ProConnect's demo (PROFILE=proconnect): agents, routed by their email -------------------

const AGENT_EMAIL = 'camille.dupont@demo.gouv.fr';
const TYPE_EMAIL = `Sur la page de Relais, saisissez l’adresse ${AGENT_EMAIL} (le ministère de démonstration).`;
const PICK_AGENT = 'Sur le fournisseur d’identité du ministère, choisissez un agent.';
const LEAVE_EMAIL =
  'De retour sur la page de l’adresse e-mail (un bandeau nomme l’erreur), cliquez « Revenir à Service de démonstration (agents) ».';
const BACK_TO_PRO_SP =
  'Sur la page d’erreur de Relais, cliquez « Revenir à Service de démonstration (agents) ».';

/** The request scenarios that hold under ProConnect's rules too (see PRO_NOT_BY_A_BUTTON for the others). */
const PRO_REQUEST_CODES = ['R1003', 'R1006', 'R1007', 'R1010', 'R1012', 'R1013', 'R1015'];

export const PRO_SCENARIOS: readonly Scenario[] = [
  ...SCENARIOS.filter((scenario) => PRO_REQUEST_CODES.includes(scenario.code)).map((scenario) =>
    scenario.code === 'R1003'
      ? {
          ...scenario,
          how: 'La demande envoie scope=given_name email, sans openid.',
          request: { scope: 'given_name email' },
        }
      : scenario,
  ),
  {
    code: 'R2001',
    error: 'access_denied',
    title: 'annulation chez le fournisseur d’identité',
    how: 'Une connexion normale ; vous annulez chez le fournisseur d’identité, qui répond access_denied.',
    steps: [
      TYPE_EMAIL,
      'Sur le fournisseur d’identité du ministère, cliquez « Refuser / annuler ».',
      LEAVE_EMAIL,
    ],
  },
  {
    code: 'R2002',
    error: 'temporarily_unavailable',
    title: 'fournisseur d’identité en panne',
    how: 'Le fournisseur d’identité du ministère est piégé : son point d’échange de jetons répond 503.',
    steps: [TYPE_EMAIL, PICK_AGENT, LEAVE_EMAIL],
    mockIdp: { tokenStatus: 503 },
  },
  {
    code: 'R2003',
    error: 'server_error',
    title: 'réponse invalide du fournisseur d’identité',
    how: 'Le fournisseur d’identité du ministère est piégé : la signature de son id_token est altérée.',
    steps: [TYPE_EMAIL, PICK_AGENT, LEAVE_EMAIL],
    mockIdp: { badSignature: true },
  },
  {
    code: 'R2006',
    error: 'access_denied',
    title: 'second facteur absent',
    how: 'La demande exige eidas2 ; le fournisseur d’identité du ministère est piégé pour n’atteindre qu’eidas1, par mot de passe seul (amr pwd).',
    steps: [TYPE_EMAIL, PICK_AGENT, BACK_TO_PRO_SP],
    request: { acr_values: 'eidas2' },
    mockIdp: { acr: 'eidas1', amr: ['pwd'] },
  },
  {
    code: 'R3001',
    error: 'access_denied',
    title: 'identité professionnelle invalide',
    how: 'Le fournisseur d’identité du ministère est piégé : il affirme un SIRET dont la clé de Luhn est fausse.',
    steps: [TYPE_EMAIL, PICK_AGENT, LEAVE_EMAIL],
    mockIdp: { claims: { siret: '91742035800018' } },
  },
  {
    code: 'R3002',
    error: 'access_denied',
    title: 'e-mail hors des domaines du fournisseur d’identité',
    how: 'Le fournisseur d’identité du ministère (demo.gouv.fr) est piégé : il affirme une adresse en entreprise.example.',
    steps: [TYPE_EMAIL, PICK_AGENT, LEAVE_EMAIL],
    mockIdp: { claims: { email: 'camille.dupont@entreprise.example' } },
  },
  {
    code: 'R4001',
    error: 'access_denied',
    title: 'départ depuis la page de l’adresse e-mail',
    how: 'Une connexion normale ; vous quittez la page de l’adresse e-mail sans la saisir.',
    steps: ['Sur la page de Relais, cliquez « Revenir à Service de démonstration (agents) ».'],
  },
  {
    code: 'R4003',
    error: 'login_required',
    title: 'retour du fournisseur d’identité dans un autre navigateur',
    how: 'Le fournisseur d’identité du ministère est piégé : en vous renvoyant à Relais, il efface le cookie qui lie la connexion à votre navigateur.',
    steps: [TYPE_EMAIL, PICK_AGENT, BACK_TO_PRO_SP],
    mockIdp: { dropHubBinding: true },
  },
  {
    code: 'R4004',
    error: 'login_required',
    title: 'formulaire non vérifiable (CSRF)',
    how: 'Le fournisseur d’identité du ministère est piégé : il poste à Relais un consentement au jeton CSRF contrefait.',
    steps: [
      TYPE_EMAIL,
      'Sur le fournisseur d’identité du ministère, cliquez « Continuer vers Relais ».',
      BACK_TO_PRO_SP,
    ],
    mockIdp: { forgedHubForm: true },
  },
];

const PRO_NOT_BY_A_BUTTON: ReadonlyArray<{ code: string; error: string; why: string }> = [
  {
    code: 'R1004',
    error: 'invalid_scope',
    why: 'Règle de FranceConnect v2 seulement (scopes address et phone) : voir le bac à sable de npm start.',
  },
  {
    code: 'R1005',
    error: 'invalid_scope',
    why: 'Un scope connu mais non autorisé : le service de démonstration (agents) a obtenu chaque scope de ProConnect.',
  },
  {
    code: 'R1008',
    error: 'invalid_request',
    why: 'Règle de FranceConnect v2 seulement (prompt=login consent) : sous ProConnect, prompt est facultatif.',
  },
  {
    code: 'R1009',
    error: 'invalid_request',
    why: 'Règle de FranceConnect v2 seulement : sous ProConnect, acr_values est facultatif.',
  },
  {
    code: 'R2004',
    error: 'access_denied',
    why: 'Sous ProConnect, un niveau non atteint est un second facteur absent : R2006.',
  },
  {
    code: 'R2005',
    error: 'invalid_request',
    why: 'Un formulaire de choix du fournisseur d’identité falsifié : la démo route chaque adresse vers un seul fournisseur, sans page de choix à falsifier.',
  },
  {
    code: 'R2007',
    error: 'access_denied',
    why: 'Aucun fournisseur d’identité ne sert le domaine de l’adresse, et pas de repli : la démo a un fournisseur de repli pour toute autre adresse.',
  },
  {
    code: 'R2008',
    error: 'access_denied',
    why: 'Service réservé aux agents publics (public_agents_only) : le service de démonstration ne l’est pas.',
  },
  {
    code: 'R4002',
    error: 'access_denied',
    why: 'Refus du consentement : ProConnect ne montre pas de page de consentement.',
  },
  ...NOT_BY_A_BUTTON.filter(({ code }) => ['R1011', 'R1016', 'R5002', 'R5003'].includes(code)),
];

export interface Sandbox {
  readonly scenarios: readonly Scenario[];
  /** Codes that reach an SP but that this demo cannot produce by a button, and why. */
  readonly notByAButton: ReadonlyArray<{ code: string; error: string; why: string }>;
  readonly hubPageOnly: ReadonlyArray<{ code: string; why: string }>;
}

export function sandboxOf(profile: SandboxProfile): Sandbox {
  return profile === 'proconnect'
    ? { scenarios: PRO_SCENARIOS, notByAButton: PRO_NOT_BY_A_BUTTON, hubPageOnly: HUB_PAGE_ONLY }
    : { scenarios: SCENARIOS, notByAButton: NOT_BY_A_BUTTON, hubPageOnly: HUB_PAGE_ONLY };
}

export function scenarioOf(code: string, profile: SandboxProfile = 'franceconnect'): Scenario | undefined {
  return sandboxOf(profile).scenarios.find((scenario) => scenario.code === code);
}
