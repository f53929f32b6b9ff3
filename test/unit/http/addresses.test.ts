import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressSet, clientAddress } from '../../../src/http/addresses.ts';
import { addressSubject } from '../../../src/http/request-limits.ts';

const request = (peer: string, forwarded?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe('the client address', () => {
  const proxies = addressSet(['10.0.0.0/8', '::1']);

  it('is the connection’s when it does not come from a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress(request('192.0.2.10', '198.51.100.1'), proxies)).toBe('192.0.2.10');
    expect(clientAddress(request('192.0.2.10', '198.51.100.1'), undefined)).toBe('192.0.2.10');
    expect(clientAddress(request('::ffff:192.0.2.10'), undefined)).toBe('192.0.2.10');
  });

  it('behind trusted proxies, is the nearest hop that is not one: a client’s own X-Forwarded-For is not believed', () => {
    expect(clientAddress(request('10.0.0.2', '198.51.100.1'), proxies)).toBe('198.51.100.1');
    // The citizen wrote 203.0.113.99 themselves; the proxy appended their real address.
    expect(clientAddress(request('10.0.0.2', '203.0.113.99, 198.51.100.1, 10.0.0.3'), proxies)).toBe(
      '198.51.100.1',
    );
    expect(clientAddress(request('::1', '2001:db8::5'), proxies)).toBe('2001:db8::5');
  });

  it('is the proxy itself when the header is missing or garbled', () => {
    expect(clientAddress(request('10.0.0.2'), proxies)).toBe('10.0.0.2');
    expect(clientAddress(request('10.0.0.2', 'not-an-address'), proxies)).toBe('10.0.0.2');
  });

  it('reads hops with a port or brackets, and stops at the farthest proxy when every hop is one', () => {
    expect(clientAddress(request('10.0.0.2', '198.51.100.1:5123'), proxies)).toBe('198.51.100.1');
    expect(clientAddress(request('10.0.0.2', '[2001:db8::5]:443'), proxies)).toBe('2001:db8::5');
    expect(clientAddress(request('10.0.0.2', '10.0.0.9, 10.0.0.3'), proxies)).toBe('10.0.0.9');
    // Garbage left of the proxies' hops: the farthest proxy, not the client's words.
    expect(clientAddress(request('10.0.0.2', 'forged, 10.0.0.3'), proxies)).toBe('10.0.0.3');
  });

  it('reads addresses and CIDRs, v4 and v6, and refuses anything else', () => {
    const set = addressSet(['127.0.0.9', '192.0.2.0/24', '2001:db8::/32']);
    expect(set.has('127.0.0.9')).toBe(true);
    expect(set.has('::ffff:192.0.2.77')).toBe(true);
    expect(set.has('2001:db8:1::1')).toBe(true);
    expect(set.has('127.0.0.10')).toBe(false);
    expect(() => addressSet(['example.org'])).toThrow(/not an address/);
  });
});

describe('the subject an address counts as', () => {
  it('is an IPv4 address itself, an IPv6 address its /64', () => {
    expect(addressSubject('192.0.2.10')).toBe('192.0.2.10');
    expect(addressSubject('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('::1')).toBe('0:0:0:0::/64');
    expect(addressSubject('2001:db8::')).toBe('2001:db8:0:0::/64');
  });
});
