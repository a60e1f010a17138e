package io.statewarden.protocol;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.Optional;

/**
 * Compiles CEL for protocol definitions. {@code event} and {@code session} are declared as struct
 * types, so a misspelt field ({@code session.dta}) is refused at load; {@code payload} and {@code
 * data} are maps of dynamic values. At run time both are plain maps.
 */
public final class Expressions {
  private static final MapType DYN_MAP = MapType.create(SimpleType.STRING, SimpleType.DYN);

  static final StructType EVENT =
      StructType.create(
          "statewarden.Event",
          ImmutableSet.of("type", "id", "payload", "timestamp"),
          f ->
              switch (f) {
                case "type", "id" -> Optional.of(SimpleType.STRING);
                case "payload" -> Optional.of(DYN_MAP);
                case "timestamp" -> Optional.of(SimpleType.INT);
                default -> Optional.empty();
              });

  static final StructType SESSION =
      StructType.create(
          "statewarden.Session",
          ImmutableSet.of("state", "data", "seq", "createdAt", "enteredAt"),
          f ->
              switch (f) {
                case "state" -> Optional.of(SimpleType.STRING);
                case "data" -> Optional.of(DYN_MAP);
                case "seq", "createdAt", "enteredAt" -> Optional.of(SimpleType.INT);
                default -> Optional.empty();
              });

  private static final CelTypeProvider TYPES =
      new CelTypeProvider() {
        @Override
        public ImmutableList<CelType> types() {
          return ImmutableList.of(EVENT, SESSION);
        }

        @Override
        public Optional<CelType> findType(String name) {
          return types().stream().filter(t -> t.name().equals(name)).findFirst();
        }
      };

  /**
   * Most iterations of all comprehensions ({@code all}, {@code exists}, {@code map}, ...) in one
   * evaluation. A payload is the producer's input: three nested comprehensions over 256 entries are
   * 16.7 million iterations (~15 s on one core). Over the budget the evaluation fails, which the
   * engine treats as a guard error (GUARD_ERROR, or the protocol's onError).
   */
  public static final int MAX_COMPREHENSION_ITERATIONS = 10_000;

  private static final CelOptions OPTIONS =
      CelOptions.current()
          .enableHeterogeneousNumericComparisons(true)
          .comprehensionMaxIterations(MAX_COMPREHENSION_ITERATIONS)
          .build();
  private static final CelCompiler CONDITIONS = compiler(SimpleType.BOOL);
  private static final CelCompiler VALUES = compiler(SimpleType.DYN);
  private static final CelRuntime RUNTIME =
      CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();

  private Expressions() {}

  private static CelCompiler compiler(CelType result) {
    return CelCompilerFactory.standardCelCompilerBuilder()
        .setOptions(OPTIONS)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .setTypeProvider(TYPES)
        .addVar("event", EVENT)
        .addVar("session", SESSION)
        .setResultType(result)
        .build();
  }

  /** A guard: must type-check to bool. */
  public static Expression condition(String source) throws InvalidExpressionException {
    return compile(CONDITIONS, source);
  }

  /** A {@code set} value: any type (checked to be a scalar at run time). */
  public static Expression value(String source) throws InvalidExpressionException {
    return compile(VALUES, source);
  }

  private static Expression compile(CelCompiler compiler, String source)
      throws InvalidExpressionException {
    try {
      var ast = compiler.compile(source).getAst();
      return new Expression(source, RUNTIME.createProgram(ast));
    } catch (CelValidationException e) {
      String msg = e.getMessage().replace('\n', ' ').replaceAll("\\s+", " ");
      throw new InvalidExpressionException("bad expression '" + source + "': " + msg);
    } catch (dev.cel.runtime.CelEvaluationException | RuntimeException e) {
      throw new InvalidExpressionException("bad expression '" + source + "': " + e);
    }
  }

  /** A definition's expression that does not parse or type-check. */
  public static final class InvalidExpressionException extends Exception {
    public InvalidExpressionException(String message) {
      super(message);
    }
  }
}
