package io.statewarden.topology;

import com.fasterxml.jackson.core.JacksonException;
import com.microsoft.kiota.ApiException;
import io.statewarden.registry.RegistryClientSettings;
import io.vertx.core.http.HttpClosedException;
import java.io.CharConversionException;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.apache.avro.InvalidNumberEncodingException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Whether a failure to decode an input record lies with the record or around it.
 *
 * <p>Retriable (around us: rethrow, so that the transaction aborts and the record is read again;
 * never dead-letter): the registry could not be reached, did not answer in time, or answered that
 * it cannot serve now. Permanent (the record: dead-letter): anything else, such as bytes without
 * the magic byte, truncated Avro, an id the registry does not know (404), a schema the record's
 * bytes or the reader's schema do not fit.
 *
 * <p>Which exceptions the Apicurio 3.1.7 deserializer really throws (InputFailuresTest produces
 * each of them), outermost first:
 *
 * <ul>
 *   <li>connection refused: RuntimeException, RuntimeException, ExecutionException, netty {@code
 *       AnnotatedConnectException}, {@link java.net.ConnectException}
 *   <li>registry frozen (with {@link RegistryClientSettings}): RuntimeException, RuntimeException,
 *       ExecutionException, {@link HttpClosedException} (the idle timeout closed the connection)
 *   <li>HTTP 503 or 429: RuntimeException, Kiota {@link ApiException} with that status; 404 or 500:
 *       RuntimeException, {@code ProblemDetails} (an {@link ApiException}) with that status
 *   <li>no magic byte: IllegalStateException ("artifact reference cannot be null"); too short for
 *       an id: BufferUnderflowException
 *   <li>truncated Avro: UncheckedIOException, {@link EOFException}; a varint of more than 5 (int)
 *       or 10 (long) bytes: UncheckedIOException, {@link InvalidNumberEncodingException}
 *   <li>writer schema lacks a field the reader needs, or has another type: AvroTypeException
 *   <li>registry serves a schema that does not parse: RuntimeException, SchemaParseException,
 *       Jackson {@code JsonParseException}, which is an {@link IOException}
 * </ul>
 *
 * <p>So "IOException" alone does not mean the network: truncated bytes and unparseable schema text
 * arrive as IOExceptions too. The rule below is that of Debezium's ErrorHandler (a failure is
 * retriable when any exception in its chain is of a communication kind), with the IOExceptions that
 * only ever come from parsing content taken out.
 *
 * <p>The whole chain is walked, causes and suppressed exceptions both: the deserializer adds the
 * first failure as a suppressed exception to the second when a fallback lookup also fails, and a
 * record is only proven bad when no part of its failure says the registry was out of reach. A
 * record wrongly dead-lettered is lost to the engine; one wrongly retried stops its partition,
 * loudly, until someone looks.
 */
final class InputFailures {
  /** IOExceptions that report malformed content, never an unreachable peer. */
  private static final List<Class<? extends IOException>> CONTENT_IO_ERRORS =
      List.of(
          EOFException.class,
          CharConversionException.class,
          UTFDataFormatException.class,
          CharacterCodingException.class,
          InvalidNumberEncodingException.class, // Avro: a varint longer than its int or long
          JacksonException.class);

  /** Bounds the walk of a pathological chain. */
  private static final int MAX_EXCEPTIONS = 256;

  private InputFailures() {}

  /**
   * @return true when some exception in {@code t}'s chain (its causes and suppressed exceptions,
   *     recursively) reports a failure around the record, false when none does
   */
  static boolean isRetriable(Throwable t) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Throwable> todo = new ArrayDeque<>();
    if (t != null) todo.push(t);
    while (!todo.isEmpty() && seen.size() < MAX_EXCEPTIONS) {
      Throwable e = todo.pop();
      if (!seen.add(e)) continue;
      if (isRetriableItself(e)) return true;
      for (Throwable s : e.getSuppressed()) todo.push(s);
      if (e.getCause() != null) todo.push(e.getCause());
    }
    return false;
  }

  /** The one exception, without its causes. */
  static boolean isRetriableItself(Throwable e) {
    if (e instanceof IOException io) {
      // ConnectException, SocketTimeoutException, HttpTimeoutException, UnknownHostException,
      // "Connection reset", SSLException, ClosedChannelException, InterruptedIOException, ...
      return CONTENT_IO_ERRORS.stream().noneMatch(c -> c.isInstance(io));
    }
    if (e instanceof ApiException api) {
      return isRetriableStatus(api.getResponseStatusCode());
    }
    return e instanceof TimeoutException // java.util.concurrent; Vert.x's timeouts extend it
        || e instanceof RetriableException // Kafka's, TimeoutException among them
        || e instanceof HttpClosedException // Vert.x: the connection closed under the request
        || e instanceof InterruptedException; // shutting down: no verdict on the record
  }

  /**
   * 5xx, 429 Too Many Requests and 408 Request Timeout: the registry cannot answer now. 401, 403
   * and 407: the registry refuses us, not the record (credentials or permissions to fix), and
   * dead-lettering would send every record after it to the dead-letter topic until someone fixes
   * them. Every other status, 404 for an id the registry does not know among them, is permanent.
   */
  static boolean isRetriableStatus(int status) {
    return (status >= 500 && status <= 599)
        || status == 429
        || status == 408
        || status == 401
        || status == 403
        || status == 407;
  }
}
