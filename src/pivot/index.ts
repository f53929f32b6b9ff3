// The pivot module: pure functions from an IdP's claims to a validated pivot, its key and a `sub`.
export { mapIdentityProviderClaims, PIVOT_CLAIMS, type Pivot, type PivotClaim } from './claims.ts';
export { IDENTITY_KEY_VERSION, identityKey, normaliseName } from './identity-key.ts';
export { deriveSub } from './sub.ts';
export { FRANCE, type PivotProblem, type PivotValidation, validatePivot } from './validate.ts';
