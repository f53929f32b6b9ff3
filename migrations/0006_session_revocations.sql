-- Operators' requests to end a citizen's hub session (`relais sessions revoke`): a running hub
-- picks each up within seconds, ends the session and tells its SPs (back-channel logout). The
-- SP's sub is kept only as a hash (subject), the key of the hub's index.
create table session_revocations (
  id bigserial primary key,
  client_id text not null,
  subject text not null,
  requested_at timestamptz not null default now(),
  handled_at timestamptz,
  -- ended (the session ended, `notified` SPs told) or no_session
  outcome text,
  notified integer
);
create index session_revocations_pending on session_revocations (id) where handled_at is null;
