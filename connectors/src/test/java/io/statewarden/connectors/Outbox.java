package io.statewarden.connectors;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/** A service's side of the outbox: protocol events inserted in its own transactions. */
final class Outbox {
  /** One protocol event; {@code payload} is a JSON object. */
  record Event(String sessionId, String eventId, String protocol, String type, String payload) {
    String json() {
      return "{\"eventId\":\""
          + eventId
          + "\",\"sessionId\":\""
          + sessionId
          + "\",\"protocol\":\""
          + protocol
          + "\",\"type\":\""
          + type
          + "\",\"source\":\"outbox-test\",\"payload\":"
          + payload
          + "}";
    }
  }

  private final LocalPostgres postgres;
  private final String database;

  Outbox(LocalPostgres postgres, String database) {
    this.postgres = postgres;
    this.database = database;
  }

  /** Inserts the events in one transaction and commits it. */
  void commit(List<Event> events) throws SQLException {
    write(events, true);
  }

  /** Inserts the events in one transaction and rolls it back. */
  void rollBack(List<Event> events) throws SQLException {
    write(events, false);
  }

  private void write(List<Event> events, boolean commit) throws SQLException {
    try (Connection c = postgres.connect(database)) {
      c.setAutoCommit(false);
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO statewarden_outbox (id, session_id, protocol, event)"
                  + " VALUES (?, ?, ?, ?::jsonb)")) {
        for (Event e : events) {
          insert.setObject(1, UUID.randomUUID());
          insert.setString(2, e.sessionId());
          insert.setString(3, e.protocol());
          insert.setString(4, e.json());
          insert.executeUpdate();
        }
      }
      if (commit) {
        c.commit();
      } else {
        c.rollback();
      }
    }
  }
}
