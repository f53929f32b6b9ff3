// Threat: a flood of logins (or of long parameters) fills the in-process store of a hub running
// without Redis until the process dies. Past its budget the store refuses to grow (R5002): a new
// login goes back to its SP with `temporarily_unavailable`, a page of one in progress is a 503
// with its way back; never a crash, and the hub serves again as soon as logins end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-a', client_secret: 'sp-a-secret-0123456789-0123456789-abcdef' }],
    // The in-process store, whatever the run's REDIS_URL, with its smallest budget.
    env: { REDIS_URL: '', MEMORY_STORE_BUDGET_MB: '1', RATE_LIMITS: 'off' },
  });
});

afterAll(() => federation?.close());

describe('the in-process store’s budget', () => {
  it('sends new logins back to their SP once full (temporarily_unavailable, R5002), and keeps answering', async () => {
    const config = await spClient(federation, 'sp-a');
    let refused: URL | undefined;
    let admitted = 0;
    // Each login holds its interaction and its record (a few KiB): 1 MiB is reached well before 2000.
    for (let i = 0; i < 2000 && !refused; i++) {
      const request = await authorizeRequest(federation, config, { login_hint: 'h'.repeat(300) });
      const answer = await fetch(request.url, { redirect: 'manual' });
      expect(answer.status).toBe(303);
      const location = new URL(answer.headers.get('location') ?? '', federation.issuer);
      if (location.pathname.startsWith('/interaction/')) admitted += 1;
      else refused = location;
    }
    expect(admitted).toBeGreaterThan(20);
    // FranceConnect sends errors to the SP: its redirect_uri, the error and its code.
    expect(refused?.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(refused?.searchParams.get('error_description')).toMatch(/\[R5002\]$/);
    // Still alive: its pages and its health answer.
    expect((await fetch(`${federation.issuer}/healthz`)).status).toBe(200);
    expect((await fetch(`${federation.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });
});
