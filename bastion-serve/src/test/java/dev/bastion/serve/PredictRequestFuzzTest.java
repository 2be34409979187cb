package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;
import dev.bastion.train.FeatureSpec;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the predict request parser, the gateway's first contact with untrusted bytes: any body
 * is either instances that fit the model's inputs or a {@link BadInputException} (a 400), never
 * another exception (a 500). In a plain {@code mvn test} Jazzer replays the inputs under
 * {@code src/test/resources/dev/bastion/serve/PredictRequestFuzzTestInputs/parse/}; set
 * {@code JAZZER_FUZZ=1} to fuzz for real, and keep every crash found there.
 */
class PredictRequestFuzzTest {
  private static final FeatureSpec SPEC = new FeatureSpec("class", "bad",
      Map.of("age", new double[] {35, 10}), Map.of("purpose", List.of("car", "tv"),
          "ssn", List.of("tok_1")), List.of("ssn"));

  @FuzzTest(maxDuration = "2m")
  void parse(byte[] body) {
    List<Map<String, String>> out;
    try {
      out = PredictRequest.parse(body, SPEC, 4, (column, value) -> "tok_" + value);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
      return;
    }
    assertThat(out).isNotEmpty().hasSizeLessThanOrEqualTo(4);
    for (Map<String, String> instance : out) {
      assertThat(instance).containsKeys("age", "purpose", "ssn");
      assertThat(instance.get("ssn")).startsWith("tok_");
      assertThat(Double.parseDouble(instance.get("age"))).isFinite();
    }
  }
}
