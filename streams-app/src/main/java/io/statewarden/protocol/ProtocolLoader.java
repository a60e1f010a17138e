package io.statewarden.protocol;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a protocol definition (YAML, the shape of SPEC section 3) into a {@link Protocol}. Collects
 * every problem it finds, each naming file, path and cause, then runs {@link ProtocolValidator}.
 * Never throws anything but {@link ProtocolLoadException}, whatever the input.
 */
public final class ProtocolLoader {
  static final Pattern PROTOCOL_NAME = Pattern.compile("[a-z0-9][a-z0-9.-]*");
  static final Pattern STATE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  static final Pattern EVENT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.:-]*");
  private static final int MAX_TEXT = 1 << 20;

  private static final Set<String> ROOT_KEYS =
      Set.of(
          "protocol",
          "version",
          "description",
          "initial",
          "start",
          "forwardOnly",
          "sessionTimeout",
          "onError",
          "maxConcurrentSessions",
          "states");
  private static final Set<String> STATE_KEYS =
      Set.of("on", "timeout", "always", "final", "description", "retryable");
  private static final Set<String> CANDIDATE_KEYS = Set.of("to", "if", "set");

  public Protocol load(Path path) throws ProtocolLoadException {
    String text;
    try {
      if (Files.isDirectory(path)) {
        throw single(path.toString(), "is a directory, not a file");
      }
      if (Files.size(path) > MAX_TEXT) {
        throw single(path.toString(), "file is larger than " + MAX_TEXT + " bytes");
      }
      text = TextFiles.utf8(Files.readAllBytes(path));
    } catch (TextFiles.NotUtf8 e) {
      throw new ProtocolLoadException(
          List.of(new Problem(path.toString(), "", e.line(), e.getMessage())));
    } catch (IOException e) {
      throw single(path.toString(), TextFiles.describe(path, e));
    }
    return load(path.toString(), text);
  }

  public Protocol load(String file, String text) throws ProtocolLoadException {
    if (text.length() > MAX_TEXT) {
      throw single(file, "definition is larger than " + MAX_TEXT + " characters");
    }
    Node root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(20);
      options.setNestingDepthLimit(40);
      options.setCodePointLimit(MAX_TEXT);
      root = new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark();
      String cause = "not valid YAML: " + e.getProblem();
      throw new ProtocolLoadException(
          List.of(new Problem(file, "", m == null ? 0 : m.getLine() + 1, cause)));
    } catch (RuntimeException | StackOverflowError e) {
      throw single(file, "not valid YAML: " + e.getMessage());
    }
    if (root == null) {
      throw single(file, "empty definition");
    }
    return new Reader(file).read(root);
  }

  private static ProtocolLoadException single(String file, String cause) {
    return new ProtocolLoadException(List.of(new Problem(file, "", 0, cause)));
  }

  /** One pass over one file's node tree. */
  private static final class Reader {
    private final String file;
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, Integer> lines = new HashMap<>();

    Reader(String file) {
      this.file = file;
    }

    Protocol read(Node root) throws ProtocolLoadException {
      Map<String, Node> top = mapping(root, "");
      if (top == null) {
        throw new ProtocolLoadException(problems);
      }
      checkKeys(top, ROOT_KEYS, "");
      String name = requiredScalar(top, "protocol", "");
      if (name != null && !PROTOCOL_NAME.matcher(name).matches()) {
        problem("protocol", "name '" + name + "' must match [a-z0-9][a-z0-9.-]*");
      }
      int version = 0;
      String v = requiredScalar(top, "version", "");
      if (v != null) {
        try {
          version = Integer.parseInt(v);
        } catch (NumberFormatException e) {
          version = -1;
        }
        if (version <= 0) {
          problem("version", "'" + v + "' is not a positive integer");
        }
      }
      String description = optionalScalar(top, "description", "");
      String initial = requiredScalar(top, "initial", "");
      Set<String> start = readStart(top.get("start"));
      boolean forwardOnly = readBoolean(top.get("forwardOnly"), "forwardOnly");
      Timeout sessionTimeout = null;
      if (top.containsKey("sessionTimeout")) {
        sessionTimeout = readTimeout(top.get("sessionTimeout"), "sessionTimeout", false);
      }
      String onError = optionalScalar(top, "onError", "");
      int maxConcurrent = Protocol.UNLIMITED;
      String cap = optionalScalar(top, "maxConcurrentSessions", "");
      if (cap != null) {
        try {
          maxConcurrent = Integer.parseInt(cap);
        } catch (NumberFormatException e) {
          maxConcurrent = -1;
        }
        if (maxConcurrent <= 0) {
          problem("maxConcurrentSessions", "'" + cap + "' is not a positive integer");
        }
      }
      Map<String, StateDef> states = new LinkedHashMap<>();
      Node statesNode = top.get("states");
      if (statesNode == null) {
        problem("states", "missing (a protocol needs at least one state)");
      } else {
        Map<String, Node> stateNodes = mapping(statesNode, "states");
        if (stateNodes != null) {
          if (stateNodes.isEmpty()) {
            problem("states", "empty (a protocol needs at least one state)");
          }
          stateNodes.forEach(
              (stateName, node) -> {
                StateDef s = readState(stateName, node, "states." + stateName);
                if (s != null) {
                  states.put(stateName, s);
                }
              });
        }
      }
      if (!problems.isEmpty()) {
        throw new ProtocolLoadException(problems);
      }
      Protocol p =
          new Protocol(
              name,
              version,
              description,
              initial,
              start,
              forwardOnly,
              sessionTimeout,
              onError,
              states,
              file,
              maxConcurrent);
      problems.addAll(new ProtocolValidator(file, lines).validate(p));
      if (!problems.isEmpty()) {
        throw new ProtocolLoadException(problems);
      }
      return p;
    }

    private Set<String> readStart(Node node) {
      Set<String> start = new LinkedHashSet<>();
      if (node == null) {
        problem("start", "missing (the event types that may create a session)");
        return start;
      }
      List<Node> items = node instanceof SequenceNode seq ? seq.getValue() : List.of(node);
      for (int i = 0; i < items.size(); i++) {
        String path = node instanceof SequenceNode ? "start[" + i + "]" : "start";
        String type = scalar(items.get(i), path);
        if (type != null) {
          if (!EVENT_NAME.matcher(type).matches()) {
            problem(path, "event type '" + type + "' must match " + EVENT_NAME.pattern());
          } else if (!start.add(type)) {
            problem(path, "event type '" + type + "' listed twice");
          }
        }
      }
      if (items.isEmpty()) {
        problem("start", "empty (the event types that may create a session)");
      }
      return start;
    }

    private StateDef readState(String name, Node node, String path) {
      if (!STATE_NAME.matcher(name).matches()) {
        problem(path, "state name '" + name + "' must match " + STATE_NAME.pattern());
      }
      Map<String, Node> fields = mapping(node, path);
      if (fields == null) {
        return null;
      }
      checkKeys(fields, STATE_KEYS, path);
      Outcome outcome = null;
      String fin = optionalScalar(fields, "final", path);
      if (fin != null) {
        try {
          outcome = Outcome.valueOf(fin);
        } catch (IllegalArgumentException e) {
          problem(path + ".final", "'" + fin + "' is not one of COMPLETED, FAILED, BACKED_OUT");
        }
      }
      Map<String, List<Candidate>> on = new LinkedHashMap<>();
      if (fields.containsKey("on")) {
        Map<String, Node> events = mapping(fields.get("on"), path + ".on");
        if (events != null) {
          events.forEach(
              (type, n) -> {
                String p = path + ".on." + type;
                if (!EVENT_NAME.matcher(type).matches()) {
                  problem(p, "event type '" + type + "' must match " + EVENT_NAME.pattern());
                }
                on.put(type, readCandidates(n, p));
              });
        }
      }
      List<Candidate> always = List.of();
      if (fields.containsKey("always")) {
        always = readCandidates(fields.get("always"), path + ".always");
      }
      Timeout timeout = null;
      if (fields.containsKey("timeout")) {
        timeout = readTimeout(fields.get("timeout"), path + ".timeout", true);
      }
      String retryable = optionalScalar(fields, "retryable", path);
      if (retryable != null && !retryable.equals("true") && !retryable.equals("false")) {
        problem(path + ".retryable", "'" + retryable + "' is not true or false");
      }
      return new StateDef(name, on, always, timeout, outcome, "true".equals(retryable));
    }

    /** A target name, one {to, if, set} mapping, or a list of either. */
    private List<Candidate> readCandidates(Node node, String path) {
      List<Candidate> out = new ArrayList<>();
      if (node instanceof SequenceNode seq) {
        if (seq.getValue().isEmpty()) {
          problem(path, "empty list of candidates");
        }
        for (int i = 0; i < seq.getValue().size(); i++) {
          Candidate c = readCandidate(seq.getValue().get(i), path + "[" + i + "]");
          if (c != null) {
            out.add(c);
          }
        }
      } else {
        Candidate c = readCandidate(node, path);
        if (c != null) {
          out.add(c);
        }
      }
      return out;
    }

    private Candidate readCandidate(Node node, String path) {
      if (node instanceof ScalarNode) {
        String to = scalar(node, path);
        remember(path + ".to", node);
        return to == null ? null : Candidate.to(to);
      }
      Map<String, Node> fields = mapping(node, path);
      if (fields == null) {
        return null;
      }
      checkKeys(fields, CANDIDATE_KEYS, path);
      String to = requiredScalar(fields, "to", path);
      Expression condition = null;
      String cond = optionalScalar(fields, "if", path);
      if (cond != null) {
        try {
          condition = Expressions.condition(cond);
        } catch (Expressions.InvalidExpressionException e) {
          problem(path + ".if", e.getMessage());
        }
      }
      Map<String, Expression> set = new LinkedHashMap<>();
      if (fields.containsKey("set")) {
        Map<String, Node> assignments = mapping(fields.get("set"), path + ".set");
        if (assignments != null) {
          assignments.forEach(
              (key, n) -> {
                String p = path + ".set." + key;
                String src = scalar(n, p);
                if (src != null) {
                  try {
                    set.put(key, Expressions.value(src));
                  } catch (Expressions.InvalidExpressionException e) {
                    problem(p, e.getMessage());
                  }
                }
              });
        }
      }
      return to == null ? null : new Candidate(to, condition, set);
    }

    private Timeout readTimeout(Node node, String path, boolean eventAllowed) {
      Map<String, Node> fields = mapping(node, path);
      if (fields == null) {
        return null;
      }
      checkKeys(
          fields, eventAllowed ? Set.of("after", "to", "event") : Set.of("after", "to"), path);
      String afterText = requiredScalar(fields, "after", path);
      Duration after = null;
      if (afterText != null) {
        try {
          after = Durations.parse(afterText);
        } catch (IllegalArgumentException e) {
          problem(path + ".after", e.getMessage());
        }
      }
      String to = optionalScalar(fields, "to", path);
      String event = eventAllowed ? optionalScalar(fields, "event", path) : null;
      if (to == null && event == null) {
        problem(path, eventAllowed ? "needs 'to: STATE' or 'event: NAME'" : "needs 'to: STATE'");
      } else if (to != null && event != null) {
        problem(path, "has both 'to' and 'event'; give one");
      }
      return after == null ? null : new Timeout(after, to, event);
    }

    private boolean readBoolean(Node node, String path) {
      if (node == null) {
        return false;
      }
      String s = scalar(node, path);
      if ("true".equals(s)) {
        return true;
      }
      if (s != null && !"false".equals(s)) {
        problem(path, "'" + s + "' is not true or false");
      }
      return false;
    }

    private Map<String, Node> mapping(Node node, String path) {
      remember(path, node);
      if (!(node instanceof MappingNode m)) {
        problem(path, "expected a mapping, found " + describe(node));
        return null;
      }
      Map<String, Node> out = new LinkedHashMap<>();
      Set<String> seen = new HashSet<>();
      for (NodeTuple t : m.getValue()) {
        String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
        String childPath = path.isEmpty() ? String.valueOf(key) : path + "." + key;
        if (key == null) {
          problem(path, "keys must be plain names, found " + describe(t.getKeyNode()));
          continue;
        }
        if (!seen.add(key)) {
          // the line of this key, not of the first one's value (which `lines` holds for the path)
          Mark at = t.getKeyNode().getStartMark();
          problems.add(
              new Problem(
                  file,
                  childPath,
                  at == null ? ProtocolValidator.lineOf(lines, childPath) : at.getLine() + 1,
                  "duplicate key '"
                      + key
                      + "' (first at line "
                      + ProtocolValidator.lineOf(lines, childPath)
                      + ")"));
          continue;
        }
        remember(childPath, t.getValueNode());
        out.put(key, t.getValueNode());
      }
      return out;
    }

    private String scalar(Node node, String path) {
      remember(path, node);
      if (node instanceof ScalarNode s) {
        String v = s.getValue();
        if (v.isBlank() || "null".equals(v) || "~".equals(v)) {
          problem(path, "empty value");
          return null;
        }
        return v;
      }
      problem(path, "expected a single value, found " + describe(node));
      return null;
    }

    private String requiredScalar(Map<String, Node> fields, String key, String parent) {
      String path = parent.isEmpty() ? key : parent + "." + key;
      Node n = fields.get(key);
      if (n == null) {
        problem(path, "missing");
        return null;
      }
      return scalar(n, path);
    }

    private String optionalScalar(Map<String, Node> fields, String key, String parent) {
      Node n = fields.get(key);
      return n == null ? null : scalar(n, parent.isEmpty() ? key : parent + "." + key);
    }

    private void checkKeys(Map<String, Node> fields, Set<String> allowed, String path) {
      for (String k : fields.keySet()) {
        if (!allowed.contains(k)) {
          problem(
              path.isEmpty() ? k : path + "." + k,
              "unknown key '" + k + "' (expected one of " + new java.util.TreeSet<>(allowed) + ")");
        }
      }
    }

    private void remember(String path, Node node) {
      if (node != null && node.getStartMark() != null) {
        lines.putIfAbsent(path, node.getStartMark().getLine() + 1);
      }
    }

    private void problem(String path, String cause) {
      problems.add(new Problem(file, path, ProtocolValidator.lineOf(lines, path), cause));
    }

    private static String describe(Node node) {
      if (node instanceof MappingNode) return "a mapping";
      if (node instanceof SequenceNode) return "a list";
      if (node instanceof ScalarNode s) return "'" + s.getValue() + "'";
      return "nothing";
    }
  }
}
