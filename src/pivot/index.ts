// The pivot module: pure functions from an IdP's claims to a validated pivot (and the
// claims beside it), its key and a `sub`.

export { mapIdentityProviderClaims, PIVOT_CLAIMS, type Pivot, type PivotClaim } from './claims.ts';
export {
  AMR_MAX_VALUES,
  AUTH_TIME_SKEW,
  type Checked,
  COMPLEMENTARY_CLAIMS,
  type ComplementaryClaim,
  validateAmr,
  validateAuthTime,
  validateComplementaryClaims,
} from './complementary.ts';
export { IDENTITY_KEY_VERSION, identityKey, normaliseName } from './identity-key.ts';
export { deriveSub } from './sub.ts';
export { FRANCE, type PivotProblem, type PivotValidation, validatePivot } from './validate.ts';
