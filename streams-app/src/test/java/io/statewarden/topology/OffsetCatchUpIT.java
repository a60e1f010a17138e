package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link OffsetCatchUp}'s clients on a real broker, where a gate needs more than offsets: a
 * committed offset that stops short of the end, with only a transaction marker or a record left
 * between them. Its one consumer (kept between ticks since issue 16) looks at one partition, then
 * another, then the first again from a later offset, and must answer each from where it was told to
 * look, never from what an earlier look had fetched.
 */
@ExtendWith(RealKafka.class)
class OffsetCatchUpIT {

  private String events;
  private String json;
  private String group;

  @BeforeEach
  void names(KafkaInfra infra) {
    events = infra.uniqueName("catchup-events");
    json = infra.uniqueName("catchup-json");
    group = infra.uniqueName("catchup-app");
  }

  /** A transactional producer of the test's own. */
  private KafkaProducer<byte[], byte[]> writer(KafkaInfra infra) {
    Map<String, Object> p = infra.clientConfig();
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "-writer");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @Test
  void shouldOpenBehindAMarkerAndWaitBehindARecordWithOneConsumerForEveryLook(KafkaInfra infra)
      throws Exception {
    infra.createTopics(Map.of(events, 2, json, 1));
    // each partition: records at 0, 1 and 2, the commit marker at 3, end offset 4
    try (var producer = writer(infra)) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int partition = 0; partition < 2; partition++) {
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>(events, partition, null, new byte[] {1}));
        }
      }
      producer.commitTransaction();
    }
    TopicPartition p0 = new TopicPartition(events, 0);
    TopicPartition p1 = new TopicPartition(events, 1);
    try (Admin admin = Admin.create(infra.clientConfig())) {
      // partition 0 read to its marker; partition 1 with its last record unread
      commit(admin, group, Map.of(p0, 3L, p1, 2L));
      Map<String, Object> consumer = new HashMap<>(infra.clientConfig());
      try (OffsetCatchUp catchUp =
          new OffsetCatchUp(events, json, infra.clientConfig(), consumer)) {
        CatchUp.Gate gate0 = catchUp.open(group, 0);
        CatchUp.Gate gate1 = catchUp.open(group, 1);

        await().atMost(Duration.ofSeconds(30)).until(gate0::isOpen);
        // gate 1 is looked at on every tick (200 ms) and must find its record each time
        await()
            .during(Duration.ofSeconds(2))
            .atMost(Duration.ofSeconds(5))
            .until(() -> !gate1.isOpen());

        commit(admin, group, Map.of(p1, 3L)); // the record read: only its marker is left
        await().atMost(Duration.ofSeconds(30)).until(gate1::isOpen);
        assertThat(gate0.isOpen()).isTrue();
      }
    }
  }

  /**
   * Records of a transaction still open when the task starts (a JSON task's normalized events whose
   * markers are still being written, or any writer's) lie past the last stable offset: the gate
   * waits for them to be readable and read, by the high watermark, not the last stable offset.
   */
  @Test
  void shouldWaitForRecordsOfATransactionStillOpenWhenTheTaskStarted(KafkaInfra infra)
      throws Exception {
    infra.createTopics(Map.of(events, 1, json, 1));
    TopicPartition p0 = new TopicPartition(events, 0);
    try (var producer = writer(infra);
        Admin admin = Admin.create(infra.clientConfig())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(events, 0, null, new byte[] {1}));
      producer.commitTransaction(); // a record at 0, its marker at 1
      commit(admin, group, Map.of(p0, 2L)); // read
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(events, 0, null, new byte[] {2}));
      producer.send(new ProducerRecord<>(events, 0, null, new byte[] {3}));
      producer.flush(); // at 2 and 3, past the last stable offset (2) while the transaction is open

      try (OffsetCatchUp catchUp =
          new OffsetCatchUp(events, json, infra.clientConfig(), new HashMap<>())) {
        CatchUp.Gate gate = catchUp.open(group, 0);
        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(6))
            .until(() -> !gate.isOpen());

        producer.commitTransaction(); // readable now, and not read
        await()
            .during(Duration.ofSeconds(2))
            .atMost(Duration.ofSeconds(5))
            .until(() -> !gate.isOpen());

        commit(admin, group, Map.of(p0, 5L)); // read, and their marker at 4
        await().atMost(Duration.ofSeconds(30)).until(gate::isOpen);
      }
    }
  }

  private static void commit(Admin admin, String group, Map<TopicPartition, Long> offsets)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
    offsets.forEach((tp, o) -> m.put(tp, new OffsetAndMetadata(o)));
    admin.alterConsumerGroupOffsets(group, m).all().get();
  }
}
