package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Suspensions survive a restart, and a damaged list stops the start. */
class SuspensionsTest {
  @TempDir Path tmp;

  @Test
  void aSuspensionAndAThrottleSurviveARestartUntilReinstated() throws Exception {
    Path file = tmp.resolve("gateway").resolve("suspended.json");
    Suspensions a = Suspensions.open(Optional.of(file));
    a.suspend("copier-1");
    a.throttle("copier-2");

    Suspensions b = Suspensions.open(Optional.of(file));
    assertThat(b.suspended("copier-1")).isTrue();
    assertThat(b.throttled("copier-2")).isTrue();
    assertThat(b.suspended("copier-2")).isFalse();

    assertThat(b.reinstate("copier-1")).isTrue();
    assertThat(b.reinstate("copier-1")).isFalse();
    Suspensions c = Suspensions.open(Optional.of(file));
    assertThat(c.suspended("copier-1")).isFalse();
    assertThat(c.throttled("copier-2")).isTrue();
  }

  @Test
  void withoutAFileTheyLastAsLongAsTheProcess() throws Exception {
    Suspensions s = Suspensions.open(Optional.empty());
    s.suspend("x");
    assertThat(s.suspended("x")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "{\"suspended\":\"x\",\"throttled\":[]}",
      "{\"suspended\":[\"Bad Name\"],\"throttled\":[]}", "{\"suspended\":[]}", "not json"})
  void aDamagedListIsBadInputNamingTheFile(String text) throws Exception {
    Path file = tmp.resolve("suspended.json");
    Files.writeString(file, text);

    assertThatThrownBy(() -> Suspensions.open(Optional.of(file)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString());
  }
}
