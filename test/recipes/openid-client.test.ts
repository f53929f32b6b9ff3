// The openid-client v6 recipe (examples/openid-client, docs/recipes/openid-client.md) end to end:
// `node examples/openid-client/server.ts` against a hub behind the tampering front.
import { recipeSuite } from './node-support.ts';

recipeSuite({
  name: 'openid-client',
  server: 'examples/openid-client/server.ts',
  host: '127.0.0.21',
  callbackPath: '/callback',
  postLogoutPath: '/logged-out',
});
