package dev.bastion.serve.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;

/**
 * Fuzzes the ONNX model reader, where an imported file first meets Bastion's own checks and then
 * ONNX Runtime's native parser: any bytes either load as a classifier that predicts, or are
 * refused with a one-line {@link BadInputException}, never another exception. A plain
 * {@code mvn test} replays the inputs under
 * {@code src/test/resources/dev/bastion/serve/onnx/OnnxModelFuzzTestInputs/parse/}: the
 * {@link OnnxFixtures#logistic()} and {@link OnnxFixtures#sklearnZipMap()} models, and two that
 * are refused (external data, a custom operator). Set {@code JAZZER_FUZZ=1} to fuzz for real,
 * and keep every crash found there, named after what it found.
 */
class OnnxModelFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void parse(byte[] bytes) {
    try (OnnxModel model = OnnxModel.parse(bytes, "fuzz.onnx")) {
      assertThat(model.features()).isPositive();
      assertThat(model.classes()).hasSizeGreaterThanOrEqualTo(2);
      try {
        double[][] p = model.predict(new float[][] {new float[model.features()]});
        assertThat(p).hasNumberOfRows(1);
        assertThat(p[0]).hasSize(model.classes().size());
      } catch (BadInputException e) {
        assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
      }
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
    }
  }
}
