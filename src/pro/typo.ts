// "Did you mean …?" when an agent mistypes their email's domain (gouv.rf, gmial.com): compared
// with the domains the registry routes and common webmails, by edit distance.
import { domainMatches } from './identity.ts';

export const COMMON_EMAIL_DOMAINS: readonly string[] = [
  'gmail.com',
  'outlook.fr',
  'outlook.com',
  'hotmail.fr',
  'hotmail.com',
  'yahoo.fr',
  'yahoo.com',
  'orange.fr',
  'wanadoo.fr',
  'free.fr',
  'sfr.fr',
  'laposte.net',
  'icloud.com',
  'gouv.fr',
];

/** Optimal string alignment distance: Levenshtein where swapping two neighbours costs 1. */
export function osaDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table are enough: the transposition looks two back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, before[j - 2]! + 1);
      }
      current[j] = distance;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

// Two edits in a short domain would turn almost anything into a webmail.
function maxDistance(a: string, b: string): number {
  return Math.min(a.length, b.length) < 8 ? 1 : 2;
}

/**
 * The likely intended domain, or undefined when `domain` is known, when nothing is close enough,
 * or when two different corrections are equally close. `known` is the registry's email domains
 * plus COMMON_EMAIL_DOMAINS. A known domain of N labels is compared with the whole domain and with
 * its last N labels, keeping the leading ones (police.interieur.gouv.rf → police.interieur.gouv.fr).
 * A domain under a known one is correct as far as that one goes (agent.gouv.fr under gouv.fr): it
 * is only compared with more specific known domains (interieru.gouv.fr → interieur.gouv.fr).
 */
export function suggestDomain(domain: string, known: readonly string[]): string | undefined {
  const typed = domain.trim().toLowerCase();
  if (typed.length === 0 || known.some((listed) => listed.toLowerCase() === typed)) return undefined;
  const labels = typed.split('.');
  const labelCount = (listed: string): number => listed.split('.').length;
  // The most specific known domain `typed` is under: only a more specific one may correct it.
  const coveredLabels = Math.max(
    0,
    ...known.filter((listed) => domainMatches(typed, listed)).map(labelCount),
  );
  let bestDistance = Number.POSITIVE_INFINITY;
  const suggestions = new Set<string>();
  const consider = (part: string, listed: string, suggestion: string): void => {
    if (Math.abs(part.length - listed.length) > maxDistance(part, listed)) return;
    const distance = osaDistance(part, listed);
    if (distance > maxDistance(part, listed) || distance > bestDistance) return;
    if (distance < bestDistance) suggestions.clear();
    bestDistance = distance;
    suggestions.add(suggestion);
  };
  for (const entry of known) {
    const listed = entry.toLowerCase();
    const listedLabels = labelCount(listed);
    if (listedLabels <= coveredLabels) continue;
    consider(typed, listed, listed);
    if (labels.length > listedLabels) {
      const leading = labels.slice(0, labels.length - listedLabels).join('.');
      consider(labels.slice(-listedLabels).join('.'), listed, `${leading}.${listed}`);
    }
  }
  return suggestions.size === 1 ? [...suggestions][0] : undefined;
}
