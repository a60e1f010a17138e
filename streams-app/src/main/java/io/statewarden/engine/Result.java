package io.statewarden.engine;

import java.util.List;

/**
 * What one input (or one pass of time) did: the session after it (null when there is none, or it
 * was purged), whether it must be written back, and the records to publish, in order.
 */
public record Result(Session session, boolean changed, List<Output> outputs) {}
