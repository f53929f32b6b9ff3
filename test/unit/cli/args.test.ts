import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../../src/cli/args.ts';

describe('parseArgs', () => {
  it('takes the entry after --json on add, and --json as a switch elsewhere', () => {
    const add = parseArgs(['sp', 'add', '--json', '{"client_id":"x"}']);
    expect(add.positionals).toEqual(['sp', 'add']);
    expect(add.flags.get('json')).toBe('{"client_id":"x"}');
    const list = parseArgs(['--json', 'sp', 'list']);
    expect(list.positionals).toEqual(['sp', 'list']);
    expect(list.flags.get('json')).toBe(true);
  });

  it('reads --name=value and --file value forms', () => {
    expect(parseArgs(['stats', '--days=3']).flags.get('days')).toBe('3');
    expect(parseArgs(['sp', 'add', '--file', 'e.json']).flags.get('file')).toBe('e.json');
  });

  it('refuses a value flag without its value, and a value on a switch', () => {
    expect(() => parseArgs(['sp', 'add', '--file'])).toThrow(UsageError);
    expect(() => parseArgs(['stats', '--days', '--json'])).toThrow(/--days needs a value/);
    expect(() => parseArgs(['export', '--with-secrets=yes'])).toThrow(/takes no value/);
  });
});
