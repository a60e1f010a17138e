package io.statewarden.protocol;

import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Map;

/** A compiled, type-checked CEL expression over {@code event} and {@code session}. */
public final class Expression {
  private final String source;
  private final CelRuntime.Program program;

  Expression(String source, CelRuntime.Program program) {
    this.source = source;
    this.program = program;
  }

  public String source() {
    return source;
  }

  /**
   * Evaluates over the given activation ({@code event}, {@code session} maps).
   *
   * @throws EvaluationException when the expression fails (missing key, bad types, ...)
   */
  public Object evaluate(Map<String, ?> activation) {
    try {
      return program.eval(activation);
    } catch (CelEvaluationException | RuntimeException e) {
      throw new EvaluationException("'" + source + "': " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return source;
  }

  /** An expression that failed at run time; the engine routes it to {@code onError}. */
  public static final class EvaluationException extends RuntimeException {
    public EvaluationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
