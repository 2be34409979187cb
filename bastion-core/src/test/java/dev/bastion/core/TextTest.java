package dev.bastion.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TextTest {
  @ParameterizedTest
  @CsvSource({"'', ''", "abc, abc", "'a\nb', a?b", "'tab\there', tab?here", "'\u202Eevil', ?evil"})
  void shortValuesStayWithControlAndFormatCharactersMasked(String in, String out) {
    assertThat(Text.clip(in)).isEqualTo(out);
  }

  @Test
  void longValuesAreCutAtFortyCodePoints() {
    assertThat(Text.clip("a".repeat(40))).isEqualTo("a".repeat(40));
    assertThat(Text.clip("a".repeat(41))).isEqualTo("a".repeat(40) + "...");
    assertThat(Text.clip("a".repeat(900_000))).hasSize(43);
    // A code point outside the BMP counts once and is never split.
    String clef = new String(Character.toChars(0x1D11E));
    assertThat(Text.clip(clef.repeat(50))).isEqualTo(clef.repeat(40) + "...");
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void anyInputGivesOneShortLine(long seed) {
    Random r = new Random(seed);
    for (int n = 0; n < 200; n++) {
      StringBuilder b = new StringBuilder();
      int len = r.nextInt(120);
      for (int i = 0; i < len; i++) {
        int cp = r.nextInt(4) == 0 ? r.nextInt(0x20) : r.nextInt(0x10FFFF);
        if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
          cp = 'x';
        }
        b.appendCodePoint(cp);
      }
      String c = Text.clip(b.toString());
      assertThat(c.codePoints().count()).isLessThanOrEqualTo(Text.SHOWN + 3);
      assertThat(c).doesNotContain("\n").doesNotContain("\r");
      assertThat(c.chars().anyMatch(ch -> Character.isISOControl(ch))).isFalse();
    }
  }
}
