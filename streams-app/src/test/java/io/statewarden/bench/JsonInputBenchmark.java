package io.statewarden.bench;

import io.statewarden.engine.InputRef;
import io.statewarden.json.EventJson;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Reading a JSON input event (issue 16): Jackson's tree, then the event from it (before), against
 * the one-pass reader (after), on case 1's JSON records ({@link Workload#mix}). Run: {@code ./mvnw
 * -pl streams-app -am -Pbench-engine verify -DskipTests -Dbench.args=JsonInputBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JsonInputBenchmark {
  static final int RECORDS = 10_000;
  static final InputRef INPUT = new InputRef("statewarden.events.json", 0, 0);

  @State(Scope.Thread)
  public static class Records {
    byte[][] json;

    @Setup
    public void setup() {
      List<Workload.Rec> recs = Workload.mix("s", RECORDS, 2_000, 10, 1_700_000_000_000L, 42);
      json = recs.stream().map(Workload.Rec::json).toArray(byte[][]::new);
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void tree(Records r, Blackhole bh) throws Exception {
    for (byte[] j : r.json) bh.consume(EventJson.read(EventJson.parse(j), null, 1L, INPUT));
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void onePass(Records r, Blackhole bh) throws Exception {
    for (byte[] j : r.json) bh.consume(EventJson.read(j, null, 1L, INPUT));
  }
}
