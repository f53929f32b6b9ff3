// sessions revoke: an operator ends a citizen's hub session, named by the sub one SP knows them
// by. The request goes through PostgreSQL (store/revocations.ts); a running hub ends the session
// within seconds and tells its SPs (back-channel logout), and this command waits to say so.
import { requestRevocation, revocationResult, subjectKey } from '../store/revocations.ts';
import { UsageError } from './args.ts';
import { CliError, type Context } from './context.ts';

/** How long the command waits for a running hub to act (the hubs poll every 2 s). */
export const REVOKE_WAIT_MS = 10_000;
const POLL_MS = 200;

export async function revokeSession(ctx: Context): Promise<void> {
  const sub = ctx.flags.get('sub');
  const clientId = ctx.flags.get('sp');
  if (typeof sub !== 'string' || !sub) throw new UsageError('sessions revoke needs --sub SUB');
  if (typeof clientId !== 'string' || !clientId) throw new UsageError('sessions revoke needs --sp CLIENT_ID');
  const sps = await (await ctx.registry()).listServiceProviders();
  if (!sps.some((sp) => sp.client_id === clientId)) throw new CliError(`sp "${clientId}": not found`);
  const sql = await ctx.sql();
  const id = await requestRevocation(sql, clientId, subjectKey(clientId, sub));
  const deadline = Date.now() + REVOKE_WAIT_MS;
  for (;;) {
    const result = await revocationResult(sql, id);
    if (result.state === 'ended') {
      if (ctx.json) ctx.printJson({ revoked: true, notified: result.notified });
      else ctx.print(`session(s) ended; back-channel logout sent to ${result.notified} service provider(s)`);
      return;
    }
    if (result.state === 'no_session') {
      throw new CliError(`no live hub session for this sub at "${clientId}"`);
    }
    if (result.state === 'failed') {
      throw new CliError('the hub failed to end the session (see its log); ask again');
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        `no running hub took the request within ${REVOKE_WAIT_MS / 1000} s; it stays pending for an hour (request ${id})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
