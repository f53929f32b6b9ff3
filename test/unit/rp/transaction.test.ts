import { describe, expect, it } from 'vitest';
import {
  boundToBrowser,
  type IdpTransaction,
  idpTransactionSchema,
  newBrowserBinding,
} from '../../../src/rp/transaction.ts';

const transaction = (browserBinding: string): IdpTransaction => ({
  state: 'uid1.state',
  idpUid: 'idp-a',
  nonce: 'n'.repeat(43),
  codeVerifier: 'v'.repeat(43),
  requiredAcr: 'eidas1',
  browserBinding,
});

describe('the browser binding of an IdP transaction', () => {
  it('is 256 random bits, base64url, never twice the same', () => {
    const bindings = new Set(Array.from({ length: 100 }, newBrowserBinding));
    expect(bindings.size).toBe(100);
    for (const binding of bindings) expect(binding).toMatch(/^[\w-]{43}$/);
  });

  it("passes the transaction's own binding only", () => {
    const mine = newBrowserBinding();
    expect(boundToBrowser(transaction(mine), mine)).toBe(true);
    expect(boundToBrowser(transaction(mine), undefined)).toBe(false);
    expect(boundToBrowser(transaction(mine), '')).toBe(false);
    expect(boundToBrowser(transaction(mine), '1')).toBe(false);
    expect(boundToBrowser(transaction(mine), newBrowserBinding())).toBe(false);
    expect(boundToBrowser(transaction(mine), `${mine}x`)).toBe(false);
    expect(boundToBrowser(transaction(mine), mine.slice(0, -1))).toBe(false);
  });
});

describe('a transaction stored before the browser binding', () => {
  it('still parses, and no cookie matches it', () => {
    const { browserBinding: _, ...old } = {
      state: 's',
      idpUid: 'idp-a',
      nonce: 'n',
      codeVerifier: 'v',
      requiredAcr: 'eidas1' as const,
      browserBinding: 'x',
    };
    const parsed = idpTransactionSchema.parse(old);
    expect(parsed.browserBinding).toBe('');
    expect(boundToBrowser(parsed, '')).toBe(false);
    expect(boundToBrowser(parsed, 'anything-anything-anything')).toBe(false);
  });
});
