// A load balancer in a few lines: each request to the next hub instance, as nginx does in
// docker-compose. A developer's tool: used by `npm run stack`, the tests of several instances and
// the bench's scale-out.
import { createServer, request } from 'node:http';

export interface RoundRobin {
  /** Requests each target received. */
  hits: number[];
  close(): Promise<void>;
}

export function startRoundRobin(host: string, port: number, targets: number[]): Promise<RoundRobin> {
  const hits = targets.map(() => 0);
  let next = 0;
  const server = createServer((req, res) => {
    const index = next++ % targets.length;
    hits[index] = (hits[index] ?? 0) + 1;
    const upstream = request(
      { host: '127.0.0.1', port: targets[index], method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(port, host, () =>
      resolve({
        hits,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      }),
    ),
  );
}
