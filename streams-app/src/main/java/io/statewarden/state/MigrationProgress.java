package io.statewarden.state;

import java.nio.charset.StandardCharsets;

/**
 * How far one partition got with one migration (docs/decisions/0018), the value of the {@code
 * migrations} store (changelogged, written in the chunk's transaction): the last chunk applied, the
 * sessions it migrated and refused so far, whether it is done, the total the request counted over
 * all partitions, and whether the partition failed it (its record was dead-lettered: done, nothing
 * more will happen). Stored as text: {@code chunk,migrated,refused,done,total,failed}; a value
 * written before {@code failed} existed has five fields and reads as not failed.
 */
public record MigrationProgress(
    int chunk, long migrated, long refused, boolean done, long total, boolean failed) {

  public byte[] encode() {
    return (chunk + "," + migrated + "," + refused + "," + done + "," + total + "," + failed)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The stored value, or null for null. */
  public static MigrationProgress decode(byte[] value) {
    if (value == null) return null;
    String[] f = new String(value, StandardCharsets.UTF_8).split(",");
    if (f.length != 5 && f.length != 6) {
      throw new IllegalStateException(
          "Expected a migration progress chunk,migrated,refused,done,total[,failed], but got "
              + new String(value, StandardCharsets.UTF_8));
    }
    return new MigrationProgress(
        Integer.parseInt(f[0]),
        Long.parseLong(f[1]),
        Long.parseLong(f[2]),
        Boolean.parseBoolean(f[3]),
        Long.parseLong(f[4]),
        f.length == 6 && Boolean.parseBoolean(f[5]));
  }
}
