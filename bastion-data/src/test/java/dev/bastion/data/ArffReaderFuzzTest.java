package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.StringReader;

/**
 * Fuzzes {@link ArffReader}: any input is either a well-formed table that writes and reads back
 * the same, or a {@link BadInputException} naming the input, never another exception. In a plain
 * {@code mvn test} Jazzer only replays the inputs under {@code
 * src/test/resources/dev/bastion/data/ArffReaderFuzzTestInputs/<method>/}; set {@code JAZZER_FUZZ=1}
 * to fuzz for real. Keep every crash found there.
 */
class ArffReaderFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void readText(FuzzedDataProvider data) throws IOException, BadInputException {
    ArffReader.Options o =
        new ArffReader.Options(
            1 << 20, data.consumeInt(1, 256), data.consumeInt(1, 16), data.consumeLong(0, 32),
            data.consumeInt(1, 16));
    String text = data.consumeRemainingAsString();
    ArffReader.Arff a;
    try {
      a = new ArffReader(o).read(new StringReader(text), "fuzz.arff");
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("fuzz.arff: ").doesNotContain("\n");
      return;
    }
    ArffFixtures.assertWellFormed(a, o);
    ArffReader.Arff again =
        new ArffReader().read(new StringReader(ArffFixtures.write(a)), "again.arff");
    assertThat(again.attributes()).isEqualTo(a.attributes());
    assertThat(again.table().rows().stream().map(Table.Row::cells).toList())
        .isEqualTo(a.table().rows().stream().map(Table.Row::cells).toList());
  }
}
