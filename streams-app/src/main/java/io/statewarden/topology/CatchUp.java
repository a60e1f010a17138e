package io.statewarden.topology;

/**
 * Decides when a task of the engine may fire live deadlines after it starts (a start, a restart, a
 * rebalance, a revival after an aborted transaction): not before it has read the input that was
 * waiting when it started, so that events which arrived before a deadline in record time, but reach
 * the task only now, are applied before the deadline's timer is logged.
 */
public interface CatchUp {
  /** Whether a task may fire deadlines yet; opens once, never closes again. */
  interface Gate extends AutoCloseable {
    boolean isOpen();

    /** The task closed: stop deciding for it. */
    @Override
    void close();
  }

  /**
   * A gate for the task that reads partition {@code partition} of the events topic, in the
   * application (consumer group) {@code applicationId}.
   */
  Gate open(String applicationId, int partition);

  /**
   * Open from the start: for a topology that is handed its input synchronously, record by record
   * ({@code TopologyTestDriver}), and for a replay, which has no punctuator.
   */
  CatchUp SYNCHRONOUS_INPUT =
      (applicationId, partition) ->
          new Gate() {
            @Override
            public boolean isOpen() {
              return true;
            }

            @Override
            public void close() {}
          };
}
