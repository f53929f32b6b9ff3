// bench/probes.ts: the hub's secrets from the bench's environment.
import { describe, expect, it } from 'vitest';
import { givenSecrets } from '../../bench/probes.ts';

const SECRETS = {
  SUB_SECRET: 'a'.repeat(64),
  ENCRYPTION_KEY: 'b'.repeat(64),
  COOKIE_KEYS: `${'c'.repeat(32)},${'d'.repeat(32)}`,
};

describe('givenSecrets', () => {
  it('gives the three as they are, and nothing else of the environment', () => {
    expect(givenSecrets({ ...SECRETS, DATABASE_URL: 'postgres://db/test', PATH: '/bin' })).toEqual(SECRETS);
  });

  it('is undefined when none is set, an empty one counting as unset (as for the hub)', () => {
    expect(givenSecrets({ PATH: '/bin' })).toBeUndefined();
    expect(givenSecrets({ SUB_SECRET: '', ENCRYPTION_KEY: '', COOKIE_KEYS: '' })).toBeUndefined();
  });

  it('refuses some without the others, naming the missing ones', () => {
    expect(() => givenSecrets({ SUB_SECRET: SECRETS.SUB_SECRET })).toThrow(
      /^ENCRYPTION_KEY, COOKIE_KEYS not set: give SUB_SECRET, ENCRYPTION_KEY, COOKIE_KEYS all three, or none/,
    );
    expect(() => givenSecrets({ ...SECRETS, COOKIE_KEYS: '' })).toThrow(/^COOKIE_KEYS not set/);
  });
});
