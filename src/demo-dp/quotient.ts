// The demo's family quotient: fictitious, derived from the citizen's sub so that the same person
// gets the same figure at every call. Never a real person's data.
import { createHash } from 'node:crypto';

export interface QuotientFamilial {
  readonly quotient_familial: number;
  readonly annee: number;
  readonly mois: number;
  /** The sub the SP received: the API knows the citizen by it, nothing else. */
  readonly allocataire: string;
}

/** Between 200 and 2199 euros, a plausible range. */
const LOWEST = 200;
const SPREAD = 2000;

export function fictitiousQuotient(sub: string, now: Date = new Date()): QuotientFamilial {
  const digest = createHash('sha256').update(sub).digest();
  return {
    quotient_familial: LOWEST + (digest.readUInt32BE(0) % SPREAD),
    annee: now.getUTCFullYear(),
    mois: now.getUTCMonth() + 1,
    allocataire: sub,
  };
}
