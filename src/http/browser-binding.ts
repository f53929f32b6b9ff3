// The IdP callback belongs to the browser that left for the IdP: a short cookie per state, set on
// departure, required (and cleared) on return. Path-scoped to the callback, SameSite=Lax so the
// IdP's top-level redirect carries it.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TRANSACTION_TTL } from '../rp/transaction.ts';

const PATH = '/idp/callback';
const cookieName = (state: string) =>
  `relais_tx_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;

export function bindStateToBrowser(reply: FastifyReply, state: string, secure: boolean): void {
  reply.setCookie(cookieName(state), '1', {
    path: PATH,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    maxAge: TRANSACTION_TTL,
  });
}

export function stateBoundToBrowser(
  request: FastifyRequest,
  reply: FastifyReply,
  state: string | null,
): boolean {
  if (!state) return false;
  const name = cookieName(state);
  if (request.cookies[name] !== '1') return false;
  reply.clearCookie(name, { path: PATH });
  return true;
}
