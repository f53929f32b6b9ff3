// node examples/express-openid-connect/server.ts (Node ≥ 22.18 runs the TypeScript as is), with:
//   ISSUER=http://localhost:3000 CLIENT_ID=… CLIENT_SECRET=… BASE_URL=http://localhost:3006 PORT=3006
//   (and SESSION_SECRET, to keep the sessions across restarts)
// The SP must be registered at the hub with redirect_uri ${BASE_URL}/callback and
// post_logout_redirect_uri ${BASE_URL}/logged-out.
import { createApp } from './app.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const baseUrl = required('BASE_URL').replace(/\/$/, '');
const port = Number(process.env.PORT || new URL(baseUrl).port || 3006);
const app = await createApp({
  issuer: required('ISSUER'),
  clientId: required('CLIENT_ID'),
  clientSecret: required('CLIENT_SECRET'),
  baseUrl,
  ...(process.env.SESSION_SECRET ? { sessionSecret: process.env.SESSION_SECRET } : {}),
});
const server = app.listen(port, process.env.HOST ?? 'localhost', () => {
  console.log(`express-openid-connect recipe listening on ${baseUrl}`);
});
// Stops on SIGTERM: the open connections are cut, then the process exits.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
