-- The tables statewarden's JDBC sink connectors (config/*-sink.json) keep up to date.
-- The sink configs say schema.evolution=none: create these first.

-- One row per transition (config/transitions-sink.json): upsert on (session_id, incarnation,
-- seq), so a redelivered transition overwrites itself with the same values, and a session id
-- reused after its session was purged (a new incarnation, seq from 1 again) gets rows of its own.
CREATE TABLE IF NOT EXISTS session_transitions (
  session_id        text        NOT NULL,
  -- which life of the session id: '<creating event's timestamp millis>/<its eventId>'
  -- ('' for sessions created before statewarden recorded incarnations)
  incarnation       text        NOT NULL DEFAULT '',
  seq               bigint      NOT NULL,
  protocol          text        NOT NULL,
  protocol_version  integer     NOT NULL,
  from_state        text,
  to_state          text        NOT NULL,
  trigger           text        NOT NULL,
  event_id          text,
  event_type        text,
  at                timestamp   NOT NULL,
  is_final          boolean     NOT NULL,
  outcome           text,
  -- the session data after the move, as JSON (FieldsToJson)
  data              jsonb,
  PRIMARY KEY (session_id, incarnation, seq)
);
-- "which sessions moved in this period", "which sessions of a protocol ended how"
CREATE INDEX IF NOT EXISTS session_transitions_at ON session_transitions (at);
CREATE INDEX IF NOT EXISTS session_transitions_protocol_outcome
  ON session_transitions (protocol, outcome) WHERE is_final;
-- "which transition did this event cause"
CREATE INDEX IF NOT EXISTS session_transitions_event ON session_transitions (event_id);

-- The latest state of each session id (config/sessions-sink.json): upsert on session_id from the
-- transitions topic, whose records of one session arrive in seq order; a reused id shows its
-- latest incarnation.
CREATE TABLE IF NOT EXISTS sessions (
  session_id        text        PRIMARY KEY,
  incarnation       text        NOT NULL DEFAULT '',
  protocol          text        NOT NULL,
  protocol_version  integer     NOT NULL,
  seq               bigint      NOT NULL,
  state             text        NOT NULL,
  is_final          boolean     NOT NULL,
  outcome           text,
  updated_at        timestamp   NOT NULL
);
-- "which sessions are open, and in which state"
CREATE INDEX IF NOT EXISTS sessions_protocol_state ON sessions (protocol, state);
CREATE INDEX IF NOT EXISTS sessions_updated_at ON sessions (updated_at);

-- One row per backed-out session (config/backouts-sink.json): an incarnation of a session backs
-- out at most once.
CREATE TABLE IF NOT EXISTS session_backouts (
  session_id        text        NOT NULL,
  incarnation       text        NOT NULL DEFAULT '',
  protocol          text        NOT NULL,
  protocol_version  integer     NOT NULL,
  seq               bigint      NOT NULL,
  stalled_state     text        NOT NULL,
  reason            text        NOT NULL,
  deadline          timestamp,
  at                timestamp   NOT NULL,
  history           text[],
  -- the session data when it backed out, as JSON (FieldsToJson)
  data              jsonb,
  PRIMARY KEY (session_id, incarnation)
);
CREATE INDEX IF NOT EXISTS session_backouts_at ON session_backouts (at);

-- One row per audit record (config/audit-sink.json). An audit record has no natural unique key
-- (a deadline has no input coordinates; a duplicate event repeats an eventId), so the key is the
-- record's own place in the audit topic: (__connect_topic, __connect_partition, __connect_offset).
-- statewarden writes each audit record exactly once, so a redelivered record lands on its own row.
-- Every record of one session is on one partition, so __connect_offset orders a session's
-- decisions.
CREATE TABLE IF NOT EXISTS session_audit (
  __connect_topic      text        NOT NULL,
  __connect_partition  integer     NOT NULL,
  __connect_offset     bigint      NOT NULL,
  session_id           text        NOT NULL,
  protocol             text,
  event_id             text,
  event_type           text,
  decision             text        NOT NULL,
  reason               text,
  detail               text,
  state_before         text,
  state_after          text,
  seq                  bigint,
  at                   timestamp   NOT NULL,
  input_topic          text,
  input_partition      integer,
  input_offset         bigint,
  processed_at         timestamp,
  instance             text,
  PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)
);
-- "every decision about this session, in order"
CREATE INDEX IF NOT EXISTS session_audit_session
  ON session_audit (session_id, __connect_partition, __connect_offset);
-- "what was rejected, and why, in this period"
CREATE INDEX IF NOT EXISTS session_audit_decision_at ON session_audit (decision, at);
-- "what became of this event"
CREATE INDEX IF NOT EXISTS session_audit_event ON session_audit (event_id);
