package dev.bastion.data.poison;

/**
 * Multinomial logistic regression with an L2 penalty, fitted by full-batch gradient descent with a
 * step of {@code 1/L}, {@code L} the gradient's Lipschitz bound from a power iteration on the data.
 * Deterministic: no sampling, a fixed number of steps. Meant for a few thousand rows of a few
 * hundred features, where it takes well under a second.
 */
public final class LogisticRegression {
  private final double[][] w; // [class][dim + 1], the last entry the bias

  private LogisticRegression(double[][] w) {
    this.w = w;
  }

  /**
   * Fits on the rows of {@code x} selected by {@code use} (all rows if null).
   *
   * @param l2 the penalty on the weights (not the bias), per row of the mean loss
   * @param steps gradient steps
   */
  public static LogisticRegression fit(
      double[][] x, int[] y, int classes, boolean[] use, double l2, int steps) {
    int d = x.length == 0 ? 0 : x[0].length;
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      if (use == null || use[i]) {
        n++;
      }
    }
    double[][] w = new double[classes][d + 1];
    if (n == 0) {
      return new LogisticRegression(w);
    }
    // Softmax cross-entropy has a Hessian bounded by 1/2 of X'X/n (with the bias column).
    double lipschitz = 0.5 * largestEigenvalue(x, use, n) + l2;
    double step = 1 / lipschitz;
    double[][] grad = new double[classes][d + 1];
    double[] p = new double[classes];
    for (int s = 0; s < steps; s++) {
      for (double[] g : grad) {
        java.util.Arrays.fill(g, 0);
      }
      for (int i = 0; i < x.length; i++) {
        if (use != null && !use[i]) {
          continue;
        }
        probabilities(w, x[i], p);
        for (int c = 0; c < classes; c++) {
          double e = p[c] - (y[i] == c ? 1 : 0);
          double[] g = grad[c];
          double[] xi = x[i];
          for (int j = 0; j < d; j++) {
            g[j] += e * xi[j];
          }
          g[d] += e;
        }
      }
      for (int c = 0; c < classes; c++) {
        for (int j = 0; j <= d; j++) {
          double g = grad[c][j] / n + (j < d ? l2 * w[c][j] : 0);
          w[c][j] -= step * g;
        }
      }
    }
    return new LogisticRegression(w);
  }

  private static double largestEigenvalue(double[][] x, boolean[] use, int n) {
    int d = x[0].length + 1;
    double[] v = new double[d];
    java.util.Arrays.fill(v, 1 / Math.sqrt(d));
    double lambda = 1;
    for (int it = 0; it < 30; it++) {
      double[] out = new double[d];
      for (int i = 0; i < x.length; i++) {
        if (use != null && !use[i]) {
          continue;
        }
        double dot = v[d - 1];
        for (int j = 0; j < d - 1; j++) {
          dot += x[i][j] * v[j];
        }
        for (int j = 0; j < d - 1; j++) {
          out[j] += dot * x[i][j];
        }
        out[d - 1] += dot;
      }
      double norm = 0;
      for (double o : out) {
        norm += o * o;
      }
      norm = Math.sqrt(norm);
      if (norm == 0) {
        return 1;
      }
      lambda = norm / n;
      for (int j = 0; j < d; j++) {
        v[j] = out[j] / norm;
      }
    }
    return lambda * 1.05; // a margin: the power iteration approaches from below
  }

  private static void probabilities(double[][] w, double[] xi, double[] p) {
    int d = xi.length;
    for (int c = 0; c < w.length; c++) {
      double z = w[c][d];
      for (int j = 0; j < d; j++) {
        z += w[c][j] * xi[j];
      }
      p[c] = z;
    }
    softmax(p);
  }

  /**
   * Turns scores into probabilities in place: {@code exp(z - max) / sum}; a score of negative
   * infinity (a class that cannot be) gets 0.
   */
  static void softmax(double[] p) {
    double max = Double.NEGATIVE_INFINITY;
    for (double z : p) {
      max = Math.max(max, z);
    }
    double sum = 0;
    for (int c = 0; c < p.length; c++) {
      p[c] = Math.exp(p[c] - max);
      sum += p[c];
    }
    for (int c = 0; c < p.length; c++) {
      p[c] /= sum;
    }
  }

  /** The weight of feature {@code j} for class {@code c} ({@code j} = dimensions: the bias). */
  public double weight(int c, int j) {
    return w[c][j];
  }

  /** Class probabilities for one feature vector. */
  public double[] predict(double[] xi) {
    double[] p = new double[w.length];
    probabilities(w, xi, p);
    return p;
  }

  /** The most probable class. */
  public int classify(double[] xi) {
    double[] p = predict(xi);
    int best = 0;
    for (int c = 1; c < p.length; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }
}
