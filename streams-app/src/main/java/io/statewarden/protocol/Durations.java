package io.statewarden.protocol;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code 500ms}, {@code 30s}, {@code 10m}, {@code 6h}, {@code 7d} and ISO-8601 {@code
 * PT30S}.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

  private Durations() {}

  /**
   * @return the positive duration
   * @throws IllegalArgumentException with a message fit for a load error
   */
  public static Duration parse(String text) {
    String t = text.trim();
    Matcher m = SHORT.matcher(t);
    Duration d;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else {
      try {
        d = Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "'"
                + text
                + "' is not a duration (use 500ms, 30s, 10m, 6h, 7d or ISO-8601 like PT30S)");
      }
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("duration '" + text + "' must be positive");
    }
    return d;
  }

  /** The short form used in diagrams and messages. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0) return ms / 86_400_000L + "d";
    if (ms % 3_600_000L == 0) return ms / 3_600_000L + "h";
    if (ms % 60_000L == 0) return ms / 60_000L + "m";
    if (ms % 1000L == 0) return ms / 1000L + "s";
    return ms + "ms";
  }
}
