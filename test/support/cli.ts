// The admin CLI run in-process against a federation's stores, as an operator would run it.
import { Writable } from 'node:stream';
import { run } from '../../src/cli/main.ts';
import type { Federation } from './federation.ts';

/** `relais …` with the hub's environment: its exit code, stdout and stderr. */
export async function relais(federation: Federation, ...argv: string[]) {
  let out = '';
  let err = '';
  const sink = (write: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        write(String(chunk));
        done();
      },
    });
  const code = await run([...argv, ...(process.env.DATABASE_URL ? [] : ['--embedded'])], {
    stdout: sink((text) => {
      out += text;
    }),
    stderr: sink((text) => {
      err += text;
    }),
    env: federation.env,
    sql: federation.hub.sql,
  });
  return { code, out, err };
}
