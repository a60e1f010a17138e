package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CatchUpGateTest {
  @Test
  void shouldStayClosedWhileOldRecordsKeepComing() {
    CatchUpGate gate = new CatchUpGate(100_000, 1_000);
    for (long wall = 100_000; wall < 105_000; wall += 200) {
      gate.onRecord(50_000 + wall - 100_000, wall); // backlog stamped well before the start
      assertThat(gate.isOpen(wall)).isFalse();
    }
  }

  @Test
  void shouldOpenOnLiveRecord() {
    CatchUpGate gate = new CatchUpGate(100_000, 1_000);
    gate.onRecord(99_500, 100_100);
    assertThat(gate.isOpen(100_100)).isTrue();
  }

  @Test
  void shouldOpenAfterQuietPeriodAndStayOpen() {
    CatchUpGate gate = new CatchUpGate(100_000, 1_000);
    assertThat(gate.isOpen(100_999)).isFalse();
    assertThat(gate.isOpen(101_000)).isTrue();
    gate.onRecord(1, 101_100);
    assertThat(gate.isOpen(101_100)).isTrue();
  }

  @Test
  void shouldBeOpenAtOnceWhenDisabled() {
    assertThat(new CatchUpGate(100_000, 0).isOpen(100_000)).isTrue();
  }
}
