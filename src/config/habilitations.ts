// DataPass habilitations: scopes granted to an SP until a calendar day in Europe/Paris. Pure: the
// caller gives the time, so the registry applies them at each request and the tests pick the day.
import { type Habilitation, type ServiceProvider, splitScope } from './federation.ts';

/** 'YYYY-MM-DD' as the calendar reads in Paris at that instant (summer and winter time alike). */
const PARIS_DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export function parisDay(now: Date): string {
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    PARIS_DAY.formatToParts(now).find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** In force through the whole of its `expires_at` day, Paris time (ISO dates compare as strings). */
export function inForce(habilitation: Pick<Habilitation, 'expires_at'>, now: Date): boolean {
  return parisDay(now) <= habilitation.expires_at;
}

/** What the SP may ask for now: its own `scope`, then the scopes of its habilitations in force. */
export function allowedScope(sp: Pick<ServiceProvider, 'scope' | 'habilitations'>, now: Date): string {
  const granted = (sp.habilitations ?? []).filter((h) => inForce(h, now)).flatMap((h) => h.scopes);
  return splitScope([sp.scope, ...granted].join(' ')).join(' ');
}

/** One SP on the public register (GET /habilitations): public fields only, never a secret. */
export interface RegisterEntry {
  client_id: string;
  name: string;
  /** The SP's own scope, without its habilitations. */
  scope: string;
  habilitations: Array<{ id: string; scopes: string[]; expires_at: string; in_force: boolean }>;
}

/** The register of these SPs (the active ones, raw), by name. */
export function registerOf(sps: readonly ServiceProvider[], now: Date): RegisterEntry[] {
  return sps
    .map((sp) => ({
      client_id: sp.client_id,
      name: sp.client_name,
      scope: splitScope(sp.scope).join(' '),
      habilitations: (sp.habilitations ?? []).map((h) => ({
        id: h.id,
        scopes: [...h.scopes],
        expires_at: h.expires_at,
        in_force: inForce(h, now),
      })),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, 'fr') || a.client_id.localeCompare(b.client_id));
}
