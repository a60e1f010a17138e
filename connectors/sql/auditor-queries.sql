-- Queries an auditor runs against the sink tables (sink-tables.sql). Each starts with a
-- "-- name:" line; the integration tests run them by that name. Parameters are JDBC "?".

-- name: decisions-for-session
-- Every decision about one session, in the order statewarden took them, with reasons.
SELECT __connect_offset AS position, at, event_id, event_type, decision, reason, detail,
       state_before, state_after, seq
  FROM session_audit
 WHERE session_id = ?
 ORDER BY __connect_partition, __connect_offset;

-- name: path-of-session
-- The states one session id went through, with what moved it. A reused id (one incarnation
-- after another) lists each incarnation's path, oldest first.
SELECT incarnation, seq, from_state, to_state, trigger, event_id, event_type, at, outcome
  FROM session_transitions
 WHERE session_id = ?
 ORDER BY min(at) OVER (PARTITION BY incarnation), incarnation, seq;

-- name: rejections-between
-- What was rejected in a period, and why, grouped by reason.
SELECT reason, count(*) AS rejected, min(at) AS first, max(at) AS last
  FROM session_audit
 WHERE decision = 'REJECTED' AND at >= ? AND at < ?
 GROUP BY reason
 ORDER BY rejected DESC;

-- name: open-sessions
-- Sessions that have not ended, oldest first.
SELECT session_id, protocol, state, seq, updated_at
  FROM sessions
 WHERE NOT is_final
 ORDER BY updated_at;
