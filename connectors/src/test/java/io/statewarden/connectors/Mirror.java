package io.statewarden.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Transition;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * Compares the sink tables with statewarden's output topics, for the sessions a test owns: the
 * tables must hold each committed record exactly once, no more, no less.
 */
final class Mirror {
  private final TopicReader reader;
  private final Topics topics;
  private final SinkTables tables;
  private final Duration wait;

  Mirror(TopicReader reader, Topics topics, SinkTables tables, Duration wait) {
    this.reader = reader;
    this.topics = topics;
    this.tables = tables;
    this.wait = wait;
  }

  /** Waits until the rows of the matching sessions are exactly the topics' records. */
  void awaitMatch(Predicate<String> sessions) {
    Awaitility.await()
        .atMost(wait)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              assertThat(transitionRows(sessions)).isNotEmpty().isEqualTo(transitionKeys(sessions));
              assertThat(auditRows(sessions)).isNotEmpty().isEqualTo(auditKeys(sessions));
              assertThat(backoutRows(sessions)).isEqualTo(backoutKeys(sessions));
            });
  }

  List<String> transitionKeys(Predicate<String> sessions) {
    return reader.readAll(topics.transitions(), Transition.class).stream()
        .filter(t -> sessions.test(t.getSessionId()))
        .map(
            t ->
                String.join(
                    "|",
                    t.getSessionId(),
                    t.getIncarnation(),
                    String.valueOf(t.getSeq()),
                    String.valueOf(t.getFrom()),
                    t.getTo(),
                    t.getTrigger().name(),
                    String.valueOf(t.getEventId()),
                    String.valueOf(t.getFinal$())))
        .sorted()
        .toList();
  }

  List<String> transitionRows(Predicate<String> sessions) {
    return tables
        .query(
            "SELECT session_id, incarnation, seq, from_state, to_state, trigger, event_id,"
                + " is_final"
                + " FROM session_transitions")
        .stream()
        .filter(r -> sessions.test((String) r.get("session_id")))
        .map(r -> r.values().stream().map(String::valueOf).collect(Collectors.joining("|")))
        .sorted()
        .toList();
  }

  List<AuditRecord> audits(Predicate<String> sessions) {
    return reader.readAll(topics.audit(), AuditRecord.class).stream()
        .filter(a -> sessions.test(a.getSessionId()))
        .toList();
  }

  /** Audit records as (session, decision, reason, event, input offset): unique per record. */
  List<String> auditKeys(Predicate<String> sessions) {
    return audits(sessions).stream()
        .map(
            a ->
                String.join(
                    "|",
                    a.getSessionId(),
                    a.getDecision().name(),
                    String.valueOf(a.getReason()),
                    String.valueOf(a.getEventId()),
                    a.getInput() == null ? "null" : String.valueOf(a.getInput().getOffset())))
        .sorted()
        .toList();
  }

  List<String> auditRows(Predicate<String> sessions) {
    return tables
        .query("SELECT session_id, decision, reason, event_id, input_offset FROM session_audit")
        .stream()
        .filter(r -> sessions.test((String) r.get("session_id")))
        .map(r -> r.values().stream().map(String::valueOf).collect(Collectors.joining("|")))
        .sorted()
        .toList();
  }

  List<String> backoutKeys(Predicate<String> sessions) {
    return reader.readAll(topics.backouts(), Backout.class).stream()
        .filter(b -> sessions.test(b.getSessionId()))
        .map(
            b ->
                String.join(
                    "|",
                    b.getSessionId(),
                    b.getIncarnation(),
                    String.valueOf(b.getSeq()),
                    b.getStalledState(),
                    b.getReason().name()))
        .sorted()
        .toList();
  }

  List<String> backoutRows(Predicate<String> sessions) {
    return tables
        .query("SELECT session_id, incarnation, seq, stalled_state, reason FROM session_backouts")
        .stream()
        .filter(r -> sessions.test((String) r.get("session_id")))
        .map(r -> r.values().stream().map(String::valueOf).collect(Collectors.joining("|")))
        .sorted()
        .toList();
  }
}
