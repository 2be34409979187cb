package dev.bastion.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.Json;
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
          Instant.ofEpochSecond(r.nextInt(2_000_000_000), r.nextInt(1_000_000_000)),
          string(r, plain), string(r, plain), string(r, plain), string(r, plain),
          string(r, plain), details);
      assertThat(e.canonical()).as("event %s", e).isEqualTo(Json.canonical(e.toJson()));
    }
  }
}
