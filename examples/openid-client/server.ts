// node examples/openid-client/server.ts (Node ≥ 22.18 runs the TypeScript as is), with:
//   ISSUER=http://localhost:3000 CLIENT_ID=… CLIENT_SECRET=… BASE_URL=http://localhost:3005 PORT=3005
// The SP must be registered at the hub with redirect_uri ${BASE_URL}/callback and
// post_logout_redirect_uri ${BASE_URL}/logged-out.
import { createServer } from 'node:http';
import { createApp } from './app.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const baseUrl = required('BASE_URL').replace(/\/$/, '');
const port = Number(process.env.PORT || new URL(baseUrl).port || 3005);
const handler = await createApp({
  issuer: required('ISSUER'),
  clientId: required('CLIENT_ID'),
  clientSecret: required('CLIENT_SECRET'),
  baseUrl,
});
const server = createServer(handler).listen(port, process.env.HOST ?? 'localhost', () => {
  console.log(`openid-client recipe listening on ${baseUrl}`);
});
// Stops on SIGTERM: the open connections are cut, then the process exits.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
