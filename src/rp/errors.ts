// openid-client and jose errors become hub errors here, once, at the boundary with the IdP.
import { errors as joseErrors } from 'jose';
import * as client from 'openid-client';
import { RelaisError } from '../errors.ts';
import { isAnswerTooLarge } from './back-channel.ts';

export function translateIdpError(idpUid: string, error: unknown): RelaisError {
  if (error instanceof RelaisError) return error;
  // Past IDP_RESPONSE_MAX_BYTES: an IdP answering what no login needs misbehaves (R2003).
  if (isAnswerTooLarge(error)) {
    return new RelaisError('R2003', { detail: `${idpUid}: answer too large`, cause: error });
  }
  if (error instanceof client.AuthorizationResponseError) {
    // The IdP's own OAuth error code is safe to repeat; its description is not ours to forward.
    return new RelaisError('R2001', { detail: `${idpUid}: ${safeCode(error.error)}`, cause: error });
  }
  if (error instanceof client.ResponseBodyError) {
    const code = error.status >= 500 ? 'R2002' : 'R2003';
    return new RelaisError(code, {
      detail: `${idpUid}: token endpoint answered ${error.status}`,
      cause: error,
    });
  }
  if (error instanceof joseErrors.JOSEError) {
    return new RelaisError('R2003', { detail: `${idpUid}: ${error.code}`, cause: error });
  }
  if (isNetworkError(error)) {
    return new RelaisError('R2002', { detail: `${idpUid}: unreachable or too slow`, cause: error });
  }
  if (error instanceof client.ClientError) {
    const cause = (error as { cause?: unknown }).cause;
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT' || isNetworkError(cause)) {
      return new RelaisError('R2002', { detail: `${idpUid}: unreachable or too slow`, cause: error });
    }
    if (cause instanceof Response && cause.status >= 500) {
      return new RelaisError('R2002', { detail: `${idpUid}: answered ${cause.status}`, cause: error });
    }
    return new RelaisError('R2003', {
      detail: `${idpUid}: ${error.code ?? 'invalid response'}`,
      cause: error,
    });
  }
  return new RelaisError('R2003', { detail: idpUid, cause: error });
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

function safeCode(code: string): string {
  return /^[a-z_]{1,64}$/.test(code) ? code : 'error';
}
