package io.statewarden.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The loaded protocols, several versions of each. New sessions take the highest version; a session
 * stays on its own version until it ends. Loading the same name and version twice is refused.
 */
public final class ProtocolCatalog {
  /** The built-in protocols, from the source documents. */
  public static final List<String> BUILTIN =
      List.of(
          "coinswap-alice",
          "coinswap-carol",
          "consensus-round",
          "taleus-listener",
          "taleus-dialer");

  private final Map<String, NavigableMap<Integer, Protocol>> byName = new TreeMap<>();

  public static ProtocolCatalog of(Protocol... protocols) throws ProtocolLoadException {
    ProtocolCatalog c = new ProtocolCatalog();
    for (Protocol p : protocols) {
      c.add(p);
    }
    return c;
  }

  /** The built-in protocols only. */
  public static ProtocolCatalog builtins() throws ProtocolLoadException {
    ProtocolCatalog c = new ProtocolCatalog();
    for (String name : BUILTIN) {
      c.add(loadBuiltin(name));
    }
    return c;
  }

  /** Builtins plus every {@code *.yaml}/{@code *.yml} in the given directories (or files). */
  public static ProtocolCatalog load(List<Path> extra) throws ProtocolLoadException {
    ProtocolCatalog c = builtins();
    List<Problem> problems = new ArrayList<>();
    for (Path p : files(extra, problems)) {
      try {
        c.add(new ProtocolLoader().load(p));
      } catch (ProtocolLoadException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ProtocolLoadException(problems);
    }
    return c;
  }

  private static List<Path> files(List<Path> roots, List<Problem> problems) {
    List<Path> out = new ArrayList<>();
    for (Path root : roots) {
      if (Files.isDirectory(root)) {
        try (Stream<Path> s = Files.list(root)) {
          s.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
              .sorted()
              .forEach(out::add);
        } catch (IOException e) {
          problems.add(
              new Problem(
                  root.toString(), "", 0, "cannot list directory: " + TextFiles.describe(root, e)));
        }
      } else if (Files.isRegularFile(root)) {
        out.add(root);
      } else {
        problems.add(new Problem(root.toString(), "", 0, "no such file or directory"));
      }
    }
    return out;
  }

  /** A protocol named on the command line: a file path, or the name of a built-in protocol. */
  public static Protocol resolve(String fileOrName) throws ProtocolLoadException {
    Path path;
    try {
      path = Path.of(fileOrName);
    } catch (InvalidPathException e) {
      path = null;
    }
    if (path == null || !Files.exists(path)) {
      if (BUILTIN.contains(fileOrName)) {
        return loadBuiltin(fileOrName);
      }
      throw new ProtocolLoadException(
          List.of(
              new Problem(
                  fileOrName,
                  "",
                  0,
                  "no such file or built-in protocol (built-in: "
                      + String.join(", ", BUILTIN)
                      + ")")));
    }
    return new ProtocolLoader().load(path);
  }

  public static Protocol loadBuiltin(String name) throws ProtocolLoadException {
    String resource = "/protocols/" + name + ".yaml";
    try (InputStream in = ProtocolCatalog.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Expected built-in protocol " + resource + ", but none");
      }
      return new ProtocolLoader()
          .load("builtin:" + name + ".yaml", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read built-in protocol " + resource, e);
    }
  }

  public void add(Protocol p) throws ProtocolLoadException {
    NavigableMap<Integer, Protocol> versions =
        byName.computeIfAbsent(p.name(), n -> new TreeMap<>());
    Protocol existing = versions.get(p.version());
    if (existing != null) {
      throw new ProtocolLoadException(
          List.of(
              new Problem(
                  p.source(),
                  "version",
                  0,
                  "protocol "
                      + p.id()
                      + " is already loaded from "
                      + existing.source()
                      + " (name and version must be unique)")));
    }
    versions.put(p.version(), p);
  }

  public Optional<Protocol> latest(String name) {
    NavigableMap<Integer, Protocol> v = byName.get(name);
    return v == null ? Optional.empty() : Optional.of(v.lastEntry().getValue());
  }

  public Optional<Protocol> get(String name, int version) {
    NavigableMap<Integer, Protocol> v = byName.get(name);
    return v == null ? Optional.empty() : Optional.ofNullable(v.get(version));
  }

  /** All loaded protocols, by name then version. */
  public List<Protocol> all() {
    return byName.values().stream().map(NavigableMap::values).flatMap(Collection::stream).toList();
  }
}
