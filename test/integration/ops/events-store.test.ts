// The events table: batches land in order, retention deletes the old rows, the summary counts
// logins per day per SP and IdP.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/observability/events.ts';
import { insertEvents, pruneEvents, summariseEvents } from '../../../src/store/events.ts';
import { migrate } from '../../../src/store/migrations.ts';
import { type DatabaseFixture, databases } from '../store/databases.ts';

const DAY = 86_400_000;
const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY);

describe.each(databases)('the events table on $name', (database) => {
  let fx: DatabaseFixture;
  beforeEach(async () => {
    fx = await database.open();
    await migrate(fx.sql);
  });
  afterEach(() => fx.cleanup());

  it('keeps the order of a batch and its fields', async () => {
    await insertEvents(fx.sql, [
      { at: at(0), name: 'authorize.received', clientId: 'sp-a', acr: 'eidas1', interactionId: 'i1' },
      { at: at(0), name: 'idp.callback', idpUid: 'idp-a', interactionId: 'i1', data: { ms: 12 } },
      { at: at(0), name: 'login.failed', clientId: 'sp-a', errorCode: 'R4001' },
    ]);
    const rows = await fx.sql.query<Record<string, unknown>>(
      'select name, client_id, idp_uid, acr, interaction_id, error_code, data from events order by id',
    );
    expect(rows).toEqual([
      {
        name: 'authorize.received',
        client_id: 'sp-a',
        idp_uid: null,
        acr: 'eidas1',
        interaction_id: 'i1',
        error_code: null,
        data: null,
      },
      {
        name: 'idp.callback',
        client_id: null,
        idp_uid: 'idp-a',
        acr: null,
        interaction_id: 'i1',
        error_code: null,
        data: { ms: 12 },
      },
      {
        name: 'login.failed',
        client_id: 'sp-a',
        idp_uid: null,
        acr: null,
        interaction_id: null,
        error_code: 'R4001',
        data: null,
      },
    ]);
  });

  it('prunes the events older than the retention, and only those', async () => {
    await insertEvents(fx.sql, [
      { at: at(31), name: 'mire.shown' },
      { at: at(29), name: 'mire.shown' },
    ]);
    expect(await pruneEvents(fx.sql, 30)).toBe(1);
    expect(await fx.sql.query('select 1 from events')).toHaveLength(1);
  });

  it('summarises logins per day per SP and IdP, with error rates, over the window', async () => {
    const events: StoredEvent[] = [
      { at: at(0), name: 'authorize.received', clientId: 'sp-a' },
      { at: at(0), name: 'authorize.received', clientId: 'sp-a' },
      { at: at(0), name: 'authorize.received', clientId: 'sp-a' },
      { at: at(0), name: 'consent.given', clientId: 'sp-a', idpUid: 'idp-a' },
      { at: at(0), name: 'login.failed', clientId: 'sp-a', errorCode: 'R4001' },
      { at: at(0), name: 'login.failed', clientId: 'sp-a', errorCode: 'R4001' },
      { at: at(0), name: 'login.failed', clientId: 'sp-a', idpUid: 'idp-a', errorCode: 'R2002' },
      // Outside the window:
      { at: at(10), name: 'authorize.received', clientId: 'sp-a' },
    ];
    await insertEvents(fx.sql, events);
    const summary = await summariseEvents(fx.sql, { days: 7 });
    const today = new Date().toISOString().slice(0, 10);
    expect(summary.days).toBe(7);
    expect(summary.bySp).toEqual([
      { day: today, clientId: 'sp-a', started: 3, completed: 1, failed: 3, errorRate: 0.75 },
    ]);
    expect(summary.byIdp).toEqual([
      { day: today, idpUid: 'idp-a', started: 0, completed: 1, failed: 1, errorRate: 0.5 },
    ]);
    expect(summary.errors).toEqual([
      { errorCode: 'R4001', count: 2 },
      { errorCode: 'R2002', count: 1 },
    ]);
    expect(summary.totals).toEqual({ started: 3, completed: 1, failed: 3, errorRate: 0.75 });
  });
});
