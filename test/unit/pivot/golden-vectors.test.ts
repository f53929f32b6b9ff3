// CHANGING THESE VECTORS CHANGES EVERY SUB IN PRODUCTION: every SP would see its citizens as new
// people. The expected values come from golden-vectors.py, an independent Python implementation.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deriveSub, identityKey, PIVOT_CLAIMS, validatePivot } from '../../../src/pivot/index.ts';

const pivotSchema = z.object(Object.fromEntries(PIVOT_CLAIMS.map((claim) => [claim, z.string()]))).strict();
const golden = z
  .object({
    warning: z.string(),
    secret: z.string(),
    vectors: z
      .array(
        z.object({
          description: z.string(),
          sector: z.string(),
          pivot: pivotSchema,
          identityKey: z.string(),
          sub: z.string().regex(/^[0-9a-f]{64}$/),
        }),
      )
      .min(8),
  })
  .parse(JSON.parse(readFileSync(new URL('./golden-vectors.json', import.meta.url), 'utf8')));

describe('golden vectors (identity key v1, sub)', () => {
  it.each(golden.vectors)('$description', (vector) => {
    const checked = validatePivot(vector.pivot, { now: new Date('2025-06-01T12:00:00Z') });
    if (!checked.ok) throw new Error(`golden pivot rejected: ${JSON.stringify(checked.problems)}`);
    expect(checked.pivot).toEqual(vector.pivot);
    expect(identityKey(checked.pivot)).toBe(vector.identityKey);
    expect(deriveSub(golden.secret, vector.sector, vector.identityKey)).toBe(vector.sub);
  });
});
