package io.statewarden.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The signature on the records statewarden writes into the events topic itself (timer records and
 * normalized JSON events), so that no producer can pass a record off as statewarden's
 * (docs/decisions/0008).
 *
 * <p>The header {@value #HEADER} holds {@code <key id>:<base64 HMAC-SHA256>}. The MAC covers, in
 * this order, each length-prefixed (4-byte big-endian length, -1 for null): the label {@value
 * #LABEL}, the record key bytes, the record value bytes, and every header whose name starts with
 * {@value #OWN_PREFIX} other than {@value #HEADER}, name then value, in record order. Other headers
 * (a producer's tracing headers) are not covered and not trusted. Not covered: the topic,
 * partition, offset and timestamp (a timer's time is its payload's {@code deadline}, a normalized
 * event's is in its value's place in the log), so a mirrored or restored copy of the log still
 * verifies.
 *
 * <p>The key id is the first 4 bytes of HMAC-SHA256(key, "key-id") in hex: it names the key that
 * signed without revealing it, so a verifier holding the current and earlier keys picks the right
 * one (rotation).
 *
 * <p>Thread-safe: each thread has its own {@link Mac} per key.
 */
public final class RecordMac {
  /** The header that carries the signature. */
  public static final String HEADER = "statewarden.mac";

  /** Headers with this prefix are statewarden's: covered when signed, dropped when not. */
  public static final String OWN_PREFIX = "statewarden.";

  static final String LABEL = "statewarden.mac.v1";
  private static final String ALGORITHM = "HmacSHA256";

  /** The least number of characters of a key. */
  public static final int MIN_KEY_LENGTH = 32;

  private final String signingId;
  private final Map<String, ThreadLocal<Mac>> byId;

  private RecordMac(List<String> keys) {
    Map<String, ThreadLocal<Mac>> m = new LinkedHashMap<>();
    for (String k : keys) {
      byte[] secret = k.getBytes(StandardCharsets.UTF_8);
      m.putIfAbsent(id(secret), ThreadLocal.withInitial(() -> newMac(secret)));
    }
    this.byId = m;
    this.signingId = m.keySet().iterator().next();
  }

  /**
   * @param current signs and verifies
   * @param previous earlier keys, accepted when verifying only (records signed before a rotation)
   * @throws IllegalArgumentException when a key is shorter than {@value #MIN_KEY_LENGTH} characters
   *     (the message does not contain the key)
   */
  public static RecordMac of(String current, List<String> previous) {
    List<String> keys = new ArrayList<>();
    keys.add(current);
    keys.addAll(previous);
    for (String k : keys) {
      if (k == null || k.length() < MIN_KEY_LENGTH) {
        throw new IllegalArgumentException(
            "a signing key has "
                + (k == null ? 0 : k.length())
                + " characters; at least "
                + MIN_KEY_LENGTH
                + " are needed (generate one with: openssl rand -base64 32)");
      }
    }
    return new RecordMac(keys);
  }

  /** A fresh random key, for tests and for {@code local}'s first start. */
  public static String randomKey() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /** The id of the key that signs, as written into {@value #HEADER}. */
  public String signingKeyId() {
    return signingId;
  }

  /**
   * Adds (or replaces) the {@value #HEADER} header over the key, value and {@code statewarden.*}
   * headers as they are now.
   */
  public void sign(byte[] key, byte[] value, Headers headers) {
    headers.remove(HEADER);
    byte[] mac = compute(byId.get(signingId).get(), key, value, headers);
    headers.add(
        HEADER,
        (signingId + ":" + Base64.getEncoder().encodeToString(mac))
            .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Whether the record carries exactly one {@value #HEADER} header, from a key this instance holds,
   * that matches its key, value and {@code statewarden.*} headers. A record without the header
   * costs one header lookup.
   */
  public boolean verify(byte[] key, byte[] value, Headers headers) {
    Header h = null;
    for (Header x : headers.headers(HEADER)) {
      if (h != null) {
        return false; // two signatures: not what statewarden writes
      }
      h = x;
    }
    if (h == null || h.value() == null) {
      return false;
    }
    String text = new String(h.value(), StandardCharsets.UTF_8);
    int colon = text.indexOf(':');
    if (colon < 0) {
      return false;
    }
    ThreadLocal<Mac> mac = byId.get(text.substring(0, colon));
    if (mac == null) {
      return false;
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(text.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(given, compute(mac.get(), key, value, headers));
  }

  /** A copy of {@code headers} without statewarden's own ({@value #OWN_PREFIX}*) headers. */
  public static Headers withoutOwn(Headers headers) {
    RecordHeaders out = new RecordHeaders();
    for (Header h : headers) {
      if (!h.key().startsWith(OWN_PREFIX)) {
        out.add(h);
      }
    }
    return out;
  }

  private static byte[] compute(Mac mac, byte[] key, byte[] value, Headers headers) {
    mac.reset();
    field(mac, LABEL.getBytes(StandardCharsets.UTF_8));
    field(mac, key);
    field(mac, value);
    for (Header h : headers) {
      if (h.key().startsWith(OWN_PREFIX) && !h.key().equals(HEADER)) {
        field(mac, h.key().getBytes(StandardCharsets.UTF_8));
        field(mac, h.value());
      }
    }
    return mac.doFinal();
  }

  private static void field(Mac mac, byte[] bytes) {
    mac.update(ByteBuffer.allocate(4).putInt(bytes == null ? -1 : bytes.length).array());
    if (bytes != null) {
      mac.update(bytes);
    }
  }

  private static String id(byte[] secret) {
    Mac m = newMac(secret);
    byte[] d = m.doFinal("key-id".getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(d, 0, 4);
  }

  private static Mac newMac(byte[] secret) {
    try {
      Mac m = Mac.getInstance(ALGORITHM);
      m.init(new SecretKeySpec(secret, ALGORITHM));
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
    }
  }

  /**
   * A value for the events topic that the sink's {@link Signing} serializer signs; {@code
   * partition} is where it goes, or -1 for the partition of its key.
   */
  record ToSign(String key, Object value, int partition) {
    ToSign(String key, Object value) {
      this(key, value, -1);
    }

    /** A sink's partitioner: the value's partition when it names one, else the key's. */
    static java.util.Optional<java.util.Set<Integer>> partitions(
        String topic, String key, Object value, int numPartitions) {
      return value instanceof ToSign t && t.partition() >= 0
          ? java.util.Optional.of(java.util.Set.of(t.partition()))
          : java.util.Optional.empty();
    }
  }

  /**
   * Serializes the value of a {@link ToSign} with the given serializer, then signs the record key,
   * those bytes and the record's {@code statewarden.*} headers: the only place the MAC is made, so
   * it covers exactly the bytes written.
   */
  static final class Signing implements Serializer<Object> {
    private final Serializer<Object> values;
    private final RecordMac mac;

    Signing(Serializer<Object> values, RecordMac mac) {
      this.values = values;
      this.mac = mac;
    }

    @Override
    public byte[] serialize(String topic, Object data) {
      throw new IllegalStateException("Expected to be called with the record's headers");
    }

    @Override
    public byte[] serialize(String topic, Headers headers, Object data) {
      ToSign t = (ToSign) data;
      byte[] value = values.serialize(topic, headers, t.value());
      mac.sign(t.key() == null ? null : t.key().getBytes(StandardCharsets.UTF_8), value, headers);
      return value;
    }
  }
}
