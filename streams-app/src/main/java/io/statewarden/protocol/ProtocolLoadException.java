package io.statewarden.protocol;

import java.util.List;
import java.util.stream.Collectors;

/** A definition (or set of definitions) was refused; one {@link Problem} per thing wrong. */
public final class ProtocolLoadException extends Exception {
  private final List<Problem> problems;

  public ProtocolLoadException(List<Problem> problems) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }
}
