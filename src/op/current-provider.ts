// The hub rebuilds its oidc-provider when the signing keys change (key rotation): the routes hold
// this stand-in, never one instance, so each request reaches the newest.
import type Provider from 'oidc-provider';

/** A Provider that is always the current one (its methods bound to it). */
export function currentProvider(current: () => Provider): Provider {
  return new Proxy({} as Provider, {
    get(_target, property) {
      const instance = current();
      const value = Reflect.get(instance, property, instance);
      return typeof value === 'function' && !/^[A-Z]/.test(String(property)) ? value.bind(instance) : value;
    },
  });
}
