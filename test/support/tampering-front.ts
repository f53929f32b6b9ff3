// A front in place of the TLS terminator before the hub (at the issuer's address, as in
// production), that can alter the hub's next id_token or userinfo JWT on their way to the SP: the
// negative control of an SP integration (a recipe must refuse a token whose signature is broken).
// Every other request and response passes through unchanged.
import { createServer, request } from 'node:http';

export type Tampered = 'id_token' | 'userinfo';

export interface TamperingFront {
  /** The next /token answer's id_token, or the next /userinfo JWT, gets one character changed in its signature. */
  tamperNext(what: Tampered): void;
  /** What was altered so far, in order. */
  readonly altered: Tampered[];
  close(): Promise<void>;
}

/** One character of the JWT's last part changed (its signature, or a JWE's authentication tag). */
export function breakSignature(jwt: string): string {
  const parts = jwt.split('.');
  const last = parts.at(-1) ?? '';
  const at = Math.floor(last.length / 2);
  const swapped = last[at] === 'A' ? 'B' : 'A';
  parts[parts.length - 1] = `${last.slice(0, at)}${swapped}${last.slice(at + 1)}`;
  return parts.join('.');
}

export function startTamperingFront(host: string, port: number, hubPort: number): Promise<TamperingFront> {
  const pending = new Set<Tampered>();
  const altered: Tampered[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const target: Tampered | undefined =
      path === '/token' && pending.has('id_token')
        ? 'id_token'
        : path === '/userinfo' && pending.has('userinfo')
          ? 'userinfo'
          : undefined;
    const upstream = request(
      { host: '127.0.0.1', port: hubPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (!target || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          let body = Buffer.concat(chunks).toString('utf8');
          if (target === 'id_token') {
            const json = JSON.parse(body) as { id_token?: string };
            if (json.id_token) json.id_token = breakSignature(json.id_token);
            body = JSON.stringify(json);
          } else {
            body = breakSignature(body);
          }
          pending.delete(target);
          altered.push(target);
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
          res.writeHead(200, headers).end(body);
        });
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(port, host, () =>
      resolve({
        tamperNext: (what) => pending.add(what),
        altered,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      }),
    ),
  );
}
