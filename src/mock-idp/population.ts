// Who a mock IdP serves: FranceConnect-style citizens (the default) or ProConnect-style agents.
import { agentsAt, type MockAgent } from './agents.ts';
import { MOCK_IDENTITIES, type MockIdentity } from './identities.ts';

export type Population = 'citizens' | 'agents';

/** What the login page and findAccount need of a fictitious person, citizen or agent. */
export interface MockPerson {
  readonly id: string;
  readonly label: string;
  readonly sub: string;
  readonly claims: Readonly<{ given_name: string; email: string }>;
}

export function peopleOf(
  population: Population,
  emailDomain: string,
): readonly MockIdentity[] | readonly MockAgent[] {
  return population === 'agents' ? agentsAt(emailDomain) : MOCK_IDENTITIES;
}
