package io.statewarden.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.metrics.FireMinutes.Minute;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fires per minute over the last hour, on a clock the test drives. */
class FireMinutesTest {
  static final long MINUTE = 60_000;
  static final long T0 = 1_800_000_000_000L; // a minute's start

  @Test
  void shouldCountEachMinuteAndKeepItsLargestLateness() {
    FireMinutes f = new FireMinutes();

    // given fires in the first second and the last millisecond of one minute, and one in the next
    f.record(T0, 10);
    f.record(T0 + MINUTE - 1, 4_000);
    f.record(T0 + MINUTE - 1, -5); // a timer ahead of its deadline counts as not late
    f.record(T0 + MINUTE, 7);

    // when read a minute later
    List<Minute> hour = f.lastHour(T0 + 2 * MINUTE + 30_000);

    // then 60 minutes, oldest first, ending with the current one; none skipped
    assertThat(hour).hasSize(FireMinutes.MINUTES);
    assertThat(hour.get(59)).isEqualTo(new Minute(T0 + 2 * MINUTE, 0, 0));
    assertThat(hour.get(58)).isEqualTo(new Minute(T0 + MINUTE, 1, 7));
    assertThat(hour.get(57)).isEqualTo(new Minute(T0, 3, 4_000));
    assertThat(hour.get(0).start()).isEqualTo(T0 + 2 * MINUTE - 59 * MINUTE);
    for (int i = 1; i < hour.size(); i++) {
      assertThat(hour.get(i).start() - hour.get(i - 1).start()).isEqualTo(MINUTE);
    }
  }

  @Test
  void shouldForgetAMinuteAnHourOldWhenItsSlotComesRound() {
    FireMinutes f = new FireMinutes();
    f.record(T0, 100);
    f.record(T0, 100);

    // an hour later the minute has left the window, though its slot was not reused yet
    assertThat(f.lastHour(T0 + 60 * MINUTE)).allMatch(m -> m.fired() == 0);
    assertThat(f.lastHour(T0 + 59 * MINUTE).get(0)).isEqualTo(new Minute(T0, 2, 100));

    // a fire in the minute that reuses the slot starts its count afresh
    f.record(T0 + 60 * MINUTE, 3);
    List<Minute> hour = f.lastHour(T0 + 60 * MINUTE);
    assertThat(hour.get(59)).isEqualTo(new Minute(T0 + 60 * MINUTE, 1, 3));
    assertThat(hour.stream().mapToLong(Minute::fired).sum()).isEqualTo(1);
  }
}
