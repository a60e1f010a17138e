package io.statewarden.config;

import java.lang.reflect.Method;
import org.apache.avro.SystemLimitException;

/**
 * Avro's own length limits ({@code org.apache.avro.limits.*}), set from {@code
 * statewarden.max.record.bytes}. Without them Avro believes the length a record claims: six bytes
 * that claim a string of 2^30 bytes make the decoder allocate it, and the JVM runs out of memory
 * before the record can be dead-lettered. With them the decoder refuses the length ({@link
 * SystemLimitException}, a permanent failure: dead-lettered with its message). No field of a valid
 * record can be longer than the record itself, and no collection can have more items than it has
 * bytes... except items of type null, which statewarden's schemas do not have.
 *
 * <p>Every entry point that decodes calls {@link #apply} before it starts ({@code run}, {@code
 * local}, {@code replay}; the image runs {@code run}). A limit given as a system property ({@code
 * -Dorg.apache.avro.limits.string.maxLength=...}) is left as it is.
 */
public final class AvroLimits {
  private AvroLimits() {}

  public static void apply(int maxRecordBytes) {
    String limit = String.valueOf(maxRecordBytes);
    for (String p :
        new String[] {
          SystemLimitException.MAX_BYTES_LENGTH_PROPERTY,
          SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
          SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY
        }) {
      if (System.getProperty(p) == null || System.getProperty(p).equals(limit)) {
        System.setProperty(p, limit);
      }
    }
    // Avro reads the properties once, when the class initializes; something may have decoded
    // before this entry point ran (tests start several applications in one JVM), so read again
    try {
      Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
      reset.setAccessible(true);
      reset.invoke(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "Could not apply Avro's length limits (org.apache.avro.limits.*); start the JVM with"
              + " -Dorg.apache.avro.limits.string.maxLength="
              + limit
              + " and the same for bytes.maxLength and collectionItems.maxLength",
          e);
    }
  }
}
