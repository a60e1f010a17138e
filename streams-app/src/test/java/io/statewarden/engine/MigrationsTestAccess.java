package io.statewarden.engine;

/** The test protocols of {@link MigrationsTest}, for tests in other packages. */
public final class MigrationsTestAccess {
  public static final String V1 = MigrationsTest.V1;
  public static final String V2 = MigrationsTest.V2;
  public static final String DL1 = MigrationsTest.DL1;
  public static final String DL2 = MigrationsTest.DL2;

  public static Migration onlyA(String id, long t) {
    return MigrationsTest.onlyA(id, t);
  }

  private MigrationsTestAccess() {}
}
