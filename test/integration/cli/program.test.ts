// `relais` as an operator runs it: a child process of Node, the embedded database in a directory.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = new URL('../../../src/cli/main.ts', import.meta.url).pathname;

async function relais(env: Record<string, string>, ...argv: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...argv], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the relais program', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relais-program-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('migrates an embedded directory, then lists its (empty) registry; exit codes 0, 2', async () => {
    const env = { PGLITE_DIR: join(dir, 'pglite') };
    const migrated = await relais(env, '--embedded', 'migrate');
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toContain('applied 0001_registry.sql');
    expect(await relais(env, '--embedded', 'idp', 'list')).toMatchObject({
      code: 0,
      stdout: 'UID  ACTIVE  DISPLAY  ORDER  ISSUER  NAME\n',
    });
    const noDatabase = await relais(env, 'sp', 'list');
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr).toMatch(/^relais: DATABASE_URL is required/);
  });
});
