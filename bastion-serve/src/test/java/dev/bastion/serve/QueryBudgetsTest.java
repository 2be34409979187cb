package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryBudgetsTest {
  @TempDir Path tmp;

  private static Clock at(String instant) {
    return Clock.fixed(Instant.parse(instant), ZoneOffset.UTC);
  }

  @Test
  void aBudgetIsSpentKeptAcrossARestartAndRenewedAtMidnight() throws Exception {
    Path f = tmp.resolve("g").resolve("budgets.json");
    Clock noon = at("2026-11-26T12:00:00Z");
    QueryBudgets b = new QueryBudgets(2, "sha256:m", Optional.of(f), noon);
    assertThat(b.take("alice")).isEmpty();
    assertThat(b.take("alice")).isEmpty();
    assertThat(b.take("alice")).contains(12L * 3600); // renews at 00:00 UTC
    assertThat(b.take("bob")).isEmpty();
    b.flush();

    QueryBudgets again = new QueryBudgets(2, "sha256:m", Optional.of(f), noon);
    assertThat(again.used("alice")).isEqualTo(2);
    assertThat(again.take("alice")).isPresent();
    assertThat(again.take("bob")).isEmpty();

    QueryBudgets tomorrow =
        new QueryBudgets(2, "sha256:m", Optional.of(f), at("2026-11-27T00:00:01Z"));
    assertThat(tomorrow.take("alice")).isEmpty();

    QueryBudgets otherModel = new QueryBudgets(2, "sha256:n", Optional.of(f), noon);
    assertThat(otherModel.take("alice")).isEmpty();
  }

  @Test
  void aDamagedBudgetFileIsRefusedNotIgnored() throws Exception {
    Path f = Files.writeString(tmp.resolve("budgets.json"),
        "{\"day\":\"2026-11-26\",\"model\":\"sha256:m\",\"used\":{\"alice\":-5}}");
    assertThatThrownBy(() -> new QueryBudgets(2, "sha256:m", Optional.of(f),
        at("2026-11-26T12:00:00Z")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("used.alice");
    Files.writeString(f, "{\"day\":\"x\",\"model\":\"sha256:m\",\"used\":{}}");
    assertThatThrownBy(() -> new QueryBudgets(2, "sha256:m", Optional.of(f),
        at("2026-11-26T12:00:00Z")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("'day'");
  }
}
