package io.statewarden.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Deadlines fired on this instance per wall-clock minute over the last hour, with the largest
 * lateness of each minute: what the console's deadlines page draws as timer storms. A ring of
 * {@value #MINUTES} slots, each holding the minute it counts; a slot whose minute is more than an
 * hour old is reused. Fixed size, whatever the rate; one short lock per fired deadline.
 */
public final class FireMinutes {
  public static final int MINUTES = 60;
  private static final long MINUTE_MS = 60_000;

  private final long[] minute = new long[MINUTES];
  private final long[] fired = new long[MINUTES];
  private final long[] maxLateness = new long[MINUTES];

  /** One minute: its start (epoch millis), the deadlines fired in it, the largest lateness. */
  public record Minute(long start, long fired, long maxLatenessMs) {}

  FireMinutes() {
    java.util.Arrays.fill(minute, Long.MIN_VALUE);
  }

  /** A deadline took effect at {@code now} (wall clock), {@code latenessMs} after it was due. */
  synchronized void record(long now, long latenessMs) {
    long m = Math.floorDiv(now, MINUTE_MS);
    int slot = (int) Math.floorMod(m, MINUTES);
    if (minute[slot] != m) {
      minute[slot] = m;
      fired[slot] = 0;
      maxLateness[slot] = 0;
    }
    fired[slot]++;
    maxLateness[slot] = Math.max(maxLateness[slot], Math.max(0, latenessMs));
  }

  /** The {@value #MINUTES} minutes up to the one {@code now} is in, oldest first; none skipped. */
  public synchronized List<Minute> lastHour(long now) {
    long current = Math.floorDiv(now, MINUTE_MS);
    List<Minute> out = new ArrayList<>(MINUTES);
    for (long m = current - MINUTES + 1; m <= current; m++) {
      int slot = (int) Math.floorMod(m, MINUTES);
      boolean held = minute[slot] == m;
      out.add(new Minute(m * MINUTE_MS, held ? fired[slot] : 0, held ? maxLateness[slot] : 0));
    }
    return out;
  }
}
