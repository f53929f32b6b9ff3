// The hub session lives while it is used (idle timeout) and never beyond an absolute lifetime.
export interface SessionLifetime {
  idleSeconds: number;
  maxSeconds: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Seconds left to live from now, at least 1 (stores refuse a zero TTL; a second is harmless). */
export function remainingSessionTtl(
  lifetime: SessionLifetime,
  startedAt: number,
  now = nowSeconds(),
): number {
  return Math.max(1, Math.min(lifetime.idleSeconds, lifetime.maxSeconds - (now - startedAt)));
}

export function sessionExpired(lifetime: SessionLifetime, startedAt: number, now = nowSeconds()): boolean {
  return now - startedAt >= lifetime.maxSeconds;
}
