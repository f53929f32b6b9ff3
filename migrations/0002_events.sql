-- Business events (one row per step of a login or a logout): ids only, never identité pivot data.
-- Pruned after EVENTS_RETENTION_DAYS by the hub itself.
create table events (
  id bigserial primary key,
  at timestamptz not null default now(),
  name text not null,
  client_id text,
  idp_uid text,
  acr text,
  interaction_id text,
  session_id text,
  error_code text,
  data jsonb
);
create index events_at on events (at);
create index events_name_at on events (name, at);
