package dev.bastion.serve.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.train.Classifier;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An ONNX classifier imported with reference data: predictions, profiles, the stored form. */
class ImportedModelTest {
  static Table data;
  static Schema schema;
  static byte[] onnx;
  static ImportedModel model;

  @BeforeAll
  static void importIt() throws Exception {
    data = BreastCancerOnnx.data();
    schema = BreastCancerOnnx.schema();
    onnx = BreastCancerOnnx.model();
    model = ImportedModel.create(onnx, "bc.onnx", BreastCancerOnnx.LABELS, schema, "malignant",
        data);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  static Map<String, String> instance(int row) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int j = 0; j < data.columns().size() - 1; j++) {
      m.put(data.columns().get(j), data.rows().get(row).cells().get(j));
    }
    return m;
  }

  @Test
  void theShippedExampleIsWhatTheGeneratorWrites() throws Exception {
    Path committed = BreastCancerOnnx.EXAMPLE.resolve("model.onnx");
    assertThat(Files.readAllBytes(committed)).isEqualTo(onnx);
  }

  @Test
  void predictsAsTheGraphComputes() throws Exception {
    int right = 0;
    for (int i = 0; i < data.rows().size(); i++) {
      Classifier.Result r = model.predict(instance(i), "row " + i);
      assertThat(r.scores().keySet()).containsExactly("benign", "malignant");
      assertThat(r.scores().values().stream().mapToDouble(Double::doubleValue).sum())
          .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
      right += r.label().equals(data.rows().get(i).cells().get(30)) ? 1 : 0;
    }
    // A fitted logistic regression on this data set is right about 98% of the time.
    assertThat((double) right / data.rows().size()).isGreaterThan(0.95);
  }

  @Test
  void carriesTheProfilesTheGatewayNeeds() {
    assertThat(model.inputProfile()).isPresent();
    assertThat(model.inputProfile().get().columns()).isEqualTo(model.features());
    assertThat(model.outputProfile()).isPresent();
    assertThat(model.outputProfile().get().rows()).isEqualTo(data.rows().size());
    assertThat(model.outputProfile().get().labels().get("malignant"))
        .isBetween(0.33, 0.41); // 212 of 569 are malignant
    assertThat(model.spec().numeric().keySet()).isEqualTo(Set.copyOf(model.features()));
    assertThat(model.features()).isEqualTo(data.columns().subList(0, 30));
  }

  @Test
  void theStoredFormReadsBackToTheSameModel() throws Exception {
    byte[] stored = model.toBytes();
    assertThat(ImportedModel.isImported(stored)).isTrue();
    try (ImportedModel back = ImportedModel.fromBytes(stored, "stored")) {
      assertThat(back.toBytes()).isEqualTo(stored);
      assertThat(back.fileDigest()).isEqualTo(model.fileDigest());
      for (int i = 0; i < 50; i++) {
        assertThat(back.predict(instance(i), "row").scores())
            .isEqualTo(model.predict(instance(i), "row").scores());
      }
    }
  }

  @Test
  void alteredStoredFormsAreRefused() throws Exception {
    byte[] stored = model.toBytes();
    byte[] lastByte = stored.clone();
    lastByte[lastByte.length - 1] ^= 1;
    assertThatThrownBy(() -> ImportedModel.fromBytes(lastByte, "m"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not the one its header names");
    byte[] length = stored.clone();
    ByteBuffer.wrap(length).putInt("bastion-onnx-model/v1\n".length(), Integer.MAX_VALUE);
    assertThatThrownBy(() -> ImportedModel.fromBytes(length, "m"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("header length");
    assertThatThrownBy(() -> ImportedModel.fromBytes(onnx, "m"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not a bastion-onnx-model");
    byte[] truncated = java.util.Arrays.copyOf(stored, 30);
    assertThatThrownBy(() -> ImportedModel.fromBytes(truncated, "m"))
        .isInstanceOf(BadInputException.class);
  }

  @Test
  void instancesAreCheckedField_by_field() {
    Map<String, String> missing = instance(0);
    missing.remove("radius_mean");
    assertThatThrownBy(() -> model.predict(missing, "instances[0]"))
        .hasMessage("instances[0]: field 'radius_mean' is missing");
    Map<String, String> extra = instance(0);
    extra.put("ssn", "123");
    assertThatThrownBy(() -> model.predict(extra, "instances[0]"))
        .hasMessage("instances[0]: field 'ssn' is not a model input");
    Map<String, String> text = instance(0);
    text.put("area_mean", "large");
    assertThatThrownBy(() -> model.predict(text, "instances[0]"))
        .hasMessageContaining("field 'area_mean'").hasMessageContaining("not a number");
    Map<String, String> huge = instance(0);
    huge.put("area_mean", "1e300");
    assertThatThrownBy(() -> model.predict(huge, "instances[0]"))
        .hasMessageContaining("32-bit float");
  }

  @Test
  void importRefusesWhatDoesNotFit() throws Exception {
    // labels that are not the data's classes
    assertThatThrownBy(() -> ImportedModel.create(onnx, "bc.onnx", List.of(), schema,
        "malignant", data)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("positive class 'malignant' is not one of its classes [0, 1]");
    // a model with another number of inputs
    float[][] w = new float[3][2];
    byte[] small = OnnxFixtures.logistic(w, new float[] {0, 0});
    assertThatThrownBy(() -> ImportedModel.create(small, "small.onnx", BreastCancerOnnx.LABELS,
        schema, "malignant", data)).hasMessageContaining("takes 3 features, but the schema has 30");
    // a label the model does not know
    List<Table.Row> rows = new ArrayList<>(data.rows());
    List<String> cells = new ArrayList<>(rows.get(7).cells());
    cells.set(30, "unknown");
    rows.set(7, new Table.Row(rows.get(7).line(), cells));
    Table odd = new Table(data.source(), data.columns(), rows);
    assertThatThrownBy(() -> ImportedModel.create(onnx, "bc.onnx", BreastCancerOnnx.LABELS,
        schema, "malignant", odd)).hasMessageContaining("line 9, column 'diagnosis'");
    // not an ONNX file at all
    assertThatThrownBy(() -> ImportedModel.create(new byte[] {1, 2, 3}, "junk.onnx",
        BreastCancerOnnx.LABELS, schema, "malignant", data))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("junk.onnx: ");
  }

  @Test
  void anSklearnStyleModelWithAZipMapOutputImports() throws Exception {
    // sklearn-onnx's classifier shape: int64 label tensor and a sequence of maps {0: p, 1: q}.
    Schema three = Schema.parse(("{\"name\":\"three\",\"label\":\"y\",\"rows\":{\"min\":1,"
        + "\"max\":1000},\"columns\":[{\"name\":\"a\",\"type\":\"number\",\"min\":-9,"
        + "\"max\":9},{\"name\":\"b\",\"type\":\"number\",\"min\":-9,\"max\":9},"
        + "{\"name\":\"c\",\"type\":\"number\",\"min\":-9,\"max\":9},"
        + "{\"name\":\"y\",\"type\":\"categorical\",\"values\":[\"0\",\"1\"]}]}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8), "three.json");
    java.util.Random r = new java.util.Random(3);
    List<Table.Row> rows = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      double[] p = OnnxFixtures.expected(x, OnnxFixtures.W, OnnxFixtures.B);
      rows.add(new Table.Row(i + 2, List.of(Float.toString(x[0]), Float.toString(x[1]),
          Float.toString(x[2]), p[1] > p[0] ? "1" : "0")));
    }
    Table t = new Table("three.csv", List.of("a", "b", "c", "y"), rows);
    try (ImportedModel m = ImportedModel.create(OnnxFixtures.sklearnZipMap(), "sk.onnx",
        List.of(), three, "1", t)) {
      assertThat(m.classes()).containsExactly("0", "1");
      for (Table.Row row : rows.subList(0, 20)) {
        Map<String, String> in = Map.of("a", row.cells().get(0), "b", row.cells().get(1),
            "c", row.cells().get(2));
        float[] x = {Float.parseFloat(row.cells().get(0)), Float.parseFloat(row.cells().get(1)),
            Float.parseFloat(row.cells().get(2))};
        Classifier.Result got = m.predict(in, "row");
        assertThat(got.label()).isEqualTo(row.cells().get(3));
        assertThat(got.scores().get("1")).isCloseTo(
            OnnxFixtures.expected(x, OnnxFixtures.W, OnnxFixtures.B)[1],
            org.assertj.core.data.Offset.offset(1e-5));
      }
      try (ImportedModel back = ImportedModel.fromBytes(m.toBytes(), "stored")) {
        assertThat(back.classes()).containsExactly("0", "1");
      }
    }
  }
}
