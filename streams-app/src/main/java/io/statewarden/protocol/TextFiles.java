package io.statewarden.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The text files users name on the command line (definitions, scenarios, settings, tokens): why one
 * cannot be read, in words a user can act on and without Java class names, and strict UTF-8
 * decoding that says on which line the first bad byte is.
 */
public final class TextFiles {
  private TextFiles() {}

  /** Why {@code path} could not be read: "no such file", "is a directory", ... */
  public static String describe(Path path, IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NotUtf8 n) {
      return "not UTF-8 text (line " + n.line() + ")";
    }
    if (e instanceof CharacterCodingException) {
      return "not UTF-8 text";
    }
    if (path != null && Files.isDirectory(path)) {
      return "is a directory, not a file";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return "cannot read: " + f.getReason();
    }
    return "cannot read: " + (e.getMessage() == null ? "input/output error" : e.getMessage());
  }

  /**
   * Decodes UTF-8, refusing malformed input instead of replacing it.
   *
   * @throws NotUtf8 naming the line (1-based) of the first byte that is not UTF-8
   */
  public static String utf8(byte[] bytes) throws NotUtf8 {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1); // never more chars than bytes
    CoderResult r = decoder.decode(in, out, true);
    if (r.isError()) {
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      throw new NotUtf8(line);
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  /** Text that is not UTF-8; {@link #line()} is where the first bad byte is. */
  public static final class NotUtf8 extends CharacterCodingException {
    private final int line;

    NotUtf8(int line) {
      this.line = line;
    }

    public int line() {
      return line;
    }

    @Override
    public String getMessage() {
      return "not UTF-8 text";
    }
  }
}
