// Whether an IdP endpoint's host takes a TCP connection now: the check a logout makes before
// sending the citizen there, cheap enough for every logout (one connect, no TLS, no request; well
// under a millisecond on a live network, at most the timeout on a dead one).
import { connect } from 'node:net';

/** Long enough for a distant IdP's handshake, short enough that a citizen never notices. */
export const REACHABLE_TIMEOUT_MS = 300;

export type Reachable = (endpoint: URL) => Promise<boolean>;

/** True once the endpoint's host:port accepts a connection within `timeoutMs`; never rejects. */
export function tcpReachable(timeoutMs: number = REACHABLE_TIMEOUT_MS): Reachable {
  return (endpoint) =>
    new Promise((resolve) => {
      const port = Number(endpoint.port) || (endpoint.protocol === 'https:' ? 443 : 80);
      const host = endpoint.hostname.replace(/^\[(.*)\]$/, '$1');
      const socket = connect({ host, port });
      const timer = setTimeout(() => done(false), timeoutMs);
      function done(up: boolean) {
        clearTimeout(timer);
        socket.destroy();
        resolve(up);
      }
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}

/**
 * The same check, remembered a moment when it succeeds (per host and port): a busy hub checks an
 * IdP that answers a few times a second at most, and one that stops answering at once.
 */
export function recentlyReachable(inner: Reachable, freshMs = 2000, now: () => number = Date.now): Reachable {
  const reached = new Map<string, number>();
  return async (endpoint) => {
    const key = `${endpoint.hostname}:${endpoint.port}`;
    const at = reached.get(key);
    if (at !== undefined && now() - at < freshMs) return true;
    const up = await inner(endpoint);
    if (up) reached.set(key, now());
    else reached.delete(key);
    return up;
  };
}
