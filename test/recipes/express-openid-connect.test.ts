// The express-openid-connect recipe (examples/express-openid-connect,
// docs/recipes/express-openid-connect.md) end to end: `node examples/express-openid-connect/server.ts`
// against a hub behind the tampering front. The library alone checks neither signature (openid-client
// without its non-repudiation checks) and never calls userinfo: the recipe's afterCallback does.
import { recipeSuite } from './node-support.ts';

recipeSuite({
  name: 'express-openid-connect',
  server: 'examples/express-openid-connect/server.ts',
  host: '127.0.0.22',
  callbackPath: '/callback',
  postLogoutPath: '/logged-out',
});
