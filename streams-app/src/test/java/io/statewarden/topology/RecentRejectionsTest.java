package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/** The console's rejections index, through the real live topology (decision 0015). */
class RecentRejectionsTest {
  // the live topology as TopologyTest drives it (composed: its own tests are not run again here)
  final TopologyTest t = new TopologyTest();

  @org.junit.jupiter.api.AfterEach
  void close() {
    t.close();
  }

  KeyValueStore<String, byte[]> store() {
    return t.driver.getKeyValueStore(TopologyFactory.REJECTIONS_STORE);
  }

  List<String> kept(String id) {
    List<String> ids = new ArrayList<>();
    for (JsonNode r : TopologyFactory.rejections(store().get(id))) {
      ids.add(r.get("eventId").asText() + ":" + r.get("reason").asText());
    }
    return ids;
  }

  @Test
  void keepsTheLastRejectionsOfEachSessionAndPassesEveryAuditRecordOn() throws Exception {
    t.start();
    t.send("s1", "e0", "InboundContact", TopologyTest.T);
    for (int i = 1; i <= RecentRejections.KEEP + 5; i++) {
      // not an event of L_PROCESS_CONTACT: INVALID_TRANSITION
      t.send("s1", "e" + i, "DatabaseResult", TopologyTest.T + i);
    }
    t.send("s2", "x1", "HooksComplete", TopologyTest.T); // no such session: UNKNOWN_SESSION

    List<AuditRecord> audits =
        t.audit.readValuesToList().stream().map(AuditRecord.class::cast).toList();
    assertThat(audits).hasSize(RecentRejections.KEEP + 7);
    assertThat(audits.stream().filter(a -> a.getDecision() == Decision.REJECTED)).hasSize(26);

    List<String> s1 = kept("s1");
    assertThat(s1).hasSize(RecentRejections.KEEP);
    assertThat(s1.get(0)).isEqualTo("e6:INVALID_TRANSITION");
    assertThat(s1.get(s1.size() - 1)).isEqualTo("e25:INVALID_TRANSITION");
    assertThat(kept("s2")).containsExactly("x1:UNKNOWN_SESSION");
    JsonNode r = TopologyFactory.rejections(store().get("s1")).get(0);
    assertThat(r.get("stateBefore").asText()).isEqualTo("L_PROCESS_CONTACT");
    assertThat(r.get("eventType").asText()).isEqualTo("DatabaseResult");
  }

  @Test
  void dropsAKeyWithNoRejectionForTheRetention() throws Exception {
    t.start();
    t.send("s1", "e1", "HooksComplete", TopologyTest.T); // UNKNOWN_SESSION
    t.driver.advanceWallClockTime(RecentRejections.RETENTION.minus(Duration.ofHours(2)));
    t.send("s2", "e2", "HooksComplete", TopologyTest.T);
    t.driver.advanceWallClockTime(Duration.ofHours(3));
    assertThat(store().get("s1")).as("no rejection for longer than the retention").isNull();
    assertThat(kept("s2")).containsExactly("e2:UNKNOWN_SESSION");
  }
}
