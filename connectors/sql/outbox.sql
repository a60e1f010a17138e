-- The outbox table, in the database of a service that takes part in statewarden protocols.
-- The service inserts one row per protocol event in the same transaction as its own changes;
-- Debezium's PostgreSQL connector (config/outbox-source.json) reads the inserts from the WAL and
-- its outbox event router publishes each `event` to statewarden's JSON events topic, keyed by
-- `session_id`. A rolled-back transaction publishes nothing.
--
-- The server needs wal_level=logical; the connector's user needs REPLICATION and, for the
-- publication it creates (publication.autocreate.mode=filtered), ownership of the table.
CREATE TABLE IF NOT EXISTS statewarden_outbox (
  -- the Debezium event id (message header "id"); use the event's eventId where it is a uuid
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  -- the record key: must equal event->>'sessionId'
  session_id  text        NOT NULL,
  -- the protocol name (the router's route.by.field; every row goes to the one events topic)
  protocol    text        NOT NULL,
  -- the ProtocolEvent as JSON: eventId, sessionId, protocol, type, payload, and optionally
  -- protocolVersion, expectedState, source, occurredAt (see docs/records.md)
  event       jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Rows can be deleted once published (Debezium reads the insert from the WAL, not the table):
-- a service may even delete them in the same transaction, or prune old ones from time to time.
