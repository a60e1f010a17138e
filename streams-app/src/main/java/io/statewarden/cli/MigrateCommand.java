package io.statewarden.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.config.Environment;
import io.statewarden.protocol.TextFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code protocols migrate NAME --from N --to M}: moves the live sessions of one version to another
 * through any instance's {@code POST /migrations} (docs/decisions/0018), then follows {@code GET
 * /migrations/{id}} with a progress bar on stderr until every partition is done. {@code --dry-run}
 * prints, per session, the state it would land in, and the sessions that cannot be mapped, writing
 * nothing. Exit 0 done (dry run: every session maps), 2 refused (a map naming a missing state, an
 * unmapped state), unauthorized, forbidden or bad arguments, 3 not available (or no answer), a
 * partition failed the migration, or no progress for {@code --stall-timeout}, as {@code session}.
 */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description =
        "Move the live sessions of protocol NAME from version N to version M (POST /migrations),"
            + " showing progress until done. Exit 0 done (dry run: all map), 2 refused,"
            + " unauthorized or bad arguments, 3 not available, failed or stalled.")
final class MigrateCommand implements Callable<Integer> {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BAR = 30;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "Protocol name.")
  String name;

  @Option(names = "--from", required = true, paramLabel = "N", description = "Source version.")
  int from;

  @Option(names = "--to", required = true, paramLabel = "M", description = "Target version.")
  int to;

  @Option(
      names = "--map",
      paramLabel = "FILE",
      description =
          "YAML map of states, 'A: A2' per line (a state of N to a state of M); states not in it"
              + " keep their name and must exist in M.")
  Path map;

  @Option(
      names = "--state",
      paramLabel = "STATE",
      description = "Only sessions in this state of N (repeatable; default: every live state).")
  List<String> states = new ArrayList<>();

  @Option(
      names = "--ids",
      paramLabel = "FILE",
      description = "Only these sessions: one id per line ('#' starts a comment).")
  Path ids;

  @Option(names = "--dry-run", description = "Print where each session would land; write nothing.")
  boolean dryRun;

  @Option(names = "--reason", required = true, description = "Why (audited).")
  String reason;

  @Option(
      names = "--operator",
      description = "Who acts, as audited (default: the user name, ${sys:user.name}).")
  String operator = Environment.userName();

  @Option(
      names = "--migration-id",
      paramLabel = "ID",
      description = "The migration's id (default: a random one); the same id twice applies once.")
  String migrationId;

  @Option(
      names = "--chunk-size",
      paramLabel = "N",
      description = "Sessions migrated per transaction in each partition (default: the server's).")
  Integer chunkSize;

  @Option(names = "--no-wait", description = "Return once the migration is logged.")
  boolean noWait;

  @Option(
      names = "--stall-timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description =
          "Stop waiting (exit 3; the migration goes on) when the count of migrated sessions has"
              + " not changed for this long (default ${DEFAULT-VALUE}).")
  long stallTimeout;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8070",
      description = "Any instance's HTTP API (default ${DEFAULT-VALUE}).")
  String url;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "File with the operator token (default: the STATEWARDEN_OPERATOR_TOKEN environment"
              + " variable, if set). A token is never taken on the command line.")
  Path tokenFile;

  @Override
  public Integer call() throws InterruptedException, IOException {
    URI base = HttpCalls.base(spec, url);
    String token = HttpCalls.token(tokenFile, "STATEWARDEN_OPERATOR_TOKEN");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("protocol", name);
    body.put("from", from);
    body.put("to", to);
    body.put("reason", reason);
    body.put("operator", operator);
    if (map != null) body.put("map", readMap(map));
    if (!states.isEmpty()) body.put("states", states);
    if (ids != null) body.put("ids", readIds(ids));
    if (migrationId != null) body.put("migrationId", migrationId);
    if (chunkSize != null) body.put("chunkSize", chunkSize);
    if (dryRun) body.put("dryRun", true);
    HttpResponse<String> res =
        HttpCalls.send(
            base,
            HttpRequest.newBuilder(HttpCalls.at(base, "/migrations"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(OperatorCommands.Base.json(body))),
            token,
            TIMEOUT);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (res.statusCode() != 200 && res.statusCode() != 202) {
      err.println(res.body());
      return res.statusCode() == 400 || res.statusCode() == 401 || res.statusCode() == 403 ? 2 : 3;
    }
    JsonNode answer = JSON.readTree(res.body());
    if (dryRun) {
      return printDryRun(answer, out, err);
    }
    String id = answer.get("migrationId").asText();
    long total = answer.get("total").asLong();
    out.println("migration " + id + " logged: " + total + " sessions to migrate");
    out.flush();
    if (noWait) return 0;
    return follow(base, token, id, total, out, err);
  }

  private int printDryRun(JsonNode answer, PrintWriter out, PrintWriter err) {
    out.printf("%-36s %-24s %s%n", "SESSION", "STATE", "WOULD LAND IN");
    for (JsonNode s : answer.get("sessions")) {
      out.printf(
          "%-36s %-24s %s%n",
          s.get("sessionId").asText(), s.get("state").asText(), s.get("to").asText());
    }
    for (JsonNode s : answer.get("unmapped")) {
      out.printf(
          "%-36s %-24s cannot be mapped: %s%n",
          s.get("sessionId").asText(), s.get("state").asText(), s.get("problem").asText());
    }
    out.println(
        "dry run: "
            + answer.get("total").asLong()
            + " sessions would migrate, "
            + answer.get("unmapped").size()
            + " cannot be mapped; nothing written");
    out.flush();
    for (JsonNode p : answer.get("problems")) {
      err.println("refused: " + p.asText());
    }
    err.flush();
    return answer.get("problems").isEmpty() ? 0 : 2;
  }

  /**
   * Polls the progress until every partition is done, drawing a bar on stderr; stops with exit 3
   * when a partition failed the migration or the migrated count stood still for {@code
   * --stall-timeout}.
   */
  private int follow(
      URI base, String token, String id, long total, PrintWriter out, PrintWriter err)
      throws InterruptedException, IOException {
    URI status = HttpCalls.at(base, "/migrations/" + HttpCalls.encode(id));
    Duration stall = Duration.ofSeconds(Math.max(1, stallTimeout));
    long changedAt = System.nanoTime();
    long last = -1;
    String look = "GET /migrations/" + id + " and the dead-letter topic tell more";
    while (true) {
      HttpResponse<String> res =
          HttpCalls.send(base, HttpRequest.newBuilder(status).GET(), token, TIMEOUT);
      String answer = res.body();
      if (res.statusCode() == 200) {
        JsonNode p = JSON.readTree(res.body());
        long migrated = p.get("migrated").asLong();
        if (migrated != last) {
          last = migrated;
          changedAt = System.nanoTime();
        }
        err.print("\r" + bar(migrated, total));
        err.flush();
        long failed = p.path("failed").asLong(0);
        if (failed > 0) {
          err.println();
          err.println(
              "statewarden: migration "
                  + id
                  + " failed in "
                  + failed
                  + " partition(s) (its record was dead-lettered there; the others go on): "
                  + look);
          err.flush();
          return 3;
        }
        if (p.get("done").asBoolean()) {
          err.println();
          err.flush();
          out.println(
              "migration "
                  + id
                  + " done: "
                  + migrated
                  + " migrated, "
                  + p.get("refused").asLong()
                  + " refused (see the audit records of "
                  + id
                  + ")");
          out.flush();
          return 0;
        }
        answer = null;
      } else if (res.statusCode() == 401 || res.statusCode() == 403) {
        err.println();
        err.println(res.body());
        return 2;
      }
      if (System.nanoTime() - changedAt > stall.toNanos()) {
        // 404 (not read yet), 503 (rebalancing) or a count standing still
        err.println();
        if (answer != null) err.println(answer);
        err.println(
            "statewarden: migration "
                + id
                + ": no progress within "
                + stall.toSeconds()
                + " s (--stall-timeout); it is logged and may go on: "
                + look);
        err.flush();
        return 3;
      }
      Thread.sleep(500);
    }
  }

  /** {@code migrating [#####.....] 500/1000}. */
  static String bar(long migrated, long total) {
    int filled = total <= 0 ? BAR : (int) Math.min(BAR, migrated * BAR / total);
    return "migrating ["
        + "#".repeat(filled)
        + ".".repeat(BAR - filled)
        + "] "
        + migrated
        + "/"
        + total;
  }

  private static Map<String, String> readMap(Path file) {
    Object loaded;
    try {
      loaded =
          new Yaml(new SafeConstructor(new LoaderOptions()))
              .load(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CommandFailure(2, "--map " + file + ": " + TextFiles.describe(file, e), e);
    } catch (YAMLException e) {
      throw new CommandFailure(2, "--map " + file + ": not YAML: " + e.getMessage(), e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (loaded == null) return out;
    if (!(loaded instanceof Map<?, ?> m)) {
      throw new CommandFailure(2, "--map " + file + ": expected 'STATE: STATE' lines");
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String) || !(e.getValue() instanceof String)) {
        throw new CommandFailure(
            2,
            "--map " + file + ": " + e.getKey() + ": expected a state name, got " + e.getValue());
      }
      out.put((String) e.getKey(), (String) e.getValue());
    }
    return out;
  }

  private static List<String> readIds(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .map(l -> l.replaceAll("#.*", "").strip())
          .filter(l -> !l.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new CommandFailure(2, "--ids " + file + ": " + TextFiles.describe(file, e), e);
    }
  }
}
