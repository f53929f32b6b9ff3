-- Data providers (fournisseurs de données): APIs that ask the hub whether an SP's access token is
-- valid (introspection, FranceConnect's checktoken). Same shape as the SP and IdP tables: the
-- entry as upserted from the federation file, its client_secret sealed.
create table data_providers (
  client_id text primary key,
  config jsonb not null,
  active boolean not null,
  updated_at timestamptz not null default now()
);
