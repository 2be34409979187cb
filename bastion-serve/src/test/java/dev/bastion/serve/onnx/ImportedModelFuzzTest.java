package dev.bastion.serve.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the reader of an imported model's stored form (header, then ONNX bytes): any bytes either
 * load as a model that predicts, or are refused with a one-line {@link BadInputException}. A
 * plain {@code mvn test} replays the inputs under {@code
 * src/test/resources/dev/bastion/serve/onnx/ImportedModelFuzzTestInputs/stored/}, a small
 * imported model that {@code main} writes; {@code JAZZER_FUZZ=1} fuzzes for real.
 */
class ImportedModelFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void stored(byte[] bytes) {
    try (ImportedModel model = ImportedModel.fromBytes(bytes, "fuzz")) {
      assertThat(model.features()).isNotEmpty();
      Map<String, String> zeros = new java.util.LinkedHashMap<>();
      model.features().forEach(f -> zeros.put(f, "0"));
      try {
        assertThat(model.classes()).contains(model.predict(zeros, "zeros").label());
      } catch (BadInputException e) {
        assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
      }
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
    }
  }

  /** The seed: the {@link OnnxFixtures#logistic()} model imported with 40 reference rows. */
  static byte[] seed() throws BadInputException {
    Schema schema = Schema.parse(("{\"name\":\"three\",\"label\":\"y\",\"rows\":{\"min\":1,"
        + "\"max\":1000},\"columns\":[{\"name\":\"a\",\"type\":\"number\",\"min\":-10,\"max\":10},"
        + "{\"name\":\"b\",\"type\":\"number\",\"min\":-10,\"max\":10},"
        + "{\"name\":\"c\",\"type\":\"number\",\"min\":-10,\"max\":10},"
        + "{\"name\":\"y\",\"type\":\"categorical\",\"values\":[\"no\",\"yes\"]}]}")
        .getBytes(StandardCharsets.UTF_8), "schema");
    java.util.Random r = new java.util.Random(1);
    List<Table.Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(new Table.Row(i + 2, List.of(Double.toString(r.nextGaussian()),
          Double.toString(r.nextGaussian()), Double.toString(r.nextGaussian()),
          i % 2 == 0 ? "no" : "yes")));
    }
    Table t = new Table("seed.csv", List.of("a", "b", "c", "y"), rows);
    try (ImportedModel m = ImportedModel.create(OnnxFixtures.logistic(), "seed.onnx",
        List.of("no", "yes"), schema, "yes", t)) {
      return m.toBytes();
    }
  }

  /** Writes the seed to the path given. */
  public static void main(String[] args) throws Exception {
    Files.write(Path.of(args[0]), seed());
  }
}
