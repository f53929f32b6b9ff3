import { describe, expect, it } from 'vitest';
import { remainingSessionTtl, sessionExpired } from '../../../src/op/session-lifetime.ts';

const lifetime = { idleSeconds: 1800, maxSeconds: 8 * 3600 };

describe('the hub session lifetime', () => {
  it('slides by the idle timeout while the absolute lifetime is far', () => {
    expect(remainingSessionTtl(lifetime, 1000, 1000)).toBe(1800);
    expect(remainingSessionTtl(lifetime, 1000, 1000 + 3600)).toBe(1800);
  });

  it('never outlives the absolute lifetime, and keeps at least a second', () => {
    expect(remainingSessionTtl(lifetime, 0, 8 * 3600 - 600)).toBe(600);
    expect(remainingSessionTtl(lifetime, 0, 8 * 3600 + 5)).toBe(1);
  });

  it('is expired once the absolute lifetime is reached', () => {
    expect(sessionExpired(lifetime, 0, 8 * 3600 - 1)).toBe(false);
    expect(sessionExpired(lifetime, 0, 8 * 3600)).toBe(true);
  });
});
