package io.statewarden.protocol;

/**
 * One thing wrong with a definition: the file, the path inside it, the line, and the cause. Printed
 * as {@code FILE:LINE: PATH: CAUSE}, or {@code FILE: CAUSE} for the file as a whole.
 */
public record Problem(String file, String path, int line, String cause) {
  @Override
  public String toString() {
    return file + (line > 0 ? ":" + line : "") + ": " + (path.isEmpty() ? "" : path + ": ") + cause;
  }
}
