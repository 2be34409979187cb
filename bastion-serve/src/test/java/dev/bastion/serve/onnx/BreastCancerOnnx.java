package dev.bastion.serve.onnx;

import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A classifier "trained elsewhere" for import tests: logistic regression on the breast-cancer data
 * set ({@code datasets/breast-cancer.csv}), fitted here by full-batch gradient descent on
 * standardised features (deterministic), then written as an ONNX graph that takes the raw
 * features: the standardisation is folded into the weights. Classes {@code benign, malignant}, in
 * that order.
 *
 * <p>{@code main} writes {@code examples/tumours/model.onnx}; a test checks that the committed file
 * is still what this class writes.
 */
public final class BreastCancerOnnx {
  public static final Path DATA = Path.of("..", "datasets", "breast-cancer.csv");
  public static final List<String> LABELS = List.of("benign", "malignant");
  /** The example the model is shipped in, with its schema. */
  public static final Path EXAMPLE = Path.of("..", "examples", "tumours");

  private BreastCancerOnnx() {}

  public static Table data() throws IOException {
    try {
      return new CsvReader().read(DATA);
    } catch (dev.bastion.core.BadInputException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Schema schema() throws IOException {
    try {
      return Schema.load(EXAMPLE.resolve("schema.json"));
    } catch (dev.bastion.core.BadInputException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The ONNX file's bytes. */
  public static byte[] model() {
    try {
      Table t = data();
      int f = t.columns().size() - 1;
      int n = t.rows().size();
      double[][] x = new double[n][f];
      double[] y = new double[n];
      double[] mean = new double[f];
      double[] std = new double[f];
      for (int i = 0; i < n; i++) {
        List<String> cells = t.rows().get(i).cells();
        for (int j = 0; j < f; j++) {
          x[i][j] = Double.parseDouble(cells.get(j));
          mean[j] += x[i][j] / n;
        }
        y[i] = cells.get(f).equals("malignant") ? 1 : 0;
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < f; j++) {
          std[j] += (x[i][j] - mean[j]) * (x[i][j] - mean[j]) / n;
        }
      }
      for (int j = 0; j < f; j++) {
        std[j] = Math.sqrt(std[j]);
      }
      double[] w = new double[f];
      double b = 0;
      for (int step = 0; step < 300; step++) {
        double[] gw = new double[f];
        double gb = 0;
        for (int i = 0; i < n; i++) {
          double z = b;
          for (int j = 0; j < f; j++) {
            z += w[j] * (x[i][j] - mean[j]) / std[j];
          }
          double err = 1 / (1 + Math.exp(-z)) - y[i];
          for (int j = 0; j < f; j++) {
            gw[j] += err * (x[i][j] - mean[j]) / std[j] / n;
          }
          gb += err / n;
        }
        for (int j = 0; j < f; j++) {
          w[j] -= 0.5 * (gw[j] + 0.01 * w[j]);
        }
        b -= 0.5 * gb;
      }
      // softmax([0, z]) is the sigmoid of z: class 0 (benign) gets zero weights.
      float[][] weights = new float[f][2];
      double bias = b;
      for (int j = 0; j < f; j++) {
        weights[j][1] = (float) (w[j] / std[j]);
        bias -= w[j] * mean[j] / std[j];
      }
      return OnnxFixtures.logistic(weights, new float[] {0f, (float) bias});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the model to the path given. */
  public static void main(String[] args) throws IOException {
    Files.write(Path.of(args[0]), model());
  }
}
