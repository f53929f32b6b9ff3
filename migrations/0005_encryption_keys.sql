-- The hub's encryption keys (use "enc": what IdPs encrypt their id_tokens and userinfo to) live
-- beside its signing keys, rotated and retired the same way.
alter table signing_keys drop constraint signing_keys_alg_check;
alter table signing_keys add constraint signing_keys_alg_check
  check (alg in ('ES256', 'RS256', 'ECDH-ES', 'RSA-OAEP-256'));
