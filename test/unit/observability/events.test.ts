import { describe, expect, it } from 'vitest';
import { createEvents, EVENT_NAMES, hashId, type StoredEvent } from '../../../src/observability/events.ts';

function recordingLog() {
  const lines: Array<{ level: string; object: object; message: string }> = [];
  return {
    lines,
    log: {
      info: (object: object, message: string) => lines.push({ level: 'info', object, message }),
      warn: (object: object, message: string) => lines.push({ level: 'warn', object, message }),
    },
  };
}

describe('business events', () => {
  it('is a closed list of unique names', () => {
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
    expect(EVENT_NAMES).toContain('consent.given');
  });

  it('hashes an id into 16 hex characters, the same every time, without the id in it', () => {
    const sub = 'a'.repeat(64);
    expect(hashId(sub)).toMatch(/^[0-9a-f]{16}$/);
    expect(hashId(sub)).toBe(hashId(sub));
    expect(hashId(sub)).not.toBe(hashId('b'.repeat(64)));
  });

  it('logs each event at once and stores them in one batch, in order, at flush', async () => {
    const { lines, log } = recordingLog();
    const batches: StoredEvent[][] = [];
    const events = createEvents({ log, sink: async (batch) => void batches.push(batch), flushMs: 60_000 });
    events.emit({ name: 'authorize.received', clientId: 'sp-a' });
    events.emit({ name: 'mire.shown', clientId: 'sp-a', interactionId: 'i1' });
    expect(lines.map((line) => line.message)).toEqual(['event authorize.received', 'event mire.shown']);
    expect(lines[1]?.object).toEqual({
      event: { name: 'mire.shown', clientId: 'sp-a', interactionId: 'i1' },
    });
    expect(batches).toEqual([]);
    await events.close();
    expect(batches.map((batch) => batch.map((event) => event.name))).toEqual([
      ['authorize.received', 'mire.shown'],
    ]);
    expect(batches[0]?.[0]?.at).toBeInstanceOf(Date);
  });

  it('logs nothing when info is off, and still stores every event', async () => {
    const { lines, log } = recordingLog();
    const batches: StoredEvent[][] = [];
    const events = createEvents({
      log: { ...log, isLevelEnabled: (level: string) => level !== 'info' },
      sink: async (batch) => void batches.push(batch),
      flushMs: 60_000,
    });
    events.emit({ name: 'authorize.received', clientId: 'sp-a' });
    await events.close();
    expect(lines).toEqual([]);
    expect(batches.flat().map((event) => event.name)).toEqual(['authorize.received']);
  });

  it('sends a full batch without waiting for the timer', async () => {
    const { log } = recordingLog();
    const batches: StoredEvent[][] = [];
    const events = createEvents({ log, sink: async (batch) => void batches.push(batch), maxBatch: 2 });
    events.emit({ name: 'sp.token' });
    events.emit({ name: 'sp.userinfo' });
    await events.flush();
    expect(batches).toHaveLength(1);
    await events.close();
  });

  it('logs a failed sink and never throws at the emitter, nor for a broken listener', async () => {
    const { lines, log } = recordingLog();
    const events = createEvents({
      log,
      sink: async () => {
        throw new Error('database down');
      },
    });
    events.subscribe(() => {
      throw new Error('listener bug');
    });
    expect(() => events.emit({ name: 'idp.chosen', idpUid: 'idp-a' })).not.toThrow();
    await events.close();
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'business events not stored' });
    expect(lines.at(-1)?.object).toMatchObject({ lost: 1 });
  });
});

describe('events while the sink is down', () => {
  it('keeps them and stores them in order once it is back, in batches an insert can take', async () => {
    const { log } = recordingLog();
    let down = true;
    const stored: string[][] = [];
    const events = createEvents({
      log,
      flushMs: 60_000,
      sink: async (batch) => {
        if (down) throw new Error('database down');
        stored.push(batch.map((event) => String(event.data?.['n'])));
      },
    });
    for (let n = 0; n < 2500; n++) events.emit({ name: 'idp.chosen', data: { n } });
    await events.flush();
    await events.flush();
    expect(stored).toEqual([]);
    down = false;
    await events.flush();
    // Let the catch-up batches go.
    for (let i = 0; i < 5; i++) await events.flush();
    expect(stored.map((batch) => batch.length)).toEqual([1000, 1000, 500]);
    expect(stored.flat()).toEqual(Array.from({ length: 2500 }, (_, n) => String(n)));
    await events.close();
  });

  it('keeps at most maxPending, dropping the oldest and saying so', async () => {
    const { lines, log } = recordingLog();
    const events = createEvents({
      log,
      flushMs: 60_000,
      maxBatch: 10_000,
      maxPending: 100,
      sink: async () => {
        throw new Error('database down');
      },
    });
    for (let n = 0; n < 150; n++) events.emit({ name: 'idp.chosen', data: { n } });
    await events.flush();
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'business events not stored yet' });
    expect(lines.at(-1)?.object).toMatchObject({ pending: 100, lost: 50 });
    await events.close();
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'business events not stored' });
    expect(lines.at(-1)?.object).toMatchObject({ lost: 100 });
  });
});
