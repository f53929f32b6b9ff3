// Kv over Redis (>= 6.2: GETDEL, SET KEEPTTL). ioredis applies the key prefix to every command
// and to the Lua scripts' keys alike.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { assertTtl, type ConsumeResult, DEFAULT_PREFIX, type Kv } from './kv.ts';

// Same rule as markConsumed(): `consumed` is appended rather than re-encoded, because cjson would
// turn empty arrays into objects.
const CONSUME_ONCE = `
local v = redis.call('GET', KEYS[1])
if not v then return 'missing' end
local ok, item = pcall(cjson.decode, v)
if not ok or type(item) ~= 'table' or not string.match(v, '^%s*{') then
  return redis.error_reply('consumeOnce: the stored value is not a JSON object')
end
local c = item['consumed']
if c ~= nil and c ~= cjson.null and c ~= false then return 'already' end
local marked
if string.match(v, '^%s*{%s*}%s*$') then
  marked = '{"consumed":' .. ARGV[1] .. '}'
else
  marked = (string.gsub(v, '}%s*$', ',"consumed":' .. ARGV[1] .. '}'))
end
redis.call('SET', KEYS[1], marked, 'KEEPTTL')
return 'ok'`;

// SADD, then the set's TTL grows to cover the member, never shortened (PTTL is -1 on a new set).
// A script rather than MULTI: it is one command, so auto-pipelining sends it in the same write as
// the SET of the token it indexes.
const ADD_TO_SET = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

// Compare-and-set: one command, so a transition of a login can never overwrite another's.
const SWAP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`;

type RedisWithConsume = Redis & {
  swap(key: string, expected: string, value: string): Promise<number>;
  consumeOnce(key: string, epochSeconds: number): Promise<ConsumeResult>;
  addToSet(key: string, member: string, ttlMs: number): Promise<number>;
};

function describeHost(url: string): string {
  const parsed = new URL(url);
  // Never echo the password.
  return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
}

const ms = (ttlSeconds: number) => Math.max(1, Math.round(ttlSeconds * 1000));

/**
 * A Redis URL, or a Sentinel one (`redis+sentinel://[:password@]host:port,host:port/<master>`):
 * with Sentinel, ioredis asks the sentinels for the current master and follows a failover.
 */
export function redisConnection(url: string): RedisOptions & { url?: string } {
  if (!url.startsWith('redis+sentinel://')) return { url };
  const [authority = '', path = ''] = url.slice('redis+sentinel://'.length).split('/');
  const at = authority.lastIndexOf('@');
  const password = at >= 0 ? decodeURIComponent(authority.slice(0, at).split(':').pop() ?? '') : '';
  const sentinels = authority
    .slice(at + 1)
    .split(',')
    .map((hostPort) => {
      const [host = 'localhost', port = '26379'] = hostPort.split(':');
      return { host, port: Number(port) };
    });
  const name = decodeURIComponent(path.split('?')[0] ?? '') || 'mymaster';
  return { sentinels, name, ...(password ? { password } : {}) };
}

/** `redis+cluster://host:port,host:port`: the seed nodes of a Redis Cluster. */
export function clusterNodes(url: string): Array<{ host: string; port: number }> | undefined {
  if (!url.startsWith('redis+cluster://')) return undefined;
  const authority = url.slice('redis+cluster://'.length).split('/')[0] ?? '';
  return authority.split(',').map((hostPort) => {
    const [host = 'localhost', port = '6379'] = hostPort.split(':');
    return { host, port: Number(port) };
  });
}

export async function createRedisKv(url: string, prefix: string = DEFAULT_PREFIX): Promise<Kv> {
  const nodes = clusterNodes(url);
  const { url: plain, ...connection } = nodes ? {} : redisConnection(url);
  const options: RedisOptions = {
    ...connection,
    keyPrefix: prefix,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    // Commands issued in the same tick leave in one write: on loopback TCP each write costs a
    // syscall that delivers the packet, the largest share of a Redis command's CPU here.
    enableAutoPipelining: true,
  };
  // A Cluster speaks the same commands (its keys spread over slots: see del below).
  const redis = (
    nodes
      ? (new Cluster(nodes, {
          keyPrefix: prefix,
          lazyConnect: true,
          enableAutoPipelining: true,
          redisOptions: { connectTimeout: 5000, maxRetriesPerRequest: 2 },
        }) as unknown as Redis)
      : plain
        ? new Redis(plain, options)
        : new Redis(options)
  ) as RedisWithConsume;
  // Connection errors surface on the commands; without a listener ioredis prints them all.
  redis.on('error', () => {});
  redis.defineCommand('consumeOnce', { numberOfKeys: 1, lua: CONSUME_ONCE });
  redis.defineCommand('addToSet', { numberOfKeys: 1, lua: ADD_TO_SET });
  redis.defineCommand('swap', { numberOfKeys: 1, lua: SWAP });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot connect to Redis at ${describeHost(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  return {
    get: (key) => redis.get(key),
    set: async (key, value, ttlSeconds) => {
      assertTtl(ttlSeconds);
      await redis.set(key, value, 'PX', ms(ttlSeconds));
    },
    take: (key) => redis.getdel(key),
    swap: async (key, expected, value) => (await redis.swap(key, expected, value)) === 1,
    del: async (keys) => {
      if (keys.length === 0) return;
      // In a Cluster, one DEL may not span slots.
      if (nodes) await Promise.all(keys.map((key) => redis.del(key)));
      else await redis.del(...keys);
    },
    addToSet: async (setKey, member, ttlSeconds) => {
      assertTtl(ttlSeconds);
      await redis.addToSet(setKey, member, ms(ttlSeconds));
    },
    members: (setKey) => redis.smembers(setKey),
    consumeOnce: (key) => redis.consumeOnce(key, Math.floor(Date.now() / 1000)),
    count: async (increments, ttlSeconds) => {
      assertTtl(ttlSeconds);
      // Each counter created at 0 with its TTL if absent (SET NX: any Redis, unlike PEXPIRE NX's
      // 7.0), then INCRBY, which keeps the TTL; issued in one tick, they leave in one write.
      // Every reply is awaited together: a failure rejects once, nothing is left unhandled.
      const replies = await Promise.all(
        increments.flatMap(([key, by]) => [
          redis.set(key, '0', 'PX', ms(ttlSeconds), 'NX'),
          redis.incrby(key, by),
        ]),
      );
      return replies.filter((_, i) => i % 2 === 1) as number[];
    },
    ping: async () => {
      await redis.ping();
    },
    close: async () => {
      await redis.quit();
    },
  };
}
