// Plain aligned text for people, JSON for machines. Secrets never reach either.
export const MASK = '••••';

/** Members of a JWK that are private key material (RFC 7518 §6). */
const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** A registry entry as show/list print it: client_secret masked, private JWK members dropped. */
export function redact(entry: object): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...entry };
  if (shown.client_secret !== undefined) shown.client_secret = MASK;
  const jwks = shown.jwks as { keys?: Array<Record<string, unknown>> } | undefined;
  if (jwks?.keys) {
    shown.jwks = {
      keys: jwks.keys.map((key) =>
        Object.fromEntries(Object.entries(key).filter(([member]) => !PRIVATE_JWK_MEMBERS.has(member))),
      ),
    };
  }
  return shown;
}

const cell = (value: unknown): string =>
  value === undefined || value === null ? '-' : typeof value === 'string' ? value : JSON.stringify(value);

/** Columns padded to their widest cell; the header is the column names in capitals. */
export function table(columns: readonly string[], rows: ReadonlyArray<object>): string {
  const cells = [
    columns.map((c) => c.toUpperCase()),
    ...rows.map((row) => columns.map((c) => cell((row as Record<string, unknown>)[c]))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
  return cells
    .map((line) =>
      line
        .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `field  value` lines, fields aligned. */
export function fields(record: object): string {
  const entries = Object.entries(record).filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...entries.map(([name]) => name.length));
  return entries.map(([name, value]) => `${name.padEnd(width)}  ${cell(value)}`).join('\n');
}
