package io.statewarden.replay;

import io.statewarden.config.Topics;
import io.statewarden.schema.AuditRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;

/**
 * Compares two sets of outputs (live and a replay, or two replays) record by record, per session
 * and in order, ignoring the processing-time fields of audit records ({@code processedAt}, {@code
 * instance}).
 */
public final class Verifier {
  /** One difference: which kind of record, which session, at which position, and both sides. */
  public record Difference(
      String kind, String sessionId, int index, Object expected, Object actual) {
    @Override
    public String toString() {
      return kind
          + " "
          + sessionId
          + " #"
          + (index + 1)
          + ":\n    expected "
          + expected
          + "\n    actual   "
          + actual;
    }
  }

  /** Counts per kind and every difference. */
  public record Report(Map<String, long[]> counts, List<Difference> differences) {
    public boolean identical() {
      return differences.isEmpty();
    }
  }

  private final Map<String, Object> clientConfig;

  public Verifier(Map<String, Object> clientConfig) {
    this.clientConfig = clientConfig;
  }

  public Report compare(Topics expected, Topics actual) {
    Map<String, long[]> counts = new LinkedHashMap<>();
    List<Difference> differences = new ArrayList<>();
    compare("transition", expected.transitions(), actual.transitions(), counts, differences);
    compare("backout", expected.backouts(), actual.backouts(), counts, differences);
    compare("audit", expected.audit(), actual.audit(), counts, differences);
    return new Report(counts, differences);
  }

  private void compare(
      String kind,
      String expectedTopic,
      String actualTopic,
      Map<String, long[]> counts,
      List<Difference> out) {
    Map<String, List<Object>> e = read(expectedTopic);
    Map<String, List<Object>> a = read(actualTopic);
    counts.put(kind, new long[] {size(e), size(a)});
    TreeSet<String> sessions = new TreeSet<>(e.keySet());
    sessions.addAll(a.keySet());
    for (String s : sessions) {
      List<Object> le = e.getOrDefault(s, List.of());
      List<Object> la = a.getOrDefault(s, List.of());
      for (int i = 0; i < Math.max(le.size(), la.size()); i++) {
        Object x = i < le.size() ? le.get(i) : null;
        Object y = i < la.size() ? la.get(i) : null;
        if (!Objects.equals(x, y)) {
          out.add(new Difference(kind, s, i, x, y));
        }
      }
    }
  }

  private static long size(Map<String, List<Object>> m) {
    return m.values().stream().mapToLong(List::size).sum();
  }

  /** Every committed record of the topic, by session, in order, processing-time fields cleared. */
  Map<String, List<Object>> read(String topic) {
    Map<String, List<Object>> out = new LinkedHashMap<>();
    for (var r : OutputReader.readAll(clientConfig, topic)) {
      out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(normalize(r.value()));
    }
    return out;
  }

  static Object normalize(Object v) {
    if (v instanceof AuditRecord a) {
      AuditRecord copy = AuditRecord.newBuilder(a).setProcessedAt(null).setInstance(null).build();
      return copy;
    }
    return (SpecificRecord) v;
  }
}
