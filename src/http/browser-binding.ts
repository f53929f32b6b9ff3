// The IdP callback belongs to the browser that left for the IdP: a short cookie per state, set on
// departure with a random value the IdP transaction keeps (login/flow.ts compares the two, in
// constant time, on return), and cleared on return. SameSite=Lax so the IdP's top-level redirect
// carries it. Under https it is a `__Host-` cookie (Secure, Path=/, no Domain: a sibling host
// cannot plant one); on http it is path-scoped to the callback, as browsers refuse `__Host-` there.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TRANSACTION_TTL } from '../rp/transaction.ts';

const CALLBACK_PATH = '/idp/callback';

/** One cookie per state, so the last few departures of a login (or several tabs) stay valid. */
function cookieOf(state: string, secure: boolean) {
  const name = `relais_tx_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
  return secure
    ? { name: `__Host-${name}`, options: { path: '/', secure: true } }
    : { name, options: { path: CALLBACK_PATH, secure: false } };
}

/** On departure: the transaction's binding, kept by this browser until its callback. */
export function bindStateToBrowser(
  reply: FastifyReply,
  departure: { state: string; binding: string },
  secure: boolean,
): void {
  const { name, options } = cookieOf(departure.state, secure);
  reply.setCookie(name, departure.binding, {
    ...options,
    httpOnly: true,
    sameSite: 'lax',
    maxAge: TRANSACTION_TTL,
  });
}

/** On return: the binding this browser holds for the state (undefined: none), cleared either way. */
export function browserBindingOf(
  request: FastifyRequest,
  reply: FastifyReply,
  state: string | null,
  secure: boolean,
): string | undefined {
  if (!state || state.length > 256) return undefined;
  const { name, options } = cookieOf(state, secure);
  const binding = request.cookies[name];
  if (binding === undefined) return undefined;
  reply.clearCookie(name, { ...options, httpOnly: true, sameSite: 'lax' });
  return binding.length > 0 && binding.length <= 128 ? binding : undefined;
}
