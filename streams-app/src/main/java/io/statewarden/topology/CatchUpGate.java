package io.statewarden.topology;

/**
 * Holds timer records back while a task works through a backlog after it starts (a restart, a
 * rebalance, a restore), so that events which arrived before a deadline in record time, but reach
 * the events log only now (JSON input being normalized after the restart), are logged and applied
 * before the deadline's timer, even though the wall clock passed the deadline while nobody was
 * processing.
 *
 * <p>Open once a processed record is stamped no earlier than {@code quietMs} before the task
 * started (the task reached live traffic), or once no record came for {@code quietMs} (nothing to
 * catch up). It never closes again for the life of the task.
 */
final class CatchUpGate {
  private final long startedAt;
  private final long quietMs;
  private long lastRecordAt;
  private boolean open;

  CatchUpGate(long startedAt, long quietMs) {
    this.startedAt = startedAt;
    this.quietMs = quietMs;
    this.lastRecordAt = startedAt;
    this.open = quietMs == 0;
  }

  void onRecord(long recordTimestamp, long wallClock) {
    lastRecordAt = wallClock;
    if (recordTimestamp >= startedAt - quietMs) {
      open = true;
    }
  }

  boolean isOpen(long wallClock) {
    if (!open && wallClock - lastRecordAt >= quietMs) {
      open = true;
    }
    return open;
  }
}
