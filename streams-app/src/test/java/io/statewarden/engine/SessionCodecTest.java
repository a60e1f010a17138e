package io.statewarden.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Outcome;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionCodecTest {
  static Session sample() {
    return sample("1000/e1");
  }

  static Session sample(String incarnation) {
    Session s = new Session("sess-1", incarnation, "taleus-listener", 2, 1_000);
    s.state = "L_SEND_RESPONSE";
    s.seq = 2;
    s.enteredAt = 2_000;
    s.stateDeadline = 7_000;
    s.sessionDeadline = 31_000;
    Map<String, Object> data = new java.util.LinkedHashMap<>();
    data.put("role", "foil");
    data.put("n", -5L);
    data.put("x", 1.5);
    data.put("ok", true);
    data.put("none", null);
    s.data = data;
    s.eventIds.add("e1");
    s.eventIds.add("e2");
    s.history.add(Session.Step.stateOnly("L_PROCESS_CONTACT"));
    s.history.add(Session.Step.stateOnly("L_SEND_RESPONSE"));
    return s;
  }

  /** Format 1 as first shipped. If this changes, bump FORMAT and keep a reader for 1. */
  static final String FORMAT_1 =
      "0106736573732d310f74616c6575732d6c697374656e6572020f4c5f53454e445f524553504f4e5345"
          + "02d00fa01f01b06d01b0e40300000504726f6c650504666f696c016e0309017804000000000000f83f"
          + "026f6b02046e6f6e65000202653102653202114c5f50524f434553535f434f4e544143540f4c5f5345"
          + "4e445f524553504f4e5345";

  @Test
  void shouldRoundTrip() {
    Session s = sample();
    assertThat(SessionCodec.decode(SessionCodec.encode(s))).isEqualTo(s);
    s.outcome = Outcome.BACKED_OUT;
    s.closedAt = 9_000;
    s.stateDeadline = Session.NONE;
    assertThat(SessionCodec.decode(SessionCodec.encode(s))).isEqualTo(s);
  }

  /**
   * Format 2: format 1 with the incarnation appended. If this changes, bump FORMAT and keep a
   * reader for 1 and 2.
   */
  static final String FORMAT_2 =
      "0206736573732d310f74616c6575732d6c697374656e6572020f4c5f53454e445f524553504f4e5345"
          + "02d00fa01f01b06d01b0e40300000504726f6c650504666f696c016e0309017804000000000000f83f"
          + "026f6b02046e6f6e65000202653102653202114c5f50524f434553535f434f4e544143540f4c5f5345"
          + "4e445f524553504f4e5345"
          + "07313030302f6531";

  @Test
  void shouldStillReadFormatTwoWithNoKeptEvent() {
    Session old = SessionCodec.decode(HexFormat.of().parseHex(FORMAT_2));

    assertThat(old).isEqualTo(sample());
    assertThat(old.failed()).isNull();
  }

  /**
   * Format 3: format 2 with the event kept for a retry appended (00: none). If this changes, bump
   * FORMAT and keep a reader for 1, 2 and 3.
   */
  static final String FORMAT_3 = "03" + FORMAT_2.substring(2) + "00";

  /** Format 3 with a kept event: 01, "e9", "Go", state "A", timestamp 3000, payload {n: 3}. */
  static final String FORMAT_3_KEPT =
      "03" + FORMAT_2.substring(2) + "01" + "026539" + "02476f" + "0141" + "f02e" + "01016e0306";

  @Test
  void shouldStillReadFormatThree() {
    Session old = SessionCodec.decode(HexFormat.of().parseHex(FORMAT_3));

    assertThat(old).isEqualTo(sample());
    assertThat(old.timeline())
        .extracting(Session.Step::trigger, Session.Step::eventId, Session.Step::at)
        .containsOnly(org.assertj.core.groups.Tuple.tuple(null, null, Session.NONE));
  }

  @Test
  void shouldStillReadFormatThreeWithAKeptEvent() {
    Session s = sample();
    s.failed = new Session.Failed("e9", "Go", Map.of("n", 3L), 3_000, "A");

    Session read = SessionCodec.decode(HexFormat.of().parseHex(FORMAT_3_KEPT));
    assertThat(read).isEqualTo(s);
    assertThat(read.failed().payload()).containsExactly(Map.entry("n", 3L));
    // written again as format 4: the same, with a byte 00 (no cause) for each history entry
    assertThat(HexFormat.of().formatHex(SessionCodec.encode(read)))
        .isEqualTo("04" + FORMAT_3_KEPT.substring(2) + "0000");
  }

  /** The sample as its moves made it: each history entry with its trigger, event and time. */
  static Session sampleWithCauses() {
    Session s = sample();
    s.history.clear();
    s.history.add(
        new Session.Step("L_PROCESS_CONTACT", Trigger.EVENT, "e1", "InboundContact", 1_000));
    s.history.add(new Session.Step("L_SEND_RESPONSE", Trigger.EVENT, "e2", "HooksComplete", 2_000));
    return s;
  }

  /**
   * Format 4: format 3 with each history entry's cause appended: trigger code + 1, event id and
   * type (01 + string, or 00), time as zigzag(at - createdAt). If this changes, bump FORMAT and
   * keep a reader for 1 to 4.
   */
  static final String FORMAT_4 =
      "04"
          + FORMAT_3.substring(2)
          + "01" // EVENT (code 0)
          + "01026531" // event id e1
          + "010e496e626f756e64436f6e74616374" // event type InboundContact
          + "00" // at 1000: createdAt + 0
          + "01" // EVENT
          + "01026532" // e2
          + "010d486f6f6b73436f6d706c657465" // HooksComplete
          + "d00f"; // at 2000: createdAt + 1000

  @Test
  void shouldKeepFormatFourStable() {
    Session s = sampleWithCauses();

    assertThat(HexFormat.of().formatHex(SessionCodec.encode(s))).isEqualTo(FORMAT_4);
    Session read = SessionCodec.decode(HexFormat.of().parseHex(FORMAT_4));
    assertThat(read).isEqualTo(s);
    assertThat(read.timeline().get(1))
        .isEqualTo(
            new Session.Step("L_SEND_RESPONSE", Trigger.EVENT, "e2", "HooksComplete", 2_000));
    assertThat(SessionCodec.size(s)).isEqualTo(FORMAT_4.length() / 2);
  }

  /**
   * A deadline's entry has no event id; a named timeout event has a type; a format-3 entry none.
   */
  @Test
  void shouldKeepFormatFourStableForADeadlineAndAnOlderEntry() {
    Session s = sample(); // two entries from before format 4
    s.history.add(new Session.Step("L_TIMED_OUT", Trigger.TIMEOUT, null, null, 7_000));
    s.history.add(new Session.Step("L_X", Trigger.SESSION_TIMEOUT, null, "Vote", 500));

    String hex = HexFormat.of().formatHex(SessionCodec.encode(s));
    assertThat(hex)
        .endsWith(
            "00" // L_PROCESS_CONTACT: no cause
                + "00" // L_SEND_RESPONSE: no cause
                + "03" // TIMEOUT (code 2)
                + "0000" // no event id, no event type
                + "e05d" // at 7000: createdAt + 6000
                + "04" // SESSION_TIMEOUT (code 3)
                + "00" // no event id
                + "0104566f7465" // event type Vote
                + "e707"); // at 500: createdAt - 500
    assertThat(SessionCodec.decode(HexFormat.of().parseHex(hex))).isEqualTo(s);
  }

  /**
   * Stored history entries carry these numbers: reordering the constants of {@link Trigger} must
   * not change them, and a new constant needs a code of its own.
   */
  @Test
  void shouldKeepTheStoredCodeOfEveryTrigger() {
    assertThat(SessionCodec.TRIGGERS)
        .containsExactly(
            Trigger.EVENT,
            Trigger.ALWAYS,
            Trigger.TIMEOUT,
            Trigger.SESSION_TIMEOUT,
            Trigger.ERROR,
            Trigger.OPERATOR)
        .containsExactlyInAnyOrder(Trigger.values());
  }

  @Test
  void shouldRefuseATriggerCodeItDoesNotKnow() {
    byte[] bytes = HexFormat.of().parseHex(FORMAT_4);
    int first = FORMAT_3.length() / 2; // the first entry's trigger
    bytes[first] = 7; // code 6: no trigger has it (yet)

    assertThatThrownBy(() -> SessionCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Expected a trigger code")
        .hasMessageContaining("but got 7");
  }

  /** A session that ended: FAILED by a state timeout at 7 s, its deadlines cleared. */
  static Session finalSample(Outcome outcome) {
    Session s = sample();
    s.state = "L_TIMED_OUT";
    s.seq = 3;
    s.enteredAt = 7_000;
    s.stateDeadline = Session.NONE;
    s.sessionDeadline = Session.NONE;
    s.closedAt = 7_000;
    s.outcome = outcome;
    s.history.add(Session.Step.stateOnly("L_TIMED_OUT"));
    return s;
  }

  /**
   * Format 2 of a final session: closedAt set, the outcome stored as its code + 1 (FAILED: 02). If
   * this changes, bump FORMAT and keep a reader for 1 and 2.
   */
  static final String FORMAT_2_FINAL =
      "0206736573732d310f74616c6575732d6c697374656e6572020b4c5f54494d45445f4f5554"
          + "03d00fb06d000001b06d" // seq, createdAt, enteredAt, no deadlines, closedAt 7000
          + "02" // the outcome: FAILED
          + "0504726f6c650504666f696c016e0309017804000000000000f83f026f6b02046e6f6e650002026531"
          + "02653203114c5f50524f434553535f434f4e544143540f4c5f53454e445f524553504f4e53450b4c5f"
          + "54494d45445f4f555407313030302f6531";

  @Test
  void shouldKeepFormatFourStableForAFinalSession() {
    Session ended = finalSample(Outcome.FAILED);

    assertThat(HexFormat.of().formatHex(SessionCodec.encode(ended)))
        .isEqualTo("04" + FORMAT_2_FINAL.substring(2) + "00" + "000000");
    assertThat(SessionCodec.decode(HexFormat.of().parseHex(FORMAT_2_FINAL))).isEqualTo(ended);
    Session read = SessionCodec.decode(SessionCodec.encode(ended));
    assertThat(read).isEqualTo(ended);
    assertThat(read.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(read.closedAt()).isEqualTo(7_000);
  }

  /**
   * Stored sessions carry these numbers: reordering the constants of {@link Outcome} must not
   * change them, and no constant may be renumbered or added without a code of its own.
   */
  @Test
  void shouldKeepTheStoredCodeOfEveryOutcome() {
    Map<Outcome, Integer> codes = new java.util.EnumMap<>(Outcome.class);
    for (Outcome outcome : Outcome.values()) {
      codes.put(outcome, outcome.code());
      assertThat(Outcome.fromCode(outcome.code())).isSameAs(outcome);
    }

    assertThat(codes)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Outcome.COMPLETED, 0, Outcome.FAILED, 1, Outcome.BACKED_OUT, 2));
    for (Outcome outcome : Outcome.values()) {
      assertThat(SessionCodec.decode(SessionCodec.encode(finalSample(outcome))).outcome())
          .isEqualTo(outcome);
    }
  }

  @Test
  void shouldRefuseAnOutcomeCodeItDoesNotKnow() {
    byte[] failed = SessionCodec.encode(finalSample(Outcome.FAILED));
    int outcomeByte =
        java.util.Arrays.mismatch(failed, SessionCodec.encode(finalSample(Outcome.COMPLETED)));
    assertThat(failed[outcomeByte]).isEqualTo((byte) 2); // FAILED: code 1, stored as 2
    failed[outcomeByte] = 4; // code 3: no outcome has it (yet)

    assertThatThrownBy(() -> SessionCodec.decode(failed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Expected an outcome code")
        .hasMessageContaining("but got 3");
  }

  @Test
  void shouldStillReadFormatOneAsALegacyIncarnation() {
    Session old = SessionCodec.decode(HexFormat.of().parseHex(FORMAT_1));

    assertThat(old).isEqualTo(sample(Session.LEGACY_INCARNATION));
    assertThat(old.incarnation()).isEmpty();
    // written back, it keeps its (legacy) incarnation
    assertThat(SessionCodec.decode(SessionCodec.encode(old))).isEqualTo(old);
  }

  @Test
  void shouldRefuseUnknownFormatAndCorruptBytes() {
    byte[] bytes = SessionCodec.encode(sample());
    bytes[0] = 9;
    assertThatThrownBy(() -> SessionCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format");
    byte[] cut = java.util.Arrays.copyOf(SessionCodec.encode(sample()), 20);
    assertThatThrownBy(() -> SessionCodec.decode(cut)).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * A corrupt data count (here 2^29) is refused as a corrupt value, to be quarantined, without
   * first allocating a table for that many entries: sized by the count alone, the map took
   * gigabytes (or an OutOfMemoryError, which would have stopped the stream thread).
   */
  @Test
  void shouldRefuseAHugeDataCountWithoutAllocatingForIt() {
    Session none = sample();
    none.data = Map.of();
    Session one = sample();
    one.data = Map.of("k", true);
    byte[] empty = SessionCodec.encode(none);
    int count = java.util.Arrays.mismatch(empty, SessionCodec.encode(one));
    assertThat(empty[count]).isZero();
    // the count, then one whole entry ("k": true), so that the map is written to before the bytes
    // run out
    byte[] huge = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x02, 1, 'k', 2};
    byte[] corrupt = new byte[empty.length - 1 + huge.length];
    System.arraycopy(empty, 0, corrupt, 0, count);
    System.arraycopy(huge, 0, corrupt, count, huge.length);
    System.arraycopy(empty, count + 1, corrupt, count + huge.length, empty.length - count - 1);
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    // the same assertions once on a short value first: their classes are loaded outside the window
    assertThatThrownBy(() -> SessionCodec.decode(java.util.Arrays.copyOf(corrupt, 3)))
        .isInstanceOf(IllegalArgumentException.class);
    long before = threads.getCurrentThreadAllocatedBytes();

    assertThatThrownBy(() -> SessionCodec.decode(corrupt))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(SessionCodec.decodeForIndex(corrupt)).isNull();
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
  }

  @Test
  void shouldBeCompact() {
    assertThat(SessionCodec.encode(sample()).length).isLessThan(150);
    assertThat(sample().data()).containsEntry("n", -5L).isInstanceOf(Map.class);
  }
}
