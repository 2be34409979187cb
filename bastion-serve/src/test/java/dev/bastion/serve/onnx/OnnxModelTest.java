package dev.bastion.serve.onnx;

import static dev.bastion.serve.onnx.OnnxFixtures.B;
import static dev.bastion.serve.onnx.OnnxFixtures.FLOAT;
import static dev.bastion.serve.onnx.OnnxFixtures.INT64;
import static dev.bastion.serve.onnx.OnnxFixtures.W;
import static dev.bastion.serve.onnx.OnnxFixtures.intAttr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.bastion.core.BadInputException;
import dev.bastion.serve.onnx.OnnxFixtures.Graph;
import dev.bastion.serve.onnx.OnnxFixtures.Proto;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OnnxModelTest {
  private static final float[][] W3 = {{1f, -2f, 0.5f}, {0.25f, 0f, -1f}};
  private static final float[] B3 = {0f, 0.5f, -0.5f};

  private static float[][] rows(long seed, int n, int f) {
    Random r = new Random(seed);
    float[][] x = new float[n][f];
    for (float[] row : x) {
      for (int j = 0; j < f; j++) {
        row[j] = (float) (r.nextGaussian() * 2);
      }
    }
    return x;
  }

  private static void assertSoftmax(double[][] got, float[][] x, float[][] w, float[] b) {
    assertThat(got).hasNumberOfRows(x.length);
    for (int i = 0; i < x.length; i++) {
      double[] want = OnnxFixtures.expected(x[i], w, b);
      assertThat(got[i]).hasSize(want.length);
      for (int k = 0; k < want.length; k++) {
        assertThat(got[i][k]).as("row %d class %d", i, k).isCloseTo(want[k], within(1e-5));
      }
    }
  }

  @Test
  void predictsTheSoftmaxOfALogisticRegression() throws Exception {
    try (OnnxModel m = OnnxModel.parse(OnnxFixtures.logistic(), "lr.onnx")) {
      assertThat(m.features()).isEqualTo(3);
      assertThat(m.inputNames()).containsExactly("X");
      assertThat(m.outputName()).isEqualTo("probabilities");
      assertThat(m.classes()).containsExactly("0", "1");
      float[][] x = rows(1, 2500, 3); // more than one batch of MAX_BATCH
      assertSoftmax(m.predict(x), x, W, B);
      assertThat(m.predict(new float[0][])).isEmpty();
    }
  }

  @Test
  void threeClassesWithLabelsAndRawDataInitializers() throws Exception {
    byte[] bytes = new Graph()
        .input("features", FLOAT, -1, 2)
        .initializer(OnnxFixtures.rawFloatTensor("W", new long[] {2, 3},
            OnnxFixtures.flatten(W3)))
        .initializer(OnnxFixtures.rawFloatTensor("B", new long[] {3}, B3))
        .node("MatMul", List.of("features", "W"), List.of("XW"))
        .node("Add", List.of("XW", "B"), List.of("z"))
        .node("Softmax", List.of("z"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, -1)
        .model();
    try (OnnxModel m = OnnxModel.parse(bytes, "three.onnx", List.of("low", "mid", "high"))) {
      assertThat(m.classes()).containsExactly("low", "mid", "high");
      float[][] x = rows(2, 40, 2);
      assertSoftmax(m.predict(x), x, W3, B3);
    }
    assertThatThrownBy(() -> OnnxModel.parse(bytes, "three.onnx", List.of("a", "b")))
        .isInstanceOf(BadInputException.class)
        .hasMessage("three.onnx: output 'p' has 3 classes but 2 labels were given");
    assertThatThrownBy(() -> OnnxModel.parse(bytes, "three.onnx", List.of("a", "b", "a")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("three.onnx: the class labels must be distinct and not blank");
    assertThatThrownBy(() -> OnnxModel.parse(bytes, "three.onnx", List.of("a", " ", "c")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("three.onnx: the class labels must be distinct and not blank");
  }

  /** Older exporters list every initializer as a graph input too; those keep their value. */
  @Test
  void initializersListedAsInputsAreNotInputs() throws Exception {
    byte[] bytes = OnnxFixtures.logisticBody(W, B, -1)
        .input("W", FLOAT, 3, 2)
        .input("B", FLOAT, 2)
        .output("probabilities", FLOAT, -1, 2)
        .model();
    try (OnnxModel m = OnnxModel.parse(bytes, "old.onnx")) {
      assertThat(m.inputNames()).containsExactly("X");
      float[][] x = rows(6, 10, 3);
      assertSoftmax(m.predict(x), x, W, B);
    }
  }

  @Test
  void aFixedBatchIsPaddedAndItsPaddingDropped() throws Exception {
    byte[] one = OnnxFixtures.logisticGraph(W, B, 1).model();
    byte[] four = OnnxFixtures.logisticGraph(W, B, 4).model();
    float[][] x = rows(3, 7, 3);
    for (byte[] bytes : List.of(one, four)) {
      try (OnnxModel m = OnnxModel.parse(bytes, "fixed.onnx")) {
        assertSoftmax(m.predict(x), x, W, B);
      }
    }
  }

  /** sklearn-onnx's two outputs: a label tensor and the probabilities, a tensor or ZipMap. */
  @Test
  void sklearnStyleLabelAndProbabilities() throws Exception {
    byte[] tensorPair = OnnxFixtures.logisticBody(W, B, -1)
        .node("ArgMax", List.of("probabilities"), List.of("label"), intAttr("axis", 1),
            intAttr("keepdims", 0))
        .output("label", INT64, -1)
        .output("probabilities", FLOAT, -1, 2)
        .model();
    byte[] zipMap = OnnxFixtures.sklearnZipMap();
    float[][] x = rows(4, 30, 3);
    try (OnnxModel m = OnnxModel.parse(tensorPair, "pair.onnx", List.of("no", "yes"))) {
      assertThat(m.outputName()).isEqualTo("probabilities");
      assertThat(m.classes()).containsExactly("no", "yes");
      assertSoftmax(m.predict(x), x, W, B);
    }
    try (OnnxModel m = OnnxModel.parse(zipMap, "zipmap.onnx")) {
      assertThat(m.outputName()).isEqualTo("output_probability");
      assertThat(m.classes()).containsExactly("0", "1");
      assertSoftmax(m.predict(x), x, W, B);
    }
    // Labels for a ZipMap output name its keys, in the order to report them.
    try (OnnxModel m = OnnxModel.parse(zipMap, "zipmap.onnx", List.of("1", "0"))) {
      assertThat(m.classes()).containsExactly("1", "0");
      double[][] p = m.predict(x);
      double[] want = OnnxFixtures.expected(x[0], W, B);
      assertThat(p[0][0]).isCloseTo(want[1], within(1e-5));
    }
    assertThatThrownBy(() -> OnnxModel.parse(zipMap, "zipmap.onnx", List.of("no", "yes")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not the labels given");
  }

  static Stream<Arguments> refused() {
    Graph twoInputs = new Graph()
        .input("a", FLOAT, -1, 3).input("b", FLOAT, -1, 3)
        .initializer(OnnxFixtures.floatTensor("W", new long[] {3, 2}, OnnxFixtures.flatten(W)))
        .node("Add", List.of("a", "b"), List.of("ab"))
        .node("MatMul", List.of("ab", "W"), List.of("z"))
        .node("Softmax", List.of("z"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, 2);
    Graph intInput = new Graph()
        .input("X", INT64, -1, 3)
        .initializer(OnnxFixtures.floatTensor("W", new long[] {3, 2}, OnnxFixtures.flatten(W)))
        .node("Cast", List.of("X"), List.of("Xf"), intAttr("to", FLOAT))
        .node("MatMul", List.of("Xf", "W"), List.of("z"))
        .node("Softmax", List.of("z"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, 2);
    Graph noFeatures = new Graph()
        .input("x", FLOAT, -1, -1)
        .node("Softmax", List.of("x"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, -1);
    Graph rank3 = new Graph()
        .input("x", FLOAT, -1, 2, 2)
        .node("Softmax", List.of("x"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, 2, 2);
    Graph external = new Graph()
        .input("X", FLOAT, -1, 3)
        .initializer(OnnxFixtures.externalTensor("W", new long[] {3, 2}, "../../etc/passwd"))
        .node("MatMul", List.of("X", "W"), List.of("z"))
        .node("Softmax", List.of("z"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, 2);
    Graph externalConstant = OnnxFixtures.logisticBody(W, B, -1)
        .node("Constant", List.of(), List.of("k"), OnnxFixtures.tensorAttr("value",
            OnnxFixtures.externalTensor("k", new long[] {1}, "weights.bin")))
        .output("probabilities", FLOAT, -1, 2);
    Graph custom = OnnxFixtures.logisticBody(W, B, -1)
        .opset("com.example", 1)
        .node("com.example", "Exfiltrate", List.of("probabilities"), List.of("q"))
        .output("q", FLOAT, -1, 2);
    Graph customImport = OnnxFixtures.logisticGraph(W, B, -1).opset("com.example", 1);
    Graph logits = new Graph()
        .input("X", FLOAT, -1, 3)
        .initializer(OnnxFixtures.floatTensor("W", new long[] {3, 2}, OnnxFixtures.flatten(W)))
        .initializer(OnnxFixtures.floatTensor("B", new long[] {2}, new float[] {0.5f, -2f}))
        .node("MatMul", List.of("X", "W"), List.of("XW"))
        .node("Add", List.of("XW", "B"), List.of("scores"))
        .output("scores", FLOAT, -1, 2);
    Graph oneClass = OnnxFixtures.logisticGraph(new float[][] {{1f}, {2f}, {3f}},
        new float[] {0f}, -1);
    Graph labelOnly = OnnxFixtures.logisticBody(W, B, -1)
        .node("ArgMax", List.of("probabilities"), List.of("label"), intAttr("axis", 1),
            intAttr("keepdims", 0))
        .output("label", INT64, -1);
    Graph twoProbabilities = OnnxFixtures.logisticBody(W, B, -1)
        .node("Identity", List.of("probabilities"), List.of("p1"))
        .node("Identity", List.of("probabilities"), List.of("p2"))
        .output("p1", FLOAT, -1, 2)
        .output("p2", FLOAT, -1, 2);
    Graph dangling = new Graph()
        .input("X", FLOAT, -1, 3)
        .node("MatMul", List.of("X", "nowhere"), List.of("z"))
        .node("Softmax", List.of("z"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, 2);
    Graph function = OnnxFixtures.logisticGraph(W, B, -1)
        .modelField(new Proto().message(25, new Proto().string(1, "f").string(10, "local")));
    byte[] valid = OnnxFixtures.logistic();
    return Stream.of(
        Arguments.of("empty", new byte[0], "m.onnx: is empty, not an ONNX model"),
        Arguments.of("text", "hello, world".getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "m.onnx: not an ONNX model"),
        Arguments.of("truncated", Arrays.copyOf(valid, valid.length - 7),
            "m.onnx: not an ONNX model (malformed protobuf"),
        Arguments.of("no graph", new Proto().varint(1, 8).toByteArray(),
            "m.onnx: not an ONNX model (it has no graph)"),
        Arguments.of("two inputs", twoInputs.model(),
            "m.onnx: has 2 inputs ['a', 'b']; Bastion serves models with exactly one float"
                + " input"),
        Arguments.of("int input", intInput.model(),
            "m.onnx: input 'X' is int64 tensor [?, 3]; Bastion serves models whose input is a"
                + " float tensor [N, F]"),
        Arguments.of("no feature count", noFeatures.model(),
            "m.onnx: input 'x' has shape [?, ?]: the feature count must be fixed"),
        Arguments.of("rank 3", rank3.model(),
            "m.onnx: input 'x' has shape [?, 2, 2]; it must be [N, F]"),
        Arguments.of("external initializer", external.model(),
            "m.onnx: tensor 'W' keeps its data in an external file; Bastion serves only"
                + " self-contained models"),
        Arguments.of("external constant", externalConstant.model(),
            "m.onnx: tensor 'k' keeps its data in an external file"),
        Arguments.of("custom operator", custom.model(),
            "m.onnx: uses the operator 'Exfiltrate' of domain 'com.example', a custom operator"),
        Arguments.of("custom operator set", customImport.model(),
            "m.onnx: imports the operator set 'com.example', which needs custom operators"),
        Arguments.of("scores, not probabilities", logits.model(),
            "m.onnx: output 'scores' gave"),
        Arguments.of("one class", oneClass.model(),
            "m.onnx: output 'probabilities' has 1 classes; a classifier served has 2 to"),
        Arguments.of("label only", labelOnly.model(),
            "m.onnx: no output gives class probabilities (outputs: 'label' int64 tensor [?])"),
        Arguments.of("two probability outputs", twoProbabilities.model(),
            "m.onnx: 2 outputs could give class probabilities and none is named"),
        Arguments.of("dangling input", dangling.model(), "m.onnx: ONNX Runtime cannot load it: "),
        Arguments.of("local function", function.model(),
            "m.onnx: defines model-local functions"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void refused(String name, byte[] bytes, String message) {
    assertThatThrownBy(() -> OnnxModel.parse(bytes, "m.onnx").close())
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(message)
        .hasMessageNotContaining("\n");
  }

  /** ONNX Runtime's own errors come back as one line, without its source paths. */
  @Test
  void runtimeErrorsAreOneCleanLine() {
    byte[] wrongCount = new Graph()
        .input("X", FLOAT, -1, 3)
        .initializer(OnnxFixtures.floatTensor("W", new long[] {3, 1}, OnnxFixtures.flatten(W)))
        .node("MatMul", List.of("X", "W"), List.of("z"))
        .node("Softmax", List.of("z"), List.of("p"), intAttr("axis", 1))
        .output("p", FLOAT, -1, -1)
        .model();
    assertThatThrownBy(() -> OnnxModel.parse(wrongCount, "m.onnx"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("m.onnx: ONNX Runtime cannot load it: Initializer 'W': data field count (6)"
            + " does not match expected count from shape (3)")
        .hasMessageNotContaining(".cc:")
        .hasMessageNotContaining("Error code")
        .hasMessageNotContaining("\n");
  }

  /** Deep nesting is refused by limits, never a StackOverflowError. */
  @Test
  void deepNestingIsRefused() {
    byte[] groups = new byte[200_000];
    Arrays.fill(groups, (byte) 0x1b); // field 3, start group, over and over
    assertThatThrownBy(() -> OnnxModel.parse(groups, "m.onnx"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.onnx: not an ONNX model (malformed protobuf: ");
    // Subgraphs in If nodes, 20 deep.
    Proto graph = OnnxFixtures.logisticGraph(W, B, -1).graph();
    for (int i = 0; i < 20; i++) {
      Proto ifNode = new Proto().string(1, "c").string(2, "o").string(4, "If")
          .message(5, new Proto().string(1, "then_branch").message(6, graph).varint(20, 5));
      graph = new Proto().message(1, ifNode);
    }
    byte[] nested = new Proto().varint(1, 8).message(7, graph)
        .message(8, new Proto().string(1, "").varint(2, 13)).toByteArray();
    assertThatThrownBy(() -> OnnxModel.parse(nested, "m.onnx"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("m.onnx: nests subgraphs more than 8 deep");
  }

  @Test
  void customNodeWithoutAnImportIsRefusedToo() {
    byte[] bytes = OnnxFixtures.logisticBody(W, B, -1)
        .node("com.example", "Exfiltrate", List.of("probabilities"), List.of("q"))
        .output("q", FLOAT, -1, 2)
        .model();
    assertThatThrownBy(() -> OnnxModel.parse(bytes, "m.onnx"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("m.onnx: uses the operator 'Exfiltrate' of domain 'com.example', a custom"
            + " operator; only the standard ONNX domains are served");
  }

  @Test
  void rowsAreChecked() throws Exception {
    try (OnnxModel m = OnnxModel.parse(OnnxFixtures.logistic(), "lr.onnx")) {
      assertThatThrownBy(() -> m.predict(new float[][] {{1, 2, 3}, {1, 2}}))
          .isInstanceOf(BadInputException.class)
          .hasMessage("lr.onnx: row 1 has 2 values; the model takes 3");
      assertThatThrownBy(() -> m.predict(new float[][] {{1, Float.NaN, 3}}))
          .isInstanceOf(BadInputException.class)
          .hasMessage("lr.onnx: row 0, feature 1 is NaN; only finite values are accepted");
      assertThatThrownBy(() -> m.predict(new float[][] {{1, 2, Float.NEGATIVE_INFINITY}}))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("feature 2 is -Infinity");
      assertThatThrownBy(() -> m.predict(new float[][] {null}))
          .isInstanceOf(BadInputException.class)
          .hasMessage("lr.onnx: row 0 has 0 values; the model takes 3");
    }
  }

  @Test
  void closedModelsRefuseToPredictAndCloseTwice() throws Exception {
    OnnxModel m = OnnxModel.parse(OnnxFixtures.logistic(), "lr.onnx");
    m.close();
    m.close();
    assertThatThrownBy(() -> m.predict(new float[][] {{1, 2, 3}}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("lr.onnx: the model was closed");
  }

  @Test
  void predictionsAreThreadSafe() throws Exception {
    float[][] x = rows(5, 200, 3);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (OnnxModel m = OnnxModel.parse(OnnxFixtures.logistic(), "lr.onnx")) {
      double[][] want = m.predict(x);
      List<Future<double[][]>> runs = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        runs.add(pool.submit(() -> m.predict(x)));
      }
      for (Future<double[][]> run : runs) {
        assertThat(run.get()).isDeepEqualTo(want);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void oversizedModelsAreRefusedBeforeParsing() {
    byte[] big = new byte[OnnxModel.MAX_MODEL_BYTES + 1];
    assertThatThrownBy(() -> OnnxModel.parse(big, "big.onnx"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("big.onnx: is 268435457 bytes; models over 268435456 bytes (256 MiB) are not"
            + " served");
  }

  /**
   * Seeded random damage to a valid model (bit flips, overwritten bytes, cuts, insertions): each
   * result either loads as a servable model or is refused with one line, never another exception.
   */
  @Test
  void mutationsLoadOrAreRefused() throws Exception {
    byte[] valid = OnnxFixtures.logistic();
    Random r = new Random(20261126L);
    int loaded = 0;
    int refused = 0;
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      byte[] b = mutate(valid, r);
      try (OnnxModel m = OnnxModel.parse(b, "mutant.onnx")) {
        loaded++;
        try {
          double[][] p = m.predict(new float[][] {new float[m.features()]});
          if (p[0].length != m.classes().size()) {
            problems.add("mutation " + i + ": " + p[0].length + " columns");
          }
        } catch (BadInputException e) {
          if (e.getMessage().contains("\n")) {
            problems.add("mutation " + i + ": multi-line message");
          }
        }
      } catch (BadInputException e) {
        refused++;
        if (e.getMessage().isBlank() || e.getMessage().contains("\n")) {
          problems.add("mutation " + i + ": message '" + e.getMessage() + "'");
        }
      } catch (RuntimeException e) {
        problems.add("mutation " + i + ": " + e);
      }
    }
    assertThat(problems).isEmpty();
    assertThat(loaded + refused).isEqualTo(400);
    assertThat(refused).isPositive();
  }

  private static byte[] mutate(byte[] valid, Random r) {
    byte[] b = valid.clone();
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(4)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> b = Arrays.copyOf(b, Math.max(1, at));
        default -> {
          byte[] c = new byte[b.length + 1];
          System.arraycopy(b, 0, c, 0, at);
          c[at] = (byte) r.nextInt(256);
          System.arraycopy(b, at, c, at + 1, b.length - at);
          b = c;
        }
      }
    }
    return b;
  }

  /** The fuzz test's seeds are the fixtures, byte for byte: regenerate them when these move. */
  @Test
  void fuzzSeedsAreTheFixtures() throws Exception {
    for (var seed : List.of(
        new Object[] {"logistic", OnnxFixtures.logistic()},
        new Object[] {"sklearn-zipmap", OnnxFixtures.sklearnZipMap()})) {
      try (InputStream in = OnnxModelTest.class.getResourceAsStream(
          "OnnxModelFuzzTestInputs/parse/" + seed[0])) {
        assertThat(in).as("fuzz seed %s", seed[0]).isNotNull();
        assertThat(in.readAllBytes()).as("fuzz seed %s", seed[0]).isEqualTo(seed[1]);
      }
    }
  }
}
