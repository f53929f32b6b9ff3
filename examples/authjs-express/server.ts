// node examples/authjs-express/server.ts (Node ≥ 22.18 runs the TypeScript as is), with:
//   ISSUER=http://localhost:3000 CLIENT_ID=… CLIENT_SECRET=… BASE_URL=http://localhost:3007 PORT=3007
//   (and AUTH_SECRET, to keep the sessions across restarts)
// The SP must be registered at the hub with redirect_uri ${BASE_URL}/auth/callback/relais and
// post_logout_redirect_uri ${BASE_URL}/logged-out.
import { createApp } from './app.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const baseUrl = required('BASE_URL').replace(/\/$/, '');
const port = Number(process.env.PORT || new URL(baseUrl).port || 3007);
const app = await createApp({
  issuer: required('ISSUER'),
  clientId: required('CLIENT_ID'),
  clientSecret: required('CLIENT_SECRET'),
  baseUrl,
  ...(process.env.AUTH_SECRET ? { authSecret: process.env.AUTH_SECRET } : {}),
});
const server = app.listen(port, process.env.HOST ?? 'localhost', () => {
  console.log(`Auth.js recipe listening on ${baseUrl}`);
});
// Stops on SIGTERM: the open connections are cut, then the process exits.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
