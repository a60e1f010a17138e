package io.statewarden.protocol;

import java.util.List;

/** Draws a protocol as a Mermaid {@code stateDiagram-v2}. */
public final class MermaidDiagram {
  private MermaidDiagram() {}

  public static String render(Protocol p) {
    StringBuilder b = new StringBuilder("stateDiagram-v2\n");
    b.append("    %% ").append(p.id());
    if (p.description() != null) {
      b.append(": ").append(p.description().replace('\n', ' '));
    }
    b.append('\n');
    b.append("    [*] --> ")
        .append(p.initial())
        .append(": ")
        .append(String.join(" | ", p.start()))
        .append('\n');
    for (StateDef s : p.states().values()) {
      s.on().forEach((type, cs) -> edges(b, s.name(), type, cs));
      edges(b, s.name(), "always", s.always());
      if (s.timeout() != null) {
        String after = Durations.format(s.timeout().after());
        if (s.timeout().to() != null) {
          edge(b, s.name(), s.timeout().to(), "timeout " + after);
        } else {
          b.append("    note right of ")
              .append(s.name())
              .append(": after ")
              .append(after)
              .append(" fires ")
              .append(s.timeout().event())
              .append('\n');
        }
      }
      if (s.isFinal()) {
        edge(b, s.name(), "[*]", s.outcome().name());
      }
    }
    if (p.sessionTimeout() != null) {
      b.append("    note left of ")
          .append(p.sessionTimeout().to())
          .append(": session timeout ")
          .append(Durations.format(p.sessionTimeout().after()))
          .append(" from creation\n");
    }
    if (p.onError() != null) {
      b.append("    note left of ").append(p.onError()).append(": entered on evaluation errors\n");
    }
    return b.toString();
  }

  private static void edges(StringBuilder b, String from, String label, List<Candidate> cs) {
    for (Candidate c : cs) {
      String l = c.condition() == null ? label : label + " [" + c.condition().source() + "]";
      edge(b, from, c.to(), l);
    }
  }

  private static void edge(StringBuilder b, String from, String to, String label) {
    b.append("    ").append(from).append(" --> ").append(to).append(": ");
    b.append(label.replace(':', ' ').replace('\n', ' ')).append('\n');
  }
}
