package io.statewarden.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.protocol.Outcome;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

/**
 * Session format 4's bytes did not change when its writer started reusing a per-thread buffer
 * (issue 16): {@link SessionCodec#encode} against {@link SessionCodecBaseline}, the writer as it
 * was, on random sessions, encoded one after the other on the same thread (so a reused buffer that
 * leaks bytes from a longer session shows), and read back to the same bytes.
 */
class SessionCodecProperties {

  @Property(tries = 300, shrinking = ShrinkingMode.FULL)
  void shouldWriteTheSameBytesAsFormat4sWriterDid(@ForAll("sessions") List<Session> sessions) {
    for (Session s : sessions) {
      byte[] bytes = SessionCodec.encode(s);
      assertThat(bytes).isEqualTo(SessionCodecBaseline.encode(s));
      assertThat(SessionCodec.size(s)).isEqualTo(bytes.length);
      assertThat(SessionCodec.encode(SessionCodec.decode(bytes))).isEqualTo(bytes);
    }
  }

  /**
   * {@link SessionCodec#decodeForIndex}, which rebuilds a task's indexes (decision 29), reads the
   * same head as {@link SessionCodec#decode} from any session's bytes, and from every damage of one
   * byte of them: cut short at each length, each byte set to each of {@link #DAMAGE}, one more byte
   * appended. It refuses exactly what decode refuses (so the same values are quarantined), and what
   * it accepts has decode's head.
   */
  // shrinking bounded (jqwik's 10 s): each try decodes ~35,000 damaged values
  @Property(tries = 100, shrinking = ShrinkingMode.BOUNDED)
  void shouldReadForTheIndexWhatDecodeReads(@ForAll("smallSession") Session session) {
    int[] outcomes = everyDamage(SessionCodec.encode(session));
    assertThat(outcomes[1]).as("damaged values decode accepts").isPositive();
    assertThat(outcomes[0]).as("damaged values decode refuses").isPositive();
  }

  /**
   * The same for the older formats' stored values (format 4 written with another format byte is
   * always refused, so the property above never accepts one).
   */
  @Test
  void shouldReadForTheIndexWhatDecodeReadsInOlderFormats() {
    for (String hex :
        List.of(
            SessionCodecTest.FORMAT_1,
            SessionCodecTest.FORMAT_2,
            SessionCodecTest.FORMAT_2_FINAL,
            SessionCodecTest.FORMAT_3,
            SessionCodecTest.FORMAT_3_KEPT)) {
      int[] outcomes = everyDamage(java.util.HexFormat.of().parseHex(hex));
      assertThat(outcomes[1]).as("damaged values decode accepts").isPositive();
      assertThat(outcomes[0]).as("damaged values decode refuses").isPositive();
    }
  }

  /**
   * Both readers on the bytes as they are and on every damage of one byte: cut at each length, each
   * byte set to each other value of {@link #DAMAGE}, one byte appended. Counts of the damaged
   * values both refused [0] and both accepted [1].
   */
  private static int[] everyDamage(byte[] bytes) {
    assertThat(sameAsDecode(bytes)).isEqualTo(1);
    int[] outcomes = new int[2];
    for (int n = 0; n < bytes.length; n++) {
      outcomes[sameAsDecode(Arrays.copyOf(bytes, n))]++;
    }
    for (int i = 0; i < bytes.length; i++) {
      for (byte v : DAMAGE) {
        if (v == bytes[i]) continue;
        byte[] c = bytes.clone();
        c[i] = v;
        outcomes[sameAsDecode(c)]++;
      }
    }
    for (byte v : DAMAGE) {
      byte[] c = Arrays.copyOf(bytes, bytes.length + 1);
      c[bytes.length] = v;
      outcomes[sameAsDecode(c)]++;
    }
    return outcomes;
  }

  /** Small values, format bytes, tags and codes just past the last, and varint and sign edges. */
  private static final byte[] DAMAGE = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 0x3f, 0x40, 0x7f, (byte) 0x80, (byte) 0x81, (byte) 0xc0, (byte) 0xff
  };

  /** 1 when both readers accept the bytes (with the same head), 0 when both refuse them. */
  private static int sameAsDecode(byte[] bytes) {
    Session full;
    try {
      full = SessionCodec.decode(bytes);
    } catch (RuntimeException e) {
      full = null;
    }
    Session head = SessionCodec.decodeForIndex(bytes);
    if (full == null) {
      if (head != null) {
        assertThat(head).as("refused by decode: %s", Arrays.toString(bytes)).isNull();
      }
      return 0;
    }
    if (head == null) {
      assertThat(head).as("accepted by decode: %s", Arrays.toString(bytes)).isNotNull();
    }
    assertThat(head(head)).isEqualTo(head(full));
    assertThat(head.data()).isEmpty();
    return 1;
  }

  private static List<Object> head(Session s) {
    return Arrays.asList(
        s.id(),
        s.incarnation(),
        s.protocol(),
        s.version(),
        s.state(),
        s.seq(),
        s.createdAt(),
        s.enteredAt(),
        s.stateDeadline,
        s.sessionDeadline,
        s.closedAt(),
        s.outcome(),
        s.isFinal(),
        s.nextProtocolDeadline());
  }

  /** Sessions of at most 1 KiB encoded, so that every one-byte damage of each is tried. */
  @Provide
  Arbitrary<Session> smallSession() {
    return session().filter(s -> SessionCodec.size(s) <= 1024);
  }

  @Provide
  Arbitrary<List<Session>> sessions() {
    return session().list().ofMinSize(1).ofMaxSize(4);
  }

  /**
   * ASCII and not, around the 127 characters where a length takes two bytes; a lone surrogate (one
   * byte, '?', in UTF-8); now and then long enough to grow the buffer past what is kept.
   */
  static Arbitrary<String> text() {
    Arbitrary<String> character =
        Arbitraries.frequencyOf(
            Tuple.of(20, Arbitraries.of("a", "Z", "_", "0", "\u007f", "\u0000")),
            Tuple.of(1, Arbitraries.of("\u0080", "\u00e9", "\u20ac", "\ud83d\ude00", "\ud800")));
    return Arbitraries.frequencyOf(
        Tuple.of(300, character.list().ofMaxSize(12).map(cs -> String.join("", cs))),
        Tuple.of(
            100, character.list().ofMinSize(120).ofMaxSize(135).map(cs -> String.join("", cs))),
        Tuple.of(1, Arbitraries.of("x".repeat(70_000), "x".repeat(69_999) + "\u00e9")));
  }

  static Arbitrary<Long> time() {
    return Arbitraries.oneOf(
        Arbitraries.just(Session.NONE),
        Arbitraries.longs(),
        Arbitraries.longs().between(0, 1L << 42));
  }

  static Arbitrary<Map<String, Object>> data() {
    Arbitrary<Object> value =
        Arbitraries.oneOf(
            Arbitraries.just(null),
            Arbitraries.of(true, false),
            Arbitraries.longs(),
            Arbitraries.doubles(),
            text());
    return Arbitraries.maps(text(), value).ofMaxSize(4).map(LinkedHashMap::new);
  }

  static Arbitrary<Session.Step> step() {
    Arbitrary<Session.Step> caused =
        Combinators.combine(
                text(),
                Arbitraries.of(SessionCodec.TRIGGERS),
                text().injectNull(0.3),
                text().injectNull(0.3),
                Arbitraries.longs().between(-1L << 40, 1L << 40))
            .as(Session.Step::new);
    return Arbitraries.oneOf(caused, text().map(Session.Step::stateOnly));
  }

  static Arbitrary<Session.Failed> failed() {
    return Combinators.combine(text(), text(), data(), Arbitraries.longs(), text())
        .as(Session.Failed::new)
        .injectNull(0.5);
  }

  static Arbitrary<Session> session() {
    Arbitrary<Session> base =
        Combinators.combine(
                text(),
                text(),
                text(),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.longs().between(-1L << 42, 1L << 42),
                text().list().ofMaxSize(5),
                step().list().ofMaxSize(5))
            .as(
                (id, incarnation, protocol, version, createdAt, ids, steps) -> {
                  Session s = new Session(id, incarnation, protocol, version, createdAt);
                  s.eventIds.addAll(ids);
                  s.history.addAll(fixTimes(steps, createdAt));
                  return s;
                });
    return Combinators.combine(
            base,
            text(),
            Arbitraries.longs().greaterOrEqual(0),
            Combinators.combine(time(), time(), time(), Arbitraries.longs()).as(List::of),
            Arbitraries.of(Outcome.class).injectNull(0.5),
            data(),
            failed())
        .as(
            (s, state, seq, times, outcome, data, failed) -> {
              s.state = state;
              s.seq = seq;
              s.stateDeadline = times.get(0);
              s.sessionDeadline = times.get(1);
              s.closedAt = times.get(2);
              s.enteredAt = times.get(3) == Session.NONE ? 0 : times.get(3);
              s.outcome = outcome;
              s.data = data;
              s.failed = failed;
              return s;
            });
  }

  /** A caused step's time is stored relative to the creation: keep it in range. */
  private static List<Session.Step> fixTimes(List<Session.Step> steps, long createdAt) {
    return steps.stream()
        .map(
            x ->
                x.trigger() == null
                    ? x
                    : new Session.Step(
                        x.state(), x.trigger(), x.eventId(), x.eventType(), createdAt + x.at()))
        .toList();
  }
}
