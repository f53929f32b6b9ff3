// Fictitious professionals for the ProConnect profile: each one exercises a case of the ProConnect
// claims that a hub must carry unchanged (all optional claims, none, accents, a contractor…).
// Organisations are invented; SIREN and SIRET numbers only have valid Luhn keys.

export interface MockAgentClaims {
  given_name: string;
  /** Nom d'usage: ProConnect's only family name. */
  usual_name: string;
  /** The local part only: the IdP's `emailDomain` completes it (see `agentsAt`). */
  email: string;
  /** The IdP's own identifier of the agent. */
  uid: string;
  /** The establishment: 14 digits, Luhn key; its first 9 digits are the SIREN. */
  siret: string;
  /** 9 digits, Luhn key, the SIRET's first 9 digits. */
  siren?: string;
  phone?: string;
  organizational_unit?: string;
  belonging_population?: string;
  chorusdt?: string;
}

export interface MockAgent {
  /** Stable slug, the value of the login page's `identity` button. */
  readonly id: string;
  readonly label: string;
  /** The IdP's technical identifier: stable across restarts, never reused. */
  readonly sub: string;
  readonly claims: Readonly<MockAgentClaims>;
}

export const MOCK_AGENTS: readonly MockAgent[] = Object.freeze([
  {
    id: 'agent',
    label: 'Camille Dupont — agente, toutes les données (Régie fictive des eaux de Valmont)',
    sub: 'be21f11afdb2e0cb02dada4a665fa500daad619b1097c808e253d182ac51ea37v1',
    claims: {
      given_name: 'Camille',
      usual_name: 'Dupont',
      email: 'camille.dupont',
      uid: 'ag-1001',
      siret: '91742035800017',
      siren: '917420358',
      phone: '01 99 00 10 01',
      organizational_unit: 'Direction du numérique',
      belonging_population: 'agent',
      chorusdt: 'e0001001',
    },
  },
  {
    id: 'agent-minimal',
    label: 'Noé Garnier — données obligatoires seulement (Coopérative imaginaire du Bocage)',
    sub: 'f62fa4be216d3d830ab70cd78565df89c32ce9bf3d0f47ebc60ae661f038fb4fv1',
    claims: {
      given_name: 'Noé',
      usual_name: 'Garnier',
      email: 'noe.garnier',
      uid: 'ag-1002',
      siret: '83516927700026',
    },
  },
  {
    id: 'agent-siren-phone',
    label: 'Inès Bouchard — SIREN et téléphone (Ateliers chimériques de Lormont)',
    sub: 'aa6fcedb1f93ebbec6811e3a0c32df44128cc637a5a1ae347bf766526b8b4857v1',
    claims: {
      given_name: 'Inès',
      usual_name: 'Bouchard',
      email: 'ines.bouchard',
      uid: 'ag-1003',
      siret: '94028461500033',
      siren: '940284615',
      phone: '+33 1 99 00 10 03',
    },
  },
  {
    id: 'agent-accents',
    label: 'Anaïs-Éléonore Lefèvre-N’Guessan — accents, stagiaire (Agence inventée du Val-Fleuri)',
    sub: '9167f2d10b91beac4cae1ebe6571f7bb6e3597f57a66357e4240c68d665e4e6av1',
    claims: {
      given_name: 'Anaïs-Éléonore',
      usual_name: 'Lefèvre-N’Guessan',
      email: 'anais.lefevre-nguessan',
      uid: 'ag-1004',
      siret: '87305519800014',
      organizational_unit: 'Service d’études « Prospective & Territoires »',
      belonging_population: 'stagiaire',
    },
  },
  {
    id: 'agent-contractor',
    label: 'Yann Le Goff — prestataire (Société fantaisiste de conseil)',
    sub: 'f9e35bbcb5ff4e232864ed11919c54b405302ce9a192372568fec8485f84f5c4v1',
    claims: {
      given_name: 'Yann',
      usual_name: 'Le Goff',
      email: 'yann.le-goff',
      uid: 'ag-1005',
      siret: '90264873200045',
      siren: '902648732',
      organizational_unit: 'Équipe projet externe',
      belonging_population: 'prestataire',
    },
  },
]);

/** The agents as an IdP of that email domain asserts them: `email` is `<local>@<emailDomain>`. */
export function agentsAt(emailDomain: string): readonly MockAgent[] {
  return Object.freeze(
    MOCK_AGENTS.map((agent) => ({
      ...agent,
      claims: { ...agent.claims, email: `${agent.claims.email}@${emailDomain}` },
    })),
  );
}
