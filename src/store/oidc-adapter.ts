// oidc-provider (v9) adapter over Kv, so that any hub instance can serve any step of a login.
// Contract: node_modules/oidc-provider/lib/adapters/memory_adapter.js. Clients come from the registry.
import { RelaisError } from '../errors.ts';
import type { Kv } from './kv.ts';
import type { ReadAheadKv } from './read-ahead.ts';
import { seal, unseal } from './seal.ts';

export type OidcPayload = Record<string, unknown>;

export interface OidcAdapter {
  upsert(id: string, payload: OidcPayload, expiresIn: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface OidcClientSource {
  find(clientId: string): Promise<Record<string, unknown> | undefined>;
}

/** Shaped like oidc-provider's InvalidGrant, so the token endpoint answers 400 invalid_grant. */
export class InvalidGrantError extends Error {
  readonly expose = true;
  readonly status = 400;
  readonly statusCode = 400;
  readonly error = 'invalid_grant';
  readonly error_description = 'grant request is invalid';
  readonly error_detail: string;
  constructor(detail: string) {
    super('invalid_grant');
    this.name = 'InvalidGrantError';
    this.error_detail = detail;
  }
}

/**
 * The store unavailable or full (R5003, R5002), shaped like an oidc-provider error that it may
 * redirect: /authorize sends the SP `temporarily_unavailable` with its code (FranceConnect sends
 * errors to the SP), /token and /userinfo answer it as JSON with a 503, never `server_error`.
 */
export class StoreUnavailableError extends Error {
  readonly expose = true;
  readonly allow_redirect = true;
  readonly status: number;
  readonly statusCode: number;
  readonly error: string;
  readonly error_description: string;
  constructor(cause: RelaisError) {
    super(cause.entry.oauth, { cause });
    this.name = 'StoreUnavailableError';
    this.status = cause.entry.status;
    this.statusCode = cause.entry.status;
    this.error = cause.entry.oauth;
    this.error_description = cause.description;
  }
}

const STORE_CODES = new Set(['R5002', 'R5003']);

/** Every method of an adapter, its store failures shaped for oidc-provider. */
function storeFailuresShaped(adapter: OidcAdapter): OidcAdapter {
  const shaped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(adapter) as Array<
    [string, (...args: unknown[]) => Promise<unknown>]
  >) {
    shaped[name] = (...args: unknown[]) =>
      method.apply(adapter, args).catch((caught: unknown) => {
        throw caught instanceof RelaisError && STORE_CODES.has(caught.code)
          ? new StoreUnavailableError(caught)
          : caught;
      });
  }
  return shaped as unknown as OidcAdapter;
}

// The models oidc-provider revokes by grant (same list as its memory adapter).
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const itemKey = (model: string, id: string) => `oidc:${model}:${id}`;
const grantKey = (grantId: string) => `oidc:grant:${grantId}`;
// A session is kept under its uid, which every token names (token and userinfo read it ahead with
// the token's grant); its id, in the browser's cookie, points at the uid.
const sessionKey = (uid: string) => `oidc:session:${uid}`;
const sessionIdKey = (id: string) => `oidc:sessionId:${id}`;
const userCodeKey = (userCode: string) => `oidc:userCode:${userCode}`;
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const isPayload = (value: unknown): value is OidcPayload =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A stored item: JSON, or sealed (store/seal.ts: base64url, never starting with a brace). */
async function read(kv: Kv, key: string, encryptionKey?: Buffer): Promise<OidcPayload | undefined> {
  const value = await kv.get(key);
  if (value === null) return undefined;
  if (!value.startsWith('{') && !encryptionKey) throw new Error(`${key}: sealed, and no key to open it`);
  const payload: unknown = value.startsWith('{')
    ? JSON.parse(value)
    : unseal(encryptionKey as Buffer, key, value);
  if (!isPayload(payload)) throw new Error(`${key}: the stored value is not a JSON object`);
  return payload;
}

/** The device user code index, whose value is the item's id. */
function indexKeys(model: string, payload: OidcPayload): string[] {
  const userCode = model === 'DeviceCode' ? text(payload['userCode']) : undefined;
  return userCode ? [userCodeKey(userCode)] : [];
}

/** The index keys that still point at id: a rotated session has moved its uid on to the new id. */
async function ownedIndexes(kv: Kv, model: string, id: string, payload: OidcPayload): Promise<string[]> {
  const owned: string[] = [];
  for (const key of indexKeys(model, payload)) if ((await kv.get(key)) === id) owned.push(key);
  return owned;
}

export interface AdapterOptions {
  /** Keys of the caller's that a request reads once it holds a token of this grant. */
  readAhead?: (grantId: string) => string[];
  /** Items of the caller's written with an item of oidc-provider's, in the same round trip. */
  companions?: (model: string, id: string, payload: OidcPayload) => Array<{ key: string; value: string }>;
  /**
   * The models sealed like the hub's own records: an Interaction holds the SP's parameters as sent,
   * a `login_hint` among them (ProConnect: an email).
   */
  seal?: { encryptionKey: Buffer; models: readonly string[] };
}

const TOKENS = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken']);

/**
 * What a request reads next once it holds this item: a token's session, grant and the caller's
 * keys; a finished interaction's grant (resume loads it right after destroying the interaction).
 */
function readAheadKeys(model: string, payload: OidcPayload, options: AdapterOptions): string[] {
  if (model === 'Interaction') {
    const result = payload['result'] as { consent?: { grantId?: unknown } } | undefined;
    const grantId = text(result?.consent?.grantId);
    return grantId ? [itemKey('Grant', grantId)] : [];
  }
  if (!TOKENS.has(model)) return [];
  const grantId = text(payload['grantId']);
  const sessionUid = text(payload['sessionUid']);
  return [
    ...(sessionUid ? [sessionKey(sessionUid)] : []),
    ...(grantId ? [itemKey('Grant', grantId), ...(options.readAhead?.(grantId) ?? [])] : []),
  ];
}

async function revokeByGrantId(kv: Kv, grantId: string): Promise<void> {
  const keys = await kv.members(grantKey(grantId));
  const indexes = await Promise.all(
    keys.map(async (key) => {
      // key = oidc:<Model>:<id>, and an id may itself contain ':'.
      const [, model = '', ...id] = key.split(':');
      const payload = await read(kv, key);
      return payload ? ownedIndexes(kv, model, id.join(':'), payload) : [];
    }),
  );
  await kv.del([...keys, ...indexes.flat(), grantKey(grantId)]);
}

function modelAdapter(kv: Kv | ReadAheadKv, model: string, options: AdapterOptions): OidcAdapter {
  const prefetch = 'prefetch' in kv ? kv.prefetch : undefined;
  const sealing = options.seal?.models.includes(model) ? options.seal.encryptionKey : undefined;
  const adapter: OidcAdapter = {
    upsert: async (id, payload, expiresIn) => {
      const key = itemKey(model, id);
      const grantId = text(payload['grantId']);
      const json = sealing ? seal(sealing, key, payload) : JSON.stringify(payload);
      await Promise.all([
        kv.set(key, json, expiresIn),
        GRANTABLE.has(model) && grantId ? kv.addToSet(grantKey(grantId), key, expiresIn) : undefined,
        ...indexKeys(model, payload).map((index) => kv.set(index, id, expiresIn)),
        ...(options.companions?.(model, id, payload) ?? []).map(({ key: companion, value }) =>
          kv.set(companion, value, expiresIn),
        ),
      ]);
    },
    find: async (id) => {
      const payload = await read(kv, itemKey(model, id), sealing);
      if (payload && prefetch) {
        const keys = readAheadKeys(model, payload, options);
        if (keys.length) prefetch(keys);
      }
      return payload;
    },
    findByUid: async () => undefined,
    findByUserCode: async (userCode) => {
      const id = await kv.get(userCodeKey(userCode));
      const payload = id === null ? undefined : await adapter.find(id);
      return payload?.['userCode'] === userCode ? payload : undefined;
    },
    consume: async (id) => {
      const key = itemKey(model, id);
      const result = await kv.consumeOnce(key);
      if (result === 'ok') return;
      if (result === 'already') {
        // A code redeemed twice may be stolen: revoke what it granted (RFC 6749 §4.1.2).
        const grantId = text((await read(kv, key))?.['grantId']);
        if (grantId) await Promise.all([revokeByGrantId(kv, grantId), kv.del([itemKey('Grant', grantId)])]);
      }
      throw new InvalidGrantError(`${model} ${result === 'already' ? 'already consumed' : 'not found'}`);
    },
    destroy: async (id) => {
      const key = itemKey(model, id);
      // Only device codes have an index key to clean: the others go in one DEL.
      if (model !== 'DeviceCode') return kv.del([key]);
      const payload = await read(kv, key);
      await kv.del([key, ...(payload ? await ownedIndexes(kv, model, id, payload) : [])]);
    },
    revokeByGrantId: (grantId) => revokeByGrantId(kv, grantId),
  };
  return adapter;
}

/**
 * Sessions: one record under the uid (what tokens name: /token and /userinfo find it in the round
 * trip that reads the token's grant), and the id of the browser's cookie pointing at the uid. One
 * record, so no two copies can disagree; a rotated id (oidc-provider rotates it at login) leaves
 * the old pointer to expire or be destroyed without touching the record.
 */
function sessionAdapter(kv: Kv | ReadAheadKv): OidcAdapter {
  const byUid = async (uid: string) => read(kv, sessionKey(uid));
  const byId = async (id: string) => {
    const uid = await kv.get(sessionIdKey(id));
    const payload = uid === null ? undefined : await byUid(uid);
    return payload?.['jti'] === id ? payload : undefined;
  };
  const unsupported = async () => {
    throw new Error('sessions are not consumed nor revoked by grant');
  };
  return {
    upsert: async (id, payload, expiresIn) => {
      const uid = text(payload['uid']);
      if (!uid) throw new Error('a session without uid');
      await Promise.all([
        kv.set(sessionKey(uid), JSON.stringify(payload), expiresIn),
        kv.set(sessionIdKey(id), uid, expiresIn),
      ]);
    },
    find: byId,
    findByUid: async (uid) => {
      const payload = await byUid(uid);
      return payload?.['uid'] === uid ? payload : undefined;
    },
    findByUserCode: async () => undefined,
    consume: unsupported,
    destroy: async (id) => {
      const uid = await kv.get(sessionIdKey(id));
      const payload = uid === null ? undefined : await byUid(uid);
      // The record goes only with the id it holds: a rotated session lives on under its new id.
      const owned = uid !== null && payload?.['jti'] === id;
      await kv.del([sessionIdKey(id), ...(owned ? [sessionKey(uid)] : [])]);
    },
    revokeByGrantId: async () => {},
  };
}

// Clients live in the registry (PostgreSQL), never in Kv: oidc-provider only reads them here.
function clientAdapter(clients: OidcClientSource): OidcAdapter {
  const none = async () => undefined;
  return {
    upsert: async () => {},
    find: (id) => clients.find(id),
    findByUid: none,
    findByUserCode: none,
    consume: async () => {},
    destroy: async () => {},
    revokeByGrantId: async () => {},
  };
}

/**
 * Pass as oidc-provider's `adapter` option: it calls this once per model name. Over a ReadAheadKv,
 * finding a token reads ahead its session, its grant and `readAhead`'s keys in the same round trip.
 */
export function createOidcAdapter(
  kv: Kv | ReadAheadKv,
  clients: OidcClientSource,
  options: AdapterOptions = {},
): (name: string) => OidcAdapter {
  return (name) =>
    name === 'Client'
      ? clientAdapter(clients)
      : storeFailuresShaped(name === 'Session' ? sessionAdapter(kv) : modelAdapter(kv, name, options));
}
