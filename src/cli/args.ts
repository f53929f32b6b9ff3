// The command line, parsed by hand: `--json` is a value on `add` (the entry) and a switch elsewhere.
export class UsageError extends Error {}

export interface ParsedArgs {
  /** Command words and arguments, in order (`sp`, `show`, `demo-sp`). */
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Flags that always take a value. */
const VALUE_FLAGS = new Set(['file', 'days', 'delay', 'alg', 'sp', 'sub', 'id', 'scopes', 'expires']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    if (!token.startsWith('--') || token === '--') {
      if (token !== '--') positionals.push(token);
      continue;
    }
    const [name = '', inline] = token.slice(2).split(/=(.*)/s, 2);
    const takesValue = VALUE_FLAGS.has(name) || (name === 'json' && positionals.at(-1) === 'add');
    if (!takesValue) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    if (inline === undefined) i += 1;
    flags.set(name, value);
  }
  return { positionals, flags };
}
