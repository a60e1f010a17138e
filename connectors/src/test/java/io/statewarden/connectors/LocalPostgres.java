package io.statewarden.connectors;

import io.statewarden.embedded.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 15 server for the tests: {@code initdb} into a private temporary directory,
 * {@code pg_ctl start} on a free loopback port with {@code wal_level=logical} (for Debezium's
 * source connector), trust authentication for the {@code postgres} superuser. When this JVM runs as
 * root, the server runs as the {@code postgres} user ({@code initdb} refuses root).
 *
 * <p>The binaries come from {@value #DEFAULT_BIN} or {@code -Dstatewarden.postgres.bin}.
 */
final class LocalPostgres implements AutoCloseable {
  static final String DEFAULT_BIN = "/usr/lib/postgresql/15/bin";
  static final String BIN_PROPERTY = "statewarden.postgres.bin";
  static final String SUPERUSER = "postgres";
  private static final Logger LOG = LoggerFactory.getLogger(LocalPostgres.class);
  private static final int START_ATTEMPTS = 3;

  private final Path bin;
  private final Path dir;
  private final int port;
  private final Thread shutdownHook;
  private boolean closed;

  private LocalPostgres(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.shutdownHook = new Thread(this::stopQuietly, "postgres-stopper");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Initialises and starts a fresh server.
   *
   * @return the running server
   * @throws IllegalStateException when the binaries are missing (saying what to install) or the
   *     server does not start
   */
  static LocalPostgres start() {
    Path bin = Path.of(System.getProperty(BIN_PROPERTY, DEFAULT_BIN));
    if (!Files.isExecutable(bin.resolve("initdb")) || !Files.isExecutable(bin.resolve("pg_ctl"))) {
      throw new IllegalStateException(
          "PostgreSQL 15 server binaries (initdb, pg_ctl) are missing from "
              + bin
              + ". Install them with `apt-get install postgresql-15` (Debian/Ubuntu), or point -D"
              + BIN_PROPERTY
              + " at a PostgreSQL 15 bin directory.");
    }
    long started = System.nanoTime();
    Path dir = privateDirectory();
    run(
        bin,
        dir,
        "initdb",
        "-D",
        dir.resolve("data").toString(),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync");
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int port = Ports.freeLoopbackPort();
      try {
        run(
            bin,
            dir,
            "pg_ctl",
            "-D",
            dir.resolve("data").toString(),
            "-l",
            dir.resolve("postgres.log").toString(),
            "-w",
            "-t",
            "60",
            "-o",
            "-p "
                + port
                + " -c listen_addresses=127.0.0.1 -c unix_socket_directories="
                + dir
                + " -c wal_level=logical -c fsync=off -c synchronous_commit=off"
                + " -c full_page_writes=off -c max_connections=50 -c shared_buffers=32MB",
            "start");
        startWatchdog(bin, dir);
        LOG.info(
            "PostgreSQL started at 127.0.0.1:{} in {} ms (data {})",
            port,
            (System.nanoTime() - started) / 1_000_000,
            dir);
        return new LocalPostgres(bin, dir, port);
      } catch (IllegalStateException e) {
        last = e;
        LOG.warn(
            "PostgreSQL did not start on port {} (attempt {}): {}", port, attempt, e.getMessage());
      }
    }
    throw last;
  }

  int port() {
    return port;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>}. */
  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** A connection as the superuser to {@code database}. */
  Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, "");
  }

  /** Creates a database. */
  void createDatabase(String name) throws SQLException {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
  }

  /**
   * Creates a login role that must give its password over TCP (SCRAM-SHA-256): a rule for it goes
   * before the trust rules of pg_hba.conf, and the server reloads its configuration.
   */
  void createPasswordRole(String role, String password) throws SQLException, IOException {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password.replace("'", "''") + "'");
    }
    Path hba = dir.resolve("data/pg_hba.conf");
    Files.writeString(
        hba,
        "host all " + role + " 127.0.0.1/32 scram-sha-256\n" + Files.readString(hba),
        StandardCharsets.UTF_8);
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_reload_conf()");
    }
  }

  /** Runs SQL statements as the superuser in {@code database}. */
  void execute(String database, String sql) throws SQLException {
    try (Connection c = connect(database);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs an SQL script (statements separated by {@code ;} at line ends) in {@code database}. */
  void runScript(String database, Path script) throws SQLException, IOException {
    String sql = Files.readString(script, StandardCharsets.UTF_8);
    try (Connection c = connect(database);
        Statement s = c.createStatement()) {
      s.execute(sql); // the driver sends the whole script as one simple query
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
    deleteRecursively(dir);
  }

  private synchronized void stopQuietly() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      run(bin, dir, "pg_ctl", "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop");
      LOG.info("PostgreSQL stopped");
    } catch (RuntimeException e) {
      LOG.warn("Could not stop PostgreSQL in {}: {}", dir, e.getMessage());
    }
  }

  /**
   * pg_ctl detaches the server from this JVM, so a shutdown hook cannot stop it after {@code kill
   * -9}: a small {@code sh} loop stops it once this JVM is gone.
   */
  private static void startWatchdog(Path bin, Path dir) {
    String pgCtl = (root() ? "runuser -u " + SUPERUSER + " -- " : "") + bin.resolve("pg_ctl");
    String script =
        ("while kill -0 %d 2>/dev/null && [ -f '%s/data/postmaster.pid' ]; do sleep 1; done;"
                + " [ -f '%s/data/postmaster.pid' ] && %s -D '%s/data' -m immediate stop")
            .formatted(ProcessHandle.current().pid(), dir, dir, pgCtl, dir);
    try {
      new ProcessBuilder("/bin/sh", "-c", script)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      LOG.debug("No watchdog for PostgreSQL in {}", dir, e);
    }
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static Path privateDirectory() {
    try {
      Path dir = Files.createTempDirectory("statewarden-pg-");
      if (root()) {
        exec(List.of("chown", SUPERUSER + ":" + SUPERUSER, dir.toString()), dir);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create a PostgreSQL directory", e);
    }
  }

  private static void run(Path bin, Path dir, String tool, String... args) {
    List<String> command = new ArrayList<>();
    if (root()) {
      command.addAll(List.of("runuser", "-u", SUPERUSER, "--"));
    }
    command.add(bin.resolve(tool).toString());
    command.addAll(List.of(args));
    exec(command, dir);
  }

  private static void exec(List<String> command, Path dir) {
    try {
      Process p =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int rc = p.waitFor();
      if (rc != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited with " + rc + ": " + out.strip() + logTail(dir));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted running " + command, e);
    }
  }

  private static String logTail(Path dir) {
    Path log = dir.resolve("postgres.log");
    try {
      if (Files.exists(log)) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return "\n"
            + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
      }
    } catch (IOException e) {
      // no log to show
    }
    return "";
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warn("Could not delete {}: {}", dir, e.toString());
    }
  }
}
