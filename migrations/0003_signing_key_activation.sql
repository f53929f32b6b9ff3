-- A rotated key is published at once and signs only from activates_at (SPs caching the JWKS
-- keep verifying); retired keys are no longer published.
alter table signing_keys add column activates_at timestamptz not null default now();
