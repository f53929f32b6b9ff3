-- The registry: service providers (FS) and identity providers (FI) from the federation file,
-- the hub's signing keys, and the secrets generated in demo mode.
-- Landed files are never edited: add a new NNNN_slug.sql instead.

create table service_providers (
  client_id text primary key,
  config jsonb not null,
  active boolean not null,
  updated_at timestamptz not null default now()
);

create table identity_providers (
  uid text primary key,
  config jsonb not null,
  active boolean not null,
  updated_at timestamptz not null default now()
);

create table signing_keys (
  kid text primary key,
  alg text not null check (alg in ('ES256', 'RS256')),
  private_jwk jsonb not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz
);

-- Demo mode only: secrets generated at first start (sub secret, cookie keys...).
create table hub_secrets (
  name text primary key,
  value text not null,
  created_at timestamptz not null default now()
);
