package io.statewarden.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The console's files, read once from the jar's {@code console/} folder (docs/console.md): pages,
 * scripts, the style sheet and the Mermaid bundle. Only names of lower-case letters, digits, dots
 * and dashes with a known extension, in the folder or one below it, are served.
 */
final class ConsoleAssets {
  private static final Pattern NAME =
      Pattern.compile("([a-z0-9-]+/)?[a-z0-9-]+(\\.[a-z0-9-]+)*\\.(html|js|css|png)");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "png", "image/png");

  /** A file's bytes, content type and entity tag. */
  record Asset(byte[] bytes, String type, String etag) {}

  private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

  /** The file {@code name} (relative to the folder), or empty when there is none. */
  Optional<Asset> get(String name) {
    if (!NAME.matcher(name).matches()) return Optional.empty();
    return cache.computeIfAbsent(name, ConsoleAssets::load);
  }

  private static Optional<Asset> load(String name) {
    try (InputStream in = ConsoleAssets.class.getResourceAsStream("/console/" + name)) {
      if (in == null) return Optional.empty();
      byte[] bytes = in.readAllBytes();
      String ext = name.substring(name.lastIndexOf('.') + 1);
      String etag =
          "\""
              + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12)
              + "\"";
      return Optional.of(new Asset(bytes, TYPES.get(ext), etag));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
