package io.statewarden.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Transition;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.engine.ProtocolArbitraries.GeneratedProtocol;
import io.statewarden.engine.ProtocolArbitraries.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Operator commands interleaved with events and time over generated protocols ({@link
 * ProtocolArbitraries}, shrinking to a small protocol, schedule and command list): one audit per
 * command, seq gapless, a final session moved only by an accepted reopening command, a command id
 * applied at most once per session, a refused command moves nothing, and the same log gives the
 * same outputs.
 */
class OperatorProperties {
  /** An input: an event, a command, or a move of time. */
  record Input(Event event, Command command, long advanceTo) {}

  /**
   * A command placed after a schedule's step: kind, command id c{@code id}, session s{@code
   * session}, an expected state unless null, a target state (moves), a data patch (moves: none,
   * {@code n = session.seq * 2}, or one that fails), reopen.
   */
  record CommandSpec(
      Command.Kind kind,
      int id,
      int session,
      String expectedState,
      String to,
      int patch,
      boolean reopen) {
    Command at(long at) {
      Map<String, String> set =
          kind != Command.Kind.MOVE || patch == 0
              ? Map.of()
              : Map.of("n", patch == 1 ? "session.seq * 2" : "session.data.missing");
      return new Command(
          kind,
          "c" + id,
          "s" + session,
          "op",
          "why",
          expectedState,
          kind == Command.Kind.MOVE ? to : null,
          set,
          reopen,
          at,
          null);
    }

    @Override
    public String toString() {
      return kind
          + " c"
          + id
          + " s"
          + session
          + (expectedState == null ? "" : " expect " + expectedState)
          + (kind == Command.Kind.MOVE ? " to " + to + (patch == 0 ? "" : " patch" + patch) : "")
          + (reopen ? " reopen" : "");
    }
  }

  /** For each step of a schedule, the command that follows it, or null (three in four). */
  @Provide
  Arbitrary<List<CommandSpec>> commands() {
    Arbitrary<CommandSpec> command =
        Combinators.combine(
                Arbitraries.of(Command.Kind.CANCEL, Command.Kind.RETRY, Command.Kind.MOVE),
                ProtocolArbitraries.ints(0, 5),
                ProtocolArbitraries.ints(0, 2),
                Arbitraries.of("S0", "S1", "S2").injectNull(0.8),
                Arbitraries.of("S0", "S1", "S2", "F_DONE", "F_BACKED", "NOPE"),
                ProtocolArbitraries.ints(0, 2),
                Arbitraries.of(false, false, true))
            .as(CommandSpec::new);
    return command.injectNull(0.75).list().ofMaxSize(60);
  }

  @Provide
  Arbitrary<GeneratedProtocol> protocols() {
    return ProtocolArbitraries.protocols();
  }

  @Provide
  Arbitrary<List<Step>> schedules() {
    return ProtocolArbitraries.schedules(60);
  }

  static List<Input> inputs(List<Step> schedule, List<CommandSpec> commands) {
    List<Input> in = new ArrayList<>();
    List<ProtocolArbitraries.Input> steps = ProtocolArbitraries.inputs(schedule);
    for (int i = 0; i < steps.size(); i++) {
      ProtocolArbitraries.Input step = steps.get(i);
      in.add(new Input(step.event(), null, step.at()));
      CommandSpec c = i < commands.size() ? commands.get(i) : null;
      if (c != null) in.add(new Input(null, c.at(step.at()), step.at()));
    }
    return in;
  }

  static List<List<Output>> run(Engine engine, List<Input> inputs) {
    Map<String, byte[]> store = new TreeMap<>();
    List<List<Output>> perInput = new ArrayList<>();
    for (Input input : inputs) {
      List<Output> out = new ArrayList<>();
      if (input.event() == null && input.command() == null) {
        for (String id : new ArrayList<>(store.keySet())) {
          Result r = engine.onTime(SessionCodec.decode(store.get(id)), input.advanceTo());
          keep(store, id, r);
          out.addAll(r.outputs());
        }
      } else {
        String id = input.event() != null ? input.event().sessionId() : input.command().sessionId();
        byte[] bytes = store.get(id);
        Session s = bytes == null ? null : SessionCodec.decode(bytes);
        Result r =
            input.event() != null
                ? engine.onEvent(s, input.event())
                : engine.onCommand(s, input.command());
        keep(store, id, r);
        out.addAll(r.outputs());
      }
      perInput.add(out);
    }
    return perInput;
  }

  private static void keep(Map<String, byte[]> store, String id, Result r) {
    if (!r.changed()) return;
    if (r.session() == null) store.remove(id);
    else store.put(id, SessionCodec.encode(r.session()));
  }

  @Property(tries = 300, shrinking = ShrinkingMode.FULL)
  void commandsKeepTheEngineInvariants(
      @ForAll("protocols") GeneratedProtocol protocol,
      @ForAll("schedules") List<Step> schedule,
      @ForAll("commands") List<CommandSpec> commands)
      throws Exception {
    String yaml = protocol.yaml();
    Engine engine = EngineProperties.engineFor(yaml);
    List<Input> inputs = inputs(schedule, commands);

    List<List<Output>> outputs = run(engine, inputs);

    Map<String, Long> lastSeq = new HashMap<>();
    Set<String> closed = new HashSet<>();
    Map<String, Set<String>> applied = new HashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      Command c = inputs.get(i).command();
      List<Output> out = outputs.get(i);
      List<Audit> inputAudits =
          out.stream()
              .filter(o -> o instanceof Audit a && a.decision() != Decision.DEADLINE_FIRED)
              .map(Audit.class::cast)
              .toList();
      boolean timeOnly = c == null && inputs.get(i).event() == null;
      assertThat(inputAudits).hasSize(timeOnly ? 0 : 1);
      Audit audit = timeOnly ? null : inputAudits.get(0);
      if (c != null) {
        assertThat(audit.eventId()).isEqualTo(c.commandId());
        assertThat(audit.eventType()).isEqualTo(Command.TYPE);
        if (audit.decision() != Decision.DUPLICATE) {
          assertThat(audit.detail()).as("%s", audit).contains("by op: why");
        }
        if (audit.decision() == Decision.ACCEPTED) {
          assertThat(
                  applied.computeIfAbsent(c.sessionId(), k -> new HashSet<>()).add(c.commandId()))
              .as("command %s applied twice to %s\n%s", c.commandId(), c.sessionId(), yaml)
              .isTrue();
        }
      }
      for (Output o : out) {
        if (!(o instanceof Transition t)) continue;
        boolean byThisCommand =
            c != null && c.commandId().equals(t.eventId()) && t.trigger() == Trigger.OPERATOR;
        if (closed.contains(t.sessionId())) {
          assertThat(byThisCommand && audit.decision() == Decision.ACCEPTED)
              .as("final session %s moved: %s\n%s", t.sessionId(), t, yaml)
              .isTrue();
          closed.remove(t.sessionId());
        }
        long expected = lastSeq.getOrDefault(t.sessionId(), 0L) + 1;
        assertThat(t.seq()).as("seq of %s\n%s", t, yaml).isEqualTo(expected);
        lastSeq.put(t.sessionId(), t.seq());
        if (t.isFinal()) closed.add(t.sessionId());
        if (c != null && audit.decision() != Decision.ACCEPTED) {
          assertThat(t.eventId()).as("a refused command moves nothing").isNotEqualTo(c.commandId());
        }
      }
      if (inputs.get(i).event() != null && audit.decision() == Decision.REJECTED) {
        // a rejected event clears no session's lifecycle: nothing to check beyond the above
        continue;
      }
    }
    assertThat(run(engine, inputs)).as("same log, same outputs").isEqualTo(outputs);
  }
}
