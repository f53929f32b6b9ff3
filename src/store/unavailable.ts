// The store failing (Redis down, a connection cut, a timeout) is one error the hub knows: R5003,
// answered as "temporarily unavailable" with a way back to the SP, never a bare 500. The hub's own
// errors (R5002: the in-process store full) pass as they are.
import { RelaisError } from '../errors.ts';
import type { Kv } from './kv.ts';

export function withStoreErrors(kv: Kv): Kv {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(kv) as Array<
    [string, (...args: unknown[]) => Promise<unknown>]
  >) {
    wrapped[name] =
      name === 'close'
        ? method.bind(kv)
        : (...args: unknown[]) =>
            method.apply(kv, args).catch((cause: unknown) => {
              if (cause instanceof RelaisError) throw cause;
              throw new RelaisError('R5003', { detail: `store ${name} failed`, cause });
            });
  }
  return wrapped as unknown as Kv;
}
