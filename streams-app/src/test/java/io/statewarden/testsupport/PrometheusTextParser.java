package io.statewarden.testsupport;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), for tests: it refuses what
 * Prometheus would refuse or misread (an unknown escape, a raw quote, a missing closing quote, a
 * repeated label or series, a sample before its {@code # TYPE}, a family split in two, no final
 * newline), and unlike Prometheus also a sample with no {@code # TYPE} at all. The Prometheus Java
 * client writes this format but has no reader of its own.
 */
public final class PrometheusTextParser {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** One line of data: a series and its value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  /** A {@code # TYPE}d family and its samples, in order. */
  public record Family(String name, String type, String help, List<Sample> samples) {}

  private PrometheusTextParser() {}

  /**
   * @return the families by name, in the order they appear
   * @throws IllegalArgumentException naming the line and what is wrong with it
   */
  public static Map<String, Family> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the exposition does not end with a newline");
    }
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, String> helps = new LinkedHashMap<>();
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    Set<String> series = new HashSet<>();
    Set<String> finished = new HashSet<>();
    String current = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      String where = "line " + (i + 1) + " '" + line + "': ";
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split("[ \t]+", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          String name = parts[2];
          require(METRIC_NAME.matcher(name).matches(), where + "bad metric name");
          require(!finished.contains(name) && !samples.containsKey(name), where + "too late");
          if (!name.equals(current)) {
            if (current != null) finished.add(current);
            current = name;
          }
          String rest = parts.length == 4 ? parts[3] : "";
          if (parts[1].equals("HELP")) {
            require(helps.put(name, unescape(rest, false, where)) == null, where + "second HELP");
          } else {
            require(TYPES.contains(rest), where + "unknown type");
            require(types.put(name, rest) == null, where + "second TYPE");
          }
        }
        continue; // other comments
      }
      int[] pos = {0};
      String name = token(line, pos, METRIC_NAME, where + "bad metric name");
      Map<String, String> labels = new TreeMap<>();
      if (pos[0] < line.length() && line.charAt(pos[0]) == '{') {
        pos[0]++;
        while (line.charAt(pos[0]) != '}') {
          String label = token(line, pos, LABEL_NAME, where + "bad label name");
          require(line.startsWith("=\"", pos[0]), where + "expected =\" after " + label);
          pos[0] += 2;
          StringBuilder raw = new StringBuilder();
          while (true) {
            require(pos[0] < line.length(), where + "unterminated label value");
            char c = line.charAt(pos[0]++);
            if (c == '"') break;
            raw.append(c);
            if (c == '\\') {
              require(pos[0] < line.length(), where + "unterminated escape");
              raw.append(line.charAt(pos[0]++));
            }
          }
          require(
              labels.put(label, unescape(raw.toString(), true, where)) == null,
              where + "repeated label " + label);
          require(pos[0] < line.length(), where + "unterminated label set");
          if (line.charAt(pos[0]) == ',') pos[0]++;
          else require(line.charAt(pos[0]) == '}', where + "expected , or }");
        }
        pos[0]++;
      }
      String[] rest = line.substring(pos[0]).split("[ \t]+", -1);
      require(
          rest.length >= 2 && rest.length <= 3 && rest[0].isEmpty(),
          where + "expected ' value [timestamp]'");
      double value = number(rest[1], where);
      if (rest.length == 3) {
        try {
          Long.parseLong(rest[2]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(where + "bad timestamp", e);
        }
      }
      String family = familyOf(name, labels, types, where);
      require(family.equals(current), where + "not in the block of its family " + family);
      require(series.add(name + labels), where + "repeated series");
      samples.computeIfAbsent(family, k -> new ArrayList<>()).add(new Sample(name, labels, value));
    }
    Map<String, Family> families = new LinkedHashMap<>();
    types.forEach(
        (name, type) ->
            families.put(
                name,
                new Family(name, type, helps.get(name), samples.getOrDefault(name, List.of()))));
    return families;
  }

  private static String familyOf(
      String sample, Map<String, String> labels, Map<String, String> types, String where) {
    if (types.containsKey(sample) && !types.get(sample).equals("histogram")) {
      require(!labels.containsKey("le"), where + "le outside a histogram");
      return sample;
    }
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      if (sample.endsWith(suffix)) {
        String base = sample.substring(0, sample.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
          if (suffix.equals("_bucket")) {
            require(labels.containsKey("le"), where + "bucket without le");
            number(labels.get("le"), where);
          }
          return base;
        }
      }
    }
    throw new IllegalArgumentException(where + "no # TYPE for this sample");
  }

  private static String token(String line, int[] pos, Pattern p, String error) {
    int end = pos[0];
    while (end < line.length()
        && (Character.isLetterOrDigit(line.charAt(end)) || "_:".indexOf(line.charAt(end)) >= 0)) {
      end++;
    }
    String t = line.substring(pos[0], end);
    require(p.matcher(t).matches(), error + " '" + t + "'");
    pos[0] = end;
    return t;
  }

  private static double number(String s, String where) {
    switch (s) {
      case "+Inf", "Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        require(
            s.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?"),
            where + "bad number '" + s + "'");
        return Double.parseDouble(s);
    }
  }

  /** Label values know {@code \\ \" \n}; HELP text {@code \\ \n}; nothing else is an escape. */
  private static String unescape(String s, boolean quoteAllowed, String where) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        b.append(c);
        continue;
      }
      require(i + 1 < s.length(), where + "dangling backslash");
      char e = s.charAt(++i);
      switch (e) {
        case '\\' -> b.append('\\');
        case 'n' -> b.append('\n');
        case '"' -> {
          require(quoteAllowed, where + "\\\" in HELP text");
          b.append('"');
        }
        default -> throw new IllegalArgumentException(where + "unknown escape \\" + e);
      }
    }
    return b.toString();
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
