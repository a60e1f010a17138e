package io.statewarden.engine;

/** The test protocols of {@link MigrationsTest}, for tests in other packages. */
public final class MigrationsTestAccess {
  public static final String V1 = MigrationsTest.V1;
  public static final String V2 = MigrationsTest.V2;

  private MigrationsTestAccess() {}
}
