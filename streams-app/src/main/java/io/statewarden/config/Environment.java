package io.statewarden.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The process environment, read in this one place: the rest of statewarden takes what it needs as
 * arguments, so that a test gives it a made-up environment (the architecture test keeps every other
 * class off {@code System.getenv} and {@code System.getProperty}).
 */
public final class Environment {
  private Environment() {}

  /** The environment variables ({@code STATEWARDEN_*} become settings). */
  public static Map<String, String> variables() {
    return System.getenv();
  }

  /** One environment variable, or null. */
  public static String variable(String name) {
    return System.getenv(name);
  }

  /** The JVM's temporary directory ({@code java.io.tmpdir}). */
  public static Path tempDir() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** The name of the user running the JVM ({@code user.name}), as the default operator name. */
  public static String userName() {
    return System.getProperty("user.name");
  }
}
