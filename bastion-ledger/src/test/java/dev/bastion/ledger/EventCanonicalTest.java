package dev.bastion.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Event#canonical()} is byte for byte {@link Json#canonical} of the event's JSON. */
class EventCanonicalTest {
  private static final String ALPHABET =
      "abcXYZ019 -_:/.+=@~{}[],é✓中\u2014\u0000\u0001\u001f\u007f\"\\\n\t\r\b\f\ud83d\ude00\ud800";

  private static String string(Random r, boolean plainOnly) {
    int n = r.nextInt(12);
    StringBuilder b = new StringBuilder();
    String letters = plainOnly ? ALPHABET.substring(0, 27) : ALPHABET;
    for (int i = 0; i < n; i++) {
      b.append(letters.charAt(r.nextInt(letters.length())));
    }
    return b.toString();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void theFastFormIsTheCanonicalForm(long seed) {
    Random r = new Random(seed);
    for (int k = 0; k < 500; k++) {
      boolean plain = r.nextInt(4) != 0;
      Map<String, String> details = new HashMap<>();
      for (int d = r.nextInt(5); d > 0; d--) {
        details.put(string(r, plain), string(r, plain));
      }
      Event e = new Event(EventKind.values()[r.nextInt(EventKind.values().length)],
          instant(r),
          string(r, plain), string(r, plain), string(r, plain), string(r, plain),
          string(r, plain), details);
      assertThat(e.canonical()).as("event %s", e).isEqualTo(Json.canonical(e.toJson()));
    }
  }

  /** The time is written as {@link Instant#toString()} writes it, whatever the instant. */
  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13, 14, 15})
  void theTimeIsWrittenAsInstantWritesIt(long seed) {
    Random r = new Random(seed);
    for (int k = 0; k < 2000; k++) {
      Instant t = instant(r);
      Event e = new Event(EventKind.INFERENCE, t, "a", "b", "c", "d", "e", Map.of());
      String json = new String(e.canonical(), StandardCharsets.UTF_8);
      assertThat(json).as("time %s", t).endsWith(",\"time\":\"" + t + "\"}");
      assertThat(e.canonical()).isEqualTo(Json.canonical(e.toJson()));
    }
  }

  /**
   * An instant: mostly within years 1970 to 2033, also anywhere from year 0 to 9999, before and
   * after that range, and at the edges of days and years; with no fraction, whole milliseconds,
   * whole microseconds or any nanoseconds.
   */
  private static Instant instant(Random r) {
    long second = switch (r.nextInt(6)) {
      case 0, 1, 2 -> r.nextInt(2_000_000_000);
      case 3 -> YEAR_0 + (long) (r.nextDouble() * (YEAR_10000 - YEAR_0));
      case 4 -> (r.nextBoolean() ? YEAR_0 : YEAR_10000) + r.nextInt(200_000) - 100_000;
      default -> (r.nextBoolean() ? Instant.MIN : Instant.MAX).getEpochSecond()
          + (r.nextBoolean() ? 1 : -1) * (long) r.nextInt(1_000_000);
    };
    second = Math.max(Instant.MIN.getEpochSecond(), Math.min(Instant.MAX.getEpochSecond(), second));
    int nano = switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> r.nextInt(1000) * 1_000_000;
      case 2 -> r.nextInt(1_000_000) * 1000;
      default -> r.nextInt(1_000_000_000);
    };
    return Instant.ofEpochSecond(second, nano);
  }

  /** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z. */
  private static final long YEAR_0 = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
  private static final long YEAR_10000 = Instant.parse("+10000-01-01T00:00:00Z").getEpochSecond();
}
