package io.statewarden.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sessions list}: the sessions the filters select, from any instance's HTTP API. */
@Command(
    name = "sessions",
    mixinStandardHelpOptions = true,
    description = "Find sessions across all instances.",
    subcommands = {SessionsCommand.ListCommand.class})
final class SessionsCommand {

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "List sessions, oldest entry into their state first (GET /sessions). Exit 0 listed"
              + " (also none), 2 unauthorized or bad arguments, 3 not available yet (or no"
              + " answer).")
  static final class ListCommand implements Callable<Integer> {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec CommandSpec spec;

    @Option(names = "--protocol", description = "Only sessions of this protocol.")
    String protocol;

    @Option(names = "--state", description = "Only sessions in this state.")
    String state;

    @Option(
        names = "--older-than",
        paramLabel = "DURATION",
        description = "Only sessions that entered their state longer ago than this (30s, 10m, 6h).")
    String olderThan;

    @Option(
        names = "--limit",
        defaultValue = "100",
        description = "Sessions per page, 1 to 1000 (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "Continue after a page.")
    String after;

    @Option(names = "--all", description = "Follow the pages to the end.")
    boolean all;

    @Option(
        names = "--output",
        defaultValue = "table",
        description =
            "table, json, or ids (the session ids alone, one a line, for `session retry -`;"
                + " default ${DEFAULT-VALUE}).")
    String output;

    @Option(
        names = "--url",
        defaultValue = "http://127.0.0.1:8070",
        description = "Any instance's HTTP API (default ${DEFAULT-VALUE}).")
    String url;

    @Option(
        names = "--token-file",
        paramLabel = "FILE",
        description =
            "File with the HTTP API bearer token (default: the STATEWARDEN_HTTP_TOKEN environment"
                + " variable, if set). A token is never taken on the command line.")
    Path tokenFile;

    @Override
    public Integer call() throws InterruptedException, IOException {
      if (!List.of("table", "json", "ids").contains(output)) {
        throw new ParameterException(
            spec.commandLine(), "Invalid value for option '--output': expected table, json or ids");
      }
      URI base = HttpCalls.base(spec, url);
      String token = HttpCalls.token(tokenFile, "STATEWARDEN_HTTP_TOKEN");
      ArrayNode sessions = JSON.createArrayNode();
      String next = after;
      do {
        HttpResponse<String> res =
            HttpCalls.send(base, HttpRequest.newBuilder(query(base, next)).GET(), token, TIMEOUT);
        if (res.statusCode() != 200) {
          spec.commandLine().getErr().println(res.body());
          return res.statusCode() == 401 || res.statusCode() == 400 ? 2 : 3;
        }
        JsonNode page = JSON.readTree(res.body());
        page.get("sessions").forEach(sessions::add);
        next = page.get("next").isNull() ? null : page.get("next").asText();
      } while (all && next != null);
      PrintWriter out = spec.commandLine().getOut();
      if (output.equals("json")) {
        ObjectNode body = JSON.createObjectNode();
        body.set("sessions", sessions);
        body.put("next", next);
        out.println(body);
      } else if (output.equals("ids")) {
        sessions.forEach(s -> out.println(s.get("sessionId").asText()));
        if (next != null) {
          spec.commandLine().getErr().println("more: --after " + next);
        }
      } else {
        out.printf(
            "%-36s %-20s %7s %-24s %s%n", "SESSION", "PROTOCOL", "VERSION", "STATE", "ENTERED");
        for (JsonNode s : sessions) {
          out.printf(
              "%-36s %-20s %7d %-24s %s%n",
              s.get("sessionId").asText(),
              s.get("protocol").asText(),
              s.get("protocolVersion").asInt(),
              s.get("state").asText(),
              Instant.ofEpochMilli(s.get("enteredAt").asLong()));
        }
        if (next != null) {
          out.println("more: --after " + next);
        }
      }
      out.flush();
      return 0;
    }

    private URI query(URI base, String cursor) {
      StringBuilder q = new StringBuilder("/sessions?limit=").append(limit);
      append(q, "protocol", protocol);
      append(q, "state", state);
      append(q, "olderThan", olderThan);
      append(q, "after", cursor);
      return URI.create(base.toString().replaceAll("/+$", "") + q);
    }

    private static void append(StringBuilder q, String name, String value) {
      if (value != null) {
        q.append('&')
            .append(name)
            .append('=')
            .append(URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"));
      }
    }
  }
}
