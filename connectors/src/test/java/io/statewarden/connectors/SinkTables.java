package io.statewarden.connectors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the sink tables, and runs the named queries of {@code sql/auditor-queries.sql}. */
final class SinkTables {
  private final LocalPostgres postgres;
  private final String database;
  private final Path queries;

  SinkTables(LocalPostgres postgres, String database, Path queries) {
    this.postgres = postgres;
    this.database = database;
    this.queries = queries;
  }

  /** The rows of a query, each column by its label. */
  List<Map<String, Object>> query(String sql, Object... params) {
    try (Connection c = postgres.connect(database);
        PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        ResultSetMetaData meta = r.getMetaData();
        while (r.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            row.put(meta.getColumnLabel(i), r.getObject(i));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("Query failed: " + sql, e);
    }
  }

  /** Runs the query named {@code -- name: <name>} in the auditor's queries file. */
  List<Map<String, Object>> named(String name, Object... params) {
    return query(namedQuery(name), params);
  }

  String namedQuery(String name) {
    try {
      String all = Files.readString(queries, StandardCharsets.UTF_8);
      String marker = "-- name: " + name + "\n";
      int start = all.indexOf(marker);
      if (start < 0) {
        throw new IllegalArgumentException("No query named " + name + " in " + queries);
      }
      int end = all.indexOf(';', start);
      return all.substring(start + marker.length(), end);
    } catch (IOException e) {
      throw new IllegalStateException("Could not read " + queries, e);
    }
  }
}
