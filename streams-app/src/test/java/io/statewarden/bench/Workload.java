package io.statewarden.bench;

import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.engine.Output;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.sim.DemoSessions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The event mix of the benchmarks: sessions of taleus-listener (foil and stock), taleus-dialer and
 * coinswap-carol, as in {@code local --demo}. One session in four stops early and is backed out by
 * a deadline; the others complete. Sessions interleave: {@code window} of them are open at a time
 * and each event goes to a random open one, so one session's steps are ~1 s apart in record time.
 */
final class Workload {
  /** A session script: protocol, then the events of a successful run, with payloads. */
  record Script(String protocol, List<String> types, String payloadJson, Map<String, Object> p) {}

  /** The scripts of {@code local --demo}, with each payload also as JSON for the JSON topic. */
  static final List<Script> SCRIPTS =
      DemoSessions.SCRIPTS.stream()
          .map(d -> new Script(d.protocol(), d.types(), json(d.payload()), d.payload()))
          .toList();

  private static String json(Map<String, Object> payload) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(payload);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One input record. */
  record Rec(String key, long timestamp, byte[] json, Event event) {}

  /** What the outputs must be: totals, and per session the last transition seq. */
  record Expected(
      long transitions,
      long audits,
      long backouts,
      long fires,
      Map<String, Long> seqBySession,
      long repeatingAudits) {

    /** What an instance with {@code statewarden.audit.accepted=false} writes (variant noaudit). */
    Expected withoutRepeatingAudits() {
      return new Expected(transitions, audits - repeatingAudits, backouts, fires, seqBySession, 0);
    }
  }

  static byte[] json(String id, String eventId, Script s, String type) {
    return ("{\"eventId\":\""
            + eventId
            + "\",\"sessionId\":\""
            + id
            + "\",\"protocol\":\""
            + s.protocol()
            + "\",\"type\":\""
            + type
            + "\",\"source\":\"bench\",\"payload\":"
            + s.payloadJson()
            + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static Event event(String id, String eventId, Script s, String type, long ts) {
    return Event.of(id, eventId, s.protocol(), type, ts).withPayload(s.p());
  }

  /**
   * {@code events} records of the mix, stamped from {@code base}, {@code perMs} records per
   * millisecond.
   */
  static List<Rec> mix(String prefix, int events, int window, int perMs, long base, long seed) {
    Random random = new Random(seed);
    List<Rec> out = new ArrayList<>(events);
    String[] ids = new String[window];
    Script[] scripts = new Script[window];
    int[] steps = new int[window];
    int[] done = new int[window];
    int next = 0;
    for (int i = 0; i < events; i++) {
      int slot = random.nextInt(window);
      if (ids[slot] == null || done[slot] == steps[slot]) {
        int n = next++;
        Script s = SCRIPTS.get(n % SCRIPTS.size());
        ids[slot] = prefix + n;
        scripts[slot] = s;
        steps[slot] =
            random.nextInt(4) == 0 ? 1 + random.nextInt(s.types().size() - 1) : s.types().size();
        done[slot] = 0;
      }
      Script s = scripts[slot];
      String type = s.types().get(done[slot]);
      String eventId = ids[slot] + "-" + done[slot];
      long ts = base + i / perMs;
      out.add(
          new Rec(
              ids[slot],
              ts,
              json(ids[slot], eventId, s, type),
              event(ids[slot], eventId, s, type, ts)));
      done[slot]++;
    }
    return out;
  }

  /** Runs the records through the engine in memory, then fires whatever is due at {@code now}. */
  static Expected expect(Engine engine, List<Rec> records, long now) {
    Map<String, Session> sessions = new HashMap<>();
    long[] c = new long[5];
    for (Rec r : records) {
      Result res = engine.onEvent(sessions.get(r.key()), r.event());
      if (res.changed()) sessions.put(r.key(), res.session());
      count(res, c);
    }
    for (Map.Entry<String, Session> e : sessions.entrySet()) {
      Session s = e.getValue();
      long due;
      while (s != null && (due = engine.dueAt(s)) != Session.NONE && due <= now) {
        Result res = engine.onTime(s, due);
        c[3]++;
        count(res, c);
        s = res.session();
      }
      e.setValue(s);
    }
    Map<String, Long> seq = new HashMap<>();
    sessions.forEach((k, s) -> seq.put(k, s.seq()));
    return new Expected(c[0], c[1], c[2], c[3], seq, c[4]);
  }

  private static void count(Result res, long[] c) {
    for (Output o : res.outputs()) {
      if (o instanceof Output.Transition) c[0]++;
      else if (o instanceof Output.Audit a) {
        c[1]++;
        if (a.repeatsItsTransition()) c[4]++;
      } else c[2]++;
    }
  }
}
