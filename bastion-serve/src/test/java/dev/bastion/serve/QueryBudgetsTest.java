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
    try (QueryBudgets b = new QueryBudgets(2, "sha256:m", Optional.of(f), noon)) {
      assertThat(b.take("alice", 1)).isEmpty();
      assertThat(b.check("alice")).isEmpty();
      assertThat(b.take("alice", 1)).isEmpty();
      assertThat(b.take("alice", 1)).contains(new QueryBudgets.Refusal(0, 12L * 3600));
      assertThat(b.check("alice")).isPresent();
      assertThat(b.take("bob", 1)).isEmpty();
    }

    try (QueryBudgets again = new QueryBudgets(2, "sha256:m", Optional.of(f), noon)) {
      assertThat(again.used("alice")).isEqualTo(2);
      assertThat(again.take("alice", 1)).isPresent();
      assertThat(again.take("bob", 1)).isEmpty();
    }

    try (QueryBudgets tomorrow =
        new QueryBudgets(2, "sha256:m", Optional.of(f), at("2026-11-27T00:00:01Z"))) {
      assertThat(tomorrow.take("alice", 1)).isEmpty();
    }
  }

  /**
   * Serving another model from the same home in between keeps this model's counts, and a second
   * gateway on the home is refused while the first holds the file.
   */
  @Test
  void anotherModelInBetweenResetsNothingAndOneGatewayAtATimeHoldsTheFile() throws Exception {
    Path f = tmp.resolve("g").resolve("budgets.json");
    Clock noon = at("2026-11-26T12:00:00Z");
    try (QueryBudgets m = new QueryBudgets(2, "credit-risk", Optional.of(f), noon)) {
      assertThat(m.take("alice", 2)).isEmpty();
      assertThatThrownBy(() -> new QueryBudgets(2, "credit-risk", Optional.of(f), noon))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("another gateway is serving from this home");
      assertThatThrownBy(() -> new QueryBudgets(2, "credit-two", Optional.of(f), noon))
          .isInstanceOf(BadInputException.class);
    }
    try (QueryBudgets n = new QueryBudgets(2, "credit-two", Optional.of(f), noon)) {
      assertThat(n.used("alice")).isZero();
      assertThat(n.take("alice", 1)).isEmpty();
    }
    try (QueryBudgets m = new QueryBudgets(2, "credit-risk", Optional.of(f), noon)) {
      assertThat(m.used("alice")).isEqualTo(2);
      assertThat(m.take("alice", 1)).isPresent();
    }
    try (QueryBudgets n = new QueryBudgets(2, "credit-two", Optional.of(f), noon)) {
      assertThat(n.used("alice")).isEqualTo(1);
    }
    // The one-model file of earlier versions is read as it was.
    Files.writeString(f, "{\"day\":\"2026-11-26\",\"model\":\"credit-risk\",\"per_day\":2,"
        + "\"used\":{\"alice\":2}}");
    try (QueryBudgets m = new QueryBudgets(2, "credit-risk", Optional.of(f), noon)) {
      assertThat(m.used("alice")).isEqualTo(2);
    }
  }

  @Test
  void aBatchTakesOnePredictionPerInstanceAllOrNone() throws Exception {
    QueryBudgets b = new QueryBudgets(10, "sha256:m", Optional.empty(),
        at("2026-11-26T12:00:00Z"));
    assertThat(b.take("alice", 7)).isEmpty();
    assertThat(b.take("alice", 4)).as("more than is left")
        .contains(new QueryBudgets.Refusal(3, 12L * 3600));
    assertThat(b.used("alice")).as("a refused batch takes nothing").isEqualTo(7);
    assertThat(b.take("alice", 3)).isEmpty();
    assertThat(b.check("alice")).isPresent();
    assertThat(b.take("alice", 0)).as("nothing left, even for nothing").isPresent();
    assertThat(b.take("bob", Long.MAX_VALUE)).isPresent();
    assertThat(b.used("bob")).isZero();
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
