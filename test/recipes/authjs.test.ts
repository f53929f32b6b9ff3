// The Auth.js recipe (examples/authjs-express, docs/recipes/authjs.md) end to end:
// `node examples/authjs-express/server.ts` against a hub behind the tampering front. Auth.js alone
// verifies neither signature and never fetches userinfo; the recipe's jwt callback does both.
// (The example is spawned, not imported: @auth/core's types would bring the DOM lib into this
// project's type check; examples/authjs-express has its own tsconfig.)
import { expect } from 'vitest';
import { recipeSuite } from './node-support.ts';

recipeSuite({
  name: 'authjs',
  server: 'examples/authjs-express/server.ts',
  host: '127.0.0.23',
  callbackPath: '/auth/callback/relais',
  postLogoutPath: '/logged-out',
  async startLogin(citizen, baseUrl) {
    await citizen.go(`${baseUrl}/login`);
    expect(citizen.currentPage().html).toContain('S’identifier avec Relais');
    await citizen.submit('/auth/signin/relais', {});
  },
});
