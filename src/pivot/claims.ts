// The identité pivot: the six claims that identify a citizen (seed 004), and the per-IdP renaming.

export const PIVOT_CLAIMS = [
  'given_name',
  'family_name',
  'birthdate',
  'gender',
  'birthplace',
  'birthcountry',
] as const;
export type PivotClaim = (typeof PIVOT_CLAIMS)[number];

/** A validated identité pivot, values as the IdP sent them (trimmed); `birthplace` is "" when born abroad. */
export type Pivot = Record<PivotClaim, string>;

/**
 * Renames an IdP's claims to ours: for each `target → source` of the mapping, `result[target] =
 * claims[source]`. Unmapped claims pass through; no mapping returns an unchanged copy.
 */
export function mapIdentityProviderClaims(
  claims: Record<string, unknown>,
  mapping?: Record<string, string>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...claims };
  for (const [target, source] of Object.entries(mapping ?? {})) {
    // Own properties only, and defineProperty so that a "__proto__" name stays a plain key.
    const value = Object.hasOwn(claims, source) ? claims[source] : undefined;
    Object.defineProperty(result, target, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}
