// What stands in front of the servers in the drill, on loopback only.
//
// The hubs' front: one origin (the hubs' ISSUER) before both instances, as a load balancer.
// Each request goes to the next live instance; a refused connection marks that instance dead for
// a second and the request goes to the other (nginx's `proxy_next_upstream error` with
// `max_fails=1 fail_timeout=1s`); a connection that breaks before an answer is retried on the
// other instance for GET and HEAD only, as nginx does (a POST may have been acted on): otherwise
// 502. It sets X-Forwarded-For to the client's address, which the hubs believe (TRUST_PROXY).
//
// An IdP's gate: the IdP's public origin in front of the mock IdP process, which it can close
// (the IdP down: connections refused, those open cut) or slow down (its back channel late).
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FrontStats {
  /** Requests each instance answered. */
  hits: number[];
  /** Requests sent to the other instance after a refused or broken connection. */
  retried: number;
  /** Answers of the front's own: 502 (no live instance, or a broken non-idempotent request). */
  badGateway: number;
}

export interface HubFront {
  stats: FrontStats;
  close(): Promise<void>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD']);
const DEAD_FOR_MS = 1000;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Tracks a server's sockets, to cut them when it closes (keep-alive ones included). */
function tracked(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

export async function startHubFront(host: string, port: number, targets: number[]): Promise<HubFront> {
  const stats: FrontStats = { hits: targets.map(() => 0), retried: 0, badGateway: 0 };
  const deadUntil = targets.map(() => 0);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;

  const pick = (excluded: Set<number>): number | undefined => {
    const now = Date.now();
    for (let i = 0; i < targets.length; i += 1) {
      const index = (next + i) % targets.length;
      if (!excluded.has(index) && (deadUntil[index] ?? 0) <= now) {
        next = index + 1;
        return index;
      }
    }
    // Every instance marked dead: try one anyway rather than refuse (nginx does the same).
    for (let i = 0; i < targets.length; i += 1) if (!excluded.has(i)) return i;
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, tried: Set<number>): void => {
    const index = pick(tried);
    if (index === undefined) {
      stats.badGateway += 1;
      res.writeHead(502, { 'content-type': 'text/plain' }).end('front: no live hub instance\n');
      return;
    }
    tried.add(index);
    const headers = {
      ...req.headers,
      'x-forwarded-for': req.socket.remoteAddress ?? '',
      'x-forwarded-proto': 'http',
    };
    let connected = false;
    const upstream = request(
      { host: '127.0.0.1', port: targets[index], method: req.method, path: req.url, headers, agent },
      (answer) => {
        stats.hits[index] = (stats.hits[index] ?? 0) + 1;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const refused = !connected || error.code === 'ECONNREFUSED';
      if (refused) deadUntil[index] = Date.now() + DEAD_FOR_MS;
      // A kept-alive connection the instance had closed: the request never reached it (Node's advice).
      const stale = upstream.reusedSocket && error.code === 'ECONNRESET';
      if ((refused || stale || IDEMPOTENT.has(req.method ?? '')) && tried.size < targets.length) {
        stats.retried += 1;
        forward(req, res, body, tried);
        return;
      }
      stats.badGateway += 1;
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`front: ${error.code ?? error.message}\n`);
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => forward(req, res, body, new Set()),
      () => res.destroy(),
    );
  });
  const sockets = tracked(server);
  await listen(server, host, port);
  return {
    stats,
    close: async () => {
      await close(server, sockets);
      agent.destroy();
    },
  };
}

export type GateMode = { state: 'open' } | { state: 'down' } | { state: 'slow'; ms: number; paths: string[] };

export interface IdpGate {
  readonly mode: GateMode;
  /** Down: stops listening and cuts every connection; open or slow: listens again. */
  set(mode: GateMode): Promise<void>;
  close(): Promise<void>;
}

/** The IdP's public host and port in front of the mock IdP process at `target`. */
export async function startIdpGate(
  publicAt: { host: string; port: number },
  target: { host: string; port: number },
): Promise<IdpGate> {
  let mode: GateMode = { state: 'open' };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const delay = mode.state === 'slow' && mode.paths.includes(path) ? mode.ms : 0;
    const pass = () => {
      const upstream = request(
        { ...target, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (delay) {
      req.pause();
      void sleep(delay).then(() => {
        req.resume();
        pass();
      });
    } else pass();
  });
  const sockets = tracked(server);
  await listen(server, publicAt.host, publicAt.port);
  let listening = true;
  return {
    get mode() {
      return mode;
    },
    async set(next) {
      mode = next;
      if (next.state === 'down' && listening) {
        listening = false;
        await close(server, sockets);
      } else if (next.state !== 'down' && !listening) {
        await listen(server, publicAt.host, publicAt.port);
        listening = true;
      }
    },
    async close() {
      if (listening) await close(server, sockets);
      listening = false;
      agent.destroy();
    },
  };
}
