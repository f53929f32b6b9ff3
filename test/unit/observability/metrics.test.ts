import { describe, expect, it } from 'vitest';
import { runChecks } from '../../../src/http/health.ts';
import { createMetrics, observeKv, observeSql } from '../../../src/observability/metrics.ts';
import { createMemoryKv } from '../../../src/store/kv.ts';

describe('metrics', () => {
  it('counts logins from the business events, by SP, IdP and error code', async () => {
    const metrics = createMetrics();
    metrics.onEvent({ name: 'authorize.received', clientId: 'sp-a' });
    metrics.onEvent({ name: 'consent.given', clientId: 'sp-a', idpUid: 'idp-a' });
    metrics.onEvent({ name: 'login.failed', clientId: 'sp-a', errorCode: 'R4001' });
    metrics.onEvent({ name: 'idp.callback', idpUid: 'idp-a', data: { ms: 40 } });
    const text = await metrics.text();
    expect(text).toContain('relais_logins_started_total{sp="sp-a"} 1');
    expect(text).toContain('relais_logins_completed_total{sp="sp-a",idp="idp-a"} 1');
    expect(text).toContain('relais_logins_failed_total{sp="sp-a",idp="unknown",code="R4001"} 1');
    expect(text).toContain('relais_idp_call_duration_seconds_count{idp="idp-a",outcome="ok"} 1');
  });

  it('keeps one registry per hub: two instances do not share counts', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.onEvent({ name: 'authorize.received', clientId: 'sp-a' });
    expect(await b.text()).not.toContain('relais_logins_started_total{sp="sp-a"}');
  });

  it('reads IdP availability at scrape time', async () => {
    const metrics = createMetrics();
    let up = true;
    metrics.watchAvailability(() => [{ idp: 'idp-a', available: up }]);
    expect(await metrics.text()).toContain('relais_idp_available{idp="idp-a"} 1');
    up = false;
    expect(await metrics.text()).toContain('relais_idp_available{idp="idp-a"} 0');
  });

  it('counts a failing Kv operation and still rejects to the caller', async () => {
    const metrics = createMetrics();
    const kv = observeKv(createMemoryKv(), metrics);
    await expect(kv.set('k', 'v', 0)).rejects.toThrow(/TTL/);
    expect(await metrics.text()).toContain('relais_store_errors_total{store="redis",operation="set"} 1');
    await kv.close();
  });

  it('counts every Kv operation sent, failed or not, but not closing the store', async () => {
    const metrics = createMetrics();
    const kv = observeKv(createMemoryKv(), metrics);
    await kv.set('k', 'v', 10);
    await kv.get('k');
    await expect(kv.set('k', 'v', 0)).rejects.toThrow(/TTL/);
    await kv.close();
    expect(await metrics.text()).toMatch(/^relais_redis_commands_total 3$/m);
  });
});

describe('observeSql', () => {
  it('counts queries and transactions once each, and the failed ones by operation', async () => {
    const metrics = createMetrics();
    const failing = async () => {
      throw new Error('down');
    };
    const sql = observeSql(
      {
        kind: 'postgres',
        query: async () => ({ rows: [] }),
        exec: failing,
        withClient: async (fn: (client: never) => unknown) => fn(undefined as never),
        close: async () => {},
      } as unknown as Parameters<typeof observeSql>[0],
      metrics,
    );
    await sql.query('select 1');
    await sql.withClient(async () => 'done');
    await expect(sql.exec('select 1')).rejects.toThrow('down');
    const text = await metrics.text();
    expect(text).toMatch(/^relais_sql_queries_total 3$/m);
    expect(text).toContain('relais_store_errors_total{store="postgres",operation="exec"} 1');
  });
});

describe('readiness checks', () => {
  it('reports each check: ok, failed, or timeout when it hangs', async () => {
    const results = await runChecks(
      {
        fine: async () => {},
        broken: async () => {
          throw new Error('down');
        },
        stuck: () => new Promise(() => {}),
      },
      50,
    );
    expect(results).toEqual({ fine: 'ok', broken: 'failed', stuck: 'timeout' });
  });
});
