import { afterEach, describe, expect, it, vi } from 'vitest';
import { type IdentityProvider, identityProviderSchema } from '../../../src/config/federation.ts';
import { type AvailabilityOptions, createAvailability } from '../../../src/rp/availability.ts';
import { createRegistry, type Registry } from '../../../src/store/registry-cache.ts';

// Fictitious IdPs only; the network is a table of answers keyed by URL.
const idp = (uid: string, entry: Record<string, unknown> = {}): IdentityProvider =>
  identityProviderSchema.parse({
    uid,
    name: `FI ${uid}`,
    issuer: `https://${uid}.example`,
    client_id: 'relais',
    client_secret: 'an-idp-secret',
    ...entry,
  });

const staticIdp = (uid: string, entry: Record<string, unknown> = {}): IdentityProvider =>
  idp(uid, {
    authorization_endpoint: `https://${uid}.example/authorize`,
    token_endpoint: `https://${uid}.example/token`,
    userinfo_endpoint: `https://${uid}.example/userinfo`,
    id_token_signed_response_alg: 'HS256',
    ...entry,
  });

const registryOf = (idps: IdentityProvider[]): Promise<Registry> =>
  createRegistry({
    listServiceProviders: async () => [],
    listIdentityProviders: async () => idps,
    fingerprint: async () => 'fixed',
  });

type Answer = (signal: AbortSignal) => Promise<Response>;
const json =
  (body: unknown, status = 200): Answer =>
  async () =>
    Response.json(body, { status });
const status =
  (code: number): Answer =>
  async () =>
    new Response('', { status: code });
const refused: Answer = async () => {
  throw new TypeError('fetch failed');
};
// Never answers, but lets the caller's signal cut it, as a real fetch does.
const hangs: Answer = (signal) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
const discovery = (issuer: string): Answer => json({ issuer, authorization_endpoint: `${issuer}/authorize` });

function network(answers: Record<string, Answer>) {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push(url);
    const answer = answers[url];
    if (!answer) throw new TypeError(`fetch failed: nothing at ${url}`);
    return answer(init?.signal ?? new AbortController().signal);
  }) as typeof globalThis.fetch;
  return { calls, answers, fetch };
}

const wellKnown = (uid: string) => `https://${uid}.example/.well-known/openid-configuration`;

async function setup(
  idps: IdentityProvider[],
  answers: Record<string, Answer>,
  options: Partial<AvailabilityOptions> = {},
) {
  const net = network(answers);
  const clock = { now: 1_000_000 };
  const changes: Array<[string, boolean]> = [];
  const availability = createAvailability({
    registry: await registryOf(idps),
    fetch: net.fetch,
    now: () => clock.now,
    onChange: (uid, available) => changes.push([uid, available]),
    ...options,
  });
  return { availability, net, clock, changes };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('probes', () => {
  it('keeps a healthy IdP available, asking its discovery document', async () => {
    const { availability, net, changes } = await setup([idp('a')], {
      [wellKnown('a')]: discovery('https://a.example'),
    });
    for (let round = 0; round < 3; round += 1) await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(true);
    expect(net.calls).toEqual([wellKnown('a'), wellKnown('a'), wellKnown('a')]);
    expect(changes).toEqual([]);
  });

  it('treats an IdP never probed, or unknown, as available', async () => {
    const { availability } = await setup([idp('a')], {});
    expect(availability.isAvailable('a')).toBe(true);
    expect(availability.isAvailable('nobody')).toBe(true);
  });

  it('greys an IdP after two failed probes, not after one', async () => {
    const { availability, changes } = await setup([idp('a')], { [wellKnown('a')]: refused });
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(true);
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(false);
    await availability.probeNow();
    expect(changes).toEqual([['a', false]]);
  });

  it('brings a greyed IdP back at its first good probe', async () => {
    const { availability, net, changes } = await setup([idp('a')], { [wellKnown('a')]: status(503) });
    await availability.probeNow();
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(false);
    net.answers[wellKnown('a')] = discovery('https://a.example');
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(true);
    expect(changes).toEqual([
      ['a', false],
      ['a', true],
    ]);
  });

  it('counts only consecutive failures: a good probe in between resets them', async () => {
    const { availability, net } = await setup([idp('a')], { [wellKnown('a')]: refused });
    await availability.probeNow();
    net.answers[wellKnown('a')] = discovery('https://a.example');
    await availability.probeNow();
    net.answers[wellKnown('a')] = refused;
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(true);
  });

  it.each([
    ['an issuer that is not the entry’s', json({ issuer: 'https://evil.example' })],
    ['a 404', status(404)],
    ['a redirect', async () => new Response('', { status: 302, headers: { location: 'https://x.example' } })],
    ['a body that is not JSON', async () => new Response('<html>maintenance</html>', { status: 200 })],
    ['JSON without issuer', json({ authorization_endpoint: 'https://a.example/authorize' })],
    [
      'a fetch that throws at once',
      (() => {
        throw new TypeError('fetch failed');
      }) as Answer,
    ],
  ])('counts %s in discovery as a failure', async (_, answer) => {
    const { availability } = await setup([idp('a')], { [wellKnown('a')]: answer });
    await availability.probeNow();
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(false);
  });

  it('appends the well-known path to an issuer with a path, and compares issuers as openid-client does', async () => {
    const entry = idp('a', { issuer: 'https://a.example/realms/citoyens' });
    const bare = idp('b', { issuer: 'https://b.example' });
    const { availability, net } = await setup([entry, bare], {
      'https://a.example/realms/citoyens/.well-known/openid-configuration': discovery(
        'https://a.example/realms/citoyens',
      ),
      // A bare origin and the same origin with its trailing slash are one issuer.
      [wellKnown('b')]: discovery('https://b.example/'),
    });
    await availability.probeNow();
    await availability.probeNow();
    expect(net.calls).toContain('https://a.example/realms/citoyens/.well-known/openid-configuration');
    expect(availability.isAvailable('a')).toBe(true);
    expect(availability.isAvailable('b')).toBe(true);
  });

  it('probes an IdP with static endpoints on its jwks_uri, which must answer a key set', async () => {
    const fc1 = staticIdp('fc1', {
      id_token_signed_response_alg: 'RS256',
      jwks_uri: 'https://fc1.example/jwks',
    });
    const { availability, net } = await setup([fc1], { 'https://fc1.example/jwks': json({ keys: [] }) });
    await availability.probeNow();
    await availability.probeNow();
    expect(net.calls).toEqual(['https://fc1.example/jwks', 'https://fc1.example/jwks']);
    expect(availability.isAvailable('fc1')).toBe(true);
    net.answers['https://fc1.example/jwks'] = json({ error: 'maintenance' });
    await availability.probeNow();
    await availability.probeNow();
    expect(availability.isAvailable('fc1')).toBe(false);
  });

  it('reads no more of an answer than the cap: a padded discovery past it fails the probe', async () => {
    const padded = (bytes: number): Answer & { pulled(): number } => {
      let pulled = 0;
      const answer: Answer = async () => {
        // A stream that counts what the probe pulled: the rest is never produced.
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled += 1024;
            if (pulled > bytes) controller.close();
            else controller.enqueue(new Uint8Array(1024).fill(0x20));
          },
        });
        return new Response(body, { headers: { 'content-type': 'application/json' } });
      };
      return Object.assign(answer, { pulled: () => pulled });
    };
    const huge = padded(64 * 1024 * 1024);
    const { availability } = await setup([idp('a')], { [wellKnown('a')]: huge }, { maxResponseBytes: 8192 });
    await availability.probeNow();
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(false);
    expect(huge.pulled()).toBeLessThan(2 * 64 * 1024);
    // Announced too long: refused on its header.
    const declared: Answer = async () =>
      new Response('{}', { headers: { 'content-length': String(2 ** 30) } });
    const other = await setup([idp('b')], { [wellKnown('b')]: declared }, { maxResponseBytes: 8192 });
    await other.availability.probeNow();
    await other.availability.probeNow();
    expect(other.availability.isAvailable('b')).toBe(false);
  });

  it.each([
    [400, true],
    [302, true],
    [500, false],
    [503, false],
  ])(
    'probes a static IdP without jwks_uri on its authorization endpoint: %i means available=%s',
    async (code, up) => {
      const { availability, net } = await setup([staticIdp('fc1')], {
        'https://fc1.example/authorize': status(code),
      });
      await availability.probeNow();
      await availability.probeNow();
      expect(net.calls).toEqual(['https://fc1.example/authorize', 'https://fc1.example/authorize']);
      expect(availability.isAvailable('fc1')).toBe(up);
    },
  );

  it('does not probe inactive IdPs', async () => {
    const { availability, net } = await setup([idp('a'), idp('off', { active: false })], {
      [wellKnown('a')]: discovery('https://a.example'),
      [wellKnown('off')]: refused,
    });
    await availability.probeNow();
    expect(net.calls).toEqual([wellKnown('a')]);
  });

  it('forgets an IdP that is no longer active, so it starts afresh if it returns', async () => {
    const entries = [idp('a')];
    const registry = await createRegistry({
      listServiceProviders: async () => [],
      listIdentityProviders: async () => entries,
      fingerprint: async () => 'fixed',
    });
    const net = network({ [wellKnown('a')]: refused });
    const availability = createAvailability({ registry, fetch: net.fetch });
    await availability.probeNow();
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(false);
    entries[0] = idp('a', { active: false });
    await registry.reload();
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(true);
  });

  it('cuts a probe that hangs at the timeout and counts it as a failure', async () => {
    const { availability } = await setup(
      [idp('slow')],
      { [wellKnown('slow')]: hangs },
      { probeTimeoutMs: 20 },
    );
    const started = performance.now();
    await availability.probeNow();
    await availability.probeNow();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(availability.isAvailable('slow')).toBe(false);
  });

  it('lets no hanging IdP delay another’s state, and probes the hanging one once at a time', async () => {
    const { availability, net } = await setup(
      [idp('slow'), idp('dead')],
      { [wellKnown('slow')]: hangs, [wellKnown('dead')]: refused },
      { probeTimeoutMs: 60_000, failuresToMarkDown: 1 },
    );
    const calls = (uid: string) => net.calls.filter((url) => url === wellKnown(uid)).length;
    void availability.probeNow();
    await vi.waitFor(() => expect(availability.isAvailable('dead')).toBe(false));
    expect(availability.isAvailable('slow')).toBe(true);
    void availability.probeNow();
    await vi.waitFor(() => expect(calls('dead')).toBe(2));
    expect(calls('slow')).toBe(1);
    availability.stop();
  });

  it('ignores the result of a probe abandoned by stop', async () => {
    const { availability } = await setup(
      [idp('slow')],
      { [wellKnown('slow')]: hangs },
      { probeTimeoutMs: 60_000 },
    );
    const first = availability.probeNow();
    availability.stop();
    await first;
    const second = availability.probeNow();
    availability.stop();
    await second;
    expect(availability.isAvailable('slow')).toBe(true);
  });

  it('survives a listener that throws', async () => {
    const { availability } = await setup(
      [idp('a')],
      { [wellKnown('a')]: refused },
      {
        onChange: () => {
          throw new Error('listener bug');
        },
      },
    );
    await availability.probeNow();
    await expect(availability.probeNow()).resolves.toBeUndefined();
    expect(availability.isAvailable('a')).toBe(false);
  });
});

describe('real logins', () => {
  it('grey an IdP after two outage-type failures, without any probe', async () => {
    const { availability, net, changes } = await setup([idp('a')], {});
    availability.recordLoginFailure('a');
    expect(availability.isAvailable('a')).toBe(true);
    availability.recordLoginFailure('a');
    expect(availability.isAvailable('a')).toBe(false);
    expect(net.calls).toEqual([]);
    expect(changes).toEqual([['a', false]]);
  });

  it('count only failures within the window', async () => {
    const { availability, clock } = await setup([idp('a')], {});
    availability.recordLoginFailure('a');
    clock.now += 60_001;
    availability.recordLoginFailure('a');
    expect(availability.isAvailable('a')).toBe(true);
  });

  it('ungrey by themselves once the failures leave the window, even without probes', async () => {
    const { availability, clock, changes } = await setup([idp('a')], {});
    availability.recordLoginFailure('a');
    availability.recordLoginFailure('a');
    clock.now += 60_001;
    expect(availability.isAvailable('a')).toBe(true);
    expect(changes).toEqual([
      ['a', false],
      ['a', true],
    ]);
  });

  it('reset the failure count on a login success', async () => {
    const { availability } = await setup([idp('a')], {});
    availability.recordLoginFailure('a');
    availability.recordLoginSuccess('a');
    availability.recordLoginFailure('a');
    expect(availability.isAvailable('a')).toBe(true);
  });

  it('are forgotten at a good probe', async () => {
    const { availability } = await setup([idp('a')], { [wellKnown('a')]: discovery('https://a.example') });
    availability.recordLoginFailure('a');
    availability.recordLoginFailure('a');
    expect(availability.isAvailable('a')).toBe(false);
    await availability.probeNow();
    expect(availability.isAvailable('a')).toBe(true);
  });

  it('do not override failing probes with one login success', async () => {
    const { availability } = await setup([idp('a')], { [wellKnown('a')]: refused });
    await availability.probeNow();
    await availability.probeNow();
    availability.recordLoginSuccess('a');
    expect(availability.isAvailable('a')).toBe(false);
  });
});

describe('background probing', () => {
  it('probes at start and every interval until stop', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { availability, net } = await setup([idp('a')], {
      [wellKnown('a')]: discovery('https://a.example'),
    });
    availability.start();
    availability.start(); // idempotent: still one timer
    await vi.advanceTimersByTimeAsync(0);
    expect(net.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(net.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(net.calls).toHaveLength(3);
    availability.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(net.calls).toHaveLength(3);
  });

  it('greys a dead IdP within 30 s with the default settings', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { availability, net } = await setup([idp('a')], {
      [wellKnown('a')]: discovery('https://a.example'),
    });
    availability.start();
    await vi.advanceTimersByTimeAsync(0);
    net.answers[wellKnown('a')] = refused; // dies just after a good probe: the worst moment
    await vi.advanceTimersByTimeAsync(20_000);
    expect(availability.isAvailable('a')).toBe(false);
    availability.stop();
  });

  it('probes a greyed IdP every 2 s, so that it is back within seconds of answering again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { availability, net } = await setup([idp('a')], {
      [wellKnown('a')]: discovery('https://a.example'),
    });
    availability.start();
    await vi.advanceTimersByTimeAsync(0);
    // Two logins failed on an outage: greyed at once, without waiting for the 10 s probes.
    availability.recordLoginFailure('a');
    availability.recordLoginFailure('a');
    expect(availability.isAvailable('a')).toBe(false);
    const before = net.calls.length;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(net.calls.length).toBe(before + 1);
    expect(availability.isAvailable('a')).toBe(true);
    // Available again: only the 10 s round probes it.
    await vi.advanceTimersByTimeAsync(6_000);
    expect(net.calls.length).toBe(before + 1);
    availability.stop();
  });

  it('unrefs its timers so that they never keep the process alive', async () => {
    const unref = vi.fn();
    const spy = vi
      .spyOn(globalThis, 'setInterval')
      .mockReturnValue({ unref } as unknown as ReturnType<typeof setInterval>);
    const { availability } = await setup([idp('a')], { [wellKnown('a')]: discovery('https://a.example') });
    availability.start();
    // The round timer and the recheck of greyed IdPs.
    expect(unref).toHaveBeenCalledTimes(2);
    availability.stop();
    spy.mockRestore();
  });

  it('refuses settings that would never grey or never probe', async () => {
    const registry = await registryOf([]);
    expect(() => createAvailability({ registry, failuresToMarkDown: 0 })).toThrow(RangeError);
    expect(() => createAvailability({ registry, intervalMs: Number.NaN })).toThrow(RangeError);
  });
});
