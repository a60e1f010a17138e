package io.statewarden.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One path segment, percent-decoded as RFC 3986 says (not as a form): {@code %XX} is a byte of the
 * UTF-8 text, {@code +} is a plus. A {@code /} inside a segment arrives as {@code %2F} and decodes
 * to {@code /}; a raw {@code /} separates segments and is never part of one.
 */
final class PathSegment {
  private PathSegment() {}

  /**
   * @throws IllegalArgumentException saying what is wrong when {@code raw} holds a {@code %}
   *     without two hex digits, a character that is not printable ASCII, or bytes that are not
   *     UTF-8
   */
  static String decode(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
        if (lo < 0) {
          throw new IllegalArgumentException("'%' must be followed by two hex digits");
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c > ' ' && c < 0x7f && c != '/') {
        bytes.write(c);
      } else {
        throw new IllegalArgumentException(
            "characters other than printable ASCII must be percent-encoded (UTF-8)");
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("the percent-encoded bytes are not UTF-8");
    }
  }
}
