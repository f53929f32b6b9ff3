// Threat: a flood of logins (or of long parameters) fills the in-process store of a hub running
// without Redis until the process dies. Past its budget the store refuses to grow: a clear 503
// (R5002), never a crash, and the hub serves again as soon as logins end.
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
  it('ends new logins on a clear 503 page once full, and the hub keeps answering', async () => {
    const config = await spClient(federation, 'sp-a');
    let refused: Response | undefined;
    let admitted = 0;
    // Each login holds its interaction and its record (a few KiB): 1 MiB is reached well before 2000.
    for (let i = 0; i < 2000 && !refused; i++) {
      const request = await authorizeRequest(federation, config, { login_hint: 'h'.repeat(300) });
      const answer = await fetch(request.url, { redirect: 'manual' });
      if (answer.status === 303) admitted += 1;
      else refused = answer;
    }
    expect(admitted).toBeGreaterThan(20);
    expect(refused?.status).toBe(503);
    const page = (await refused?.text()) ?? '';
    expect(page).toContain('R5002');
    expect(page).toContain('Service saturé');
    // Still alive: its pages and its health answer.
    expect((await fetch(`${federation.issuer}/healthz`)).status).toBe(200);
    expect((await fetch(`${federation.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });
});
