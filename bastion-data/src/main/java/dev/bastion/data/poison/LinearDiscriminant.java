package dev.bastion.data.poison;

import java.util.Arrays;

/**
 * Linear discriminant analysis: one Gaussian per class with a shared covariance, shrunk toward a
 * multiple of the identity, and the classes' frequencies as priors. Unlike a logistic regression,
 * which is fitted to the rows near the boundary, it is fitted to each class's mean and spread, so
 * where a region of rows is missing from its training set it does not extrapolate a boundary into
 * the gap; that is why {@link Signals#regionOutOfFold()} uses it beside one. Above {@value
 * #MAX_FULL_DIMS} dimensions the covariance is diagonal, which keeps the cost linear in them.
 * Deterministic.
 */
final class LinearDiscriminant {
  /** Dimensions above which only the variances are used. */
  static final int MAX_FULL_DIMS = 256;

  private final double[][] w; // [class][dim + 1], the last entry the constant
  private final boolean[] present;

  private LinearDiscriminant(double[][] w, boolean[] present) {
    this.w = w;
    this.present = present;
  }

  /**
   * Fits on the rows of {@code x} selected by {@code use} (all rows if null).
   *
   * @param shrink 0 (the pooled covariance) to 1 (its mean variance times the identity)
   */
  static LinearDiscriminant fit(
      double[][] x, int[] y, int classes, boolean[] use, double shrink) {
    if (!(shrink >= 0 && shrink <= 1)) {
      throw new IllegalArgumentException("shrink " + shrink + ": expected 0 to 1");
    }
    int d = x.length == 0 ? 0 : x[0].length;
    double[][] mean = new double[classes][d];
    int[] count = new int[classes];
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      if (use != null && !use[i]) {
        continue;
      }
      n++;
      count[y[i]]++;
      double[] m = mean[y[i]];
      for (int j = 0; j < d; j++) {
        m[j] += x[i][j];
      }
    }
    boolean[] present = new boolean[classes];
    for (int c = 0; c < classes; c++) {
      present[c] = count[c] > 0;
      for (int j = 0; j < d && present[c]; j++) {
        mean[c][j] /= count[c];
      }
    }
    double[][] w = new double[classes][d + 1];
    if (n == 0) {
      Arrays.fill(present, true); // nothing seen: every class equally likely
      return new LinearDiscriminant(w, present);
    }
    boolean full = d <= MAX_FULL_DIMS;
    double[][] cov = new double[full ? d : 1][];
    for (int a = 0; a < cov.length; a++) {
      cov[a] = new double[full ? a + 1 : d]; // the lower triangle, or the diagonal
    }
    for (int i = 0; i < x.length; i++) {
      if (use != null && !use[i]) {
        continue;
      }
      double[] m = mean[y[i]];
      double[] xi = x[i];
      for (int a = 0; a < d; a++) {
        double da = xi[a] - m[a];
        if (!full) {
          cov[0][a] += da * da;
          continue;
        }
        double[] row = cov[a];
        for (int b = 0; b <= a; b++) {
          row[b] += da * (xi[b] - m[b]);
        }
      }
    }
    double dof = Math.max(1, n - classes);
    double trace = 0;
    for (int a = 0; a < d; a++) {
      trace += full ? cov[a][a] / dof : cov[0][a] / dof;
    }
    double target = d == 0 ? 0 : trace / d;
    // A floor so that constant columns (zero variance everywhere) leave the matrix invertible.
    double floor = Math.max(target, 1.0) * 1e-9;
    for (int a = 0; a < d; a++) {
      if (full) {
        for (int b = 0; b <= a; b++) {
          cov[a][b] = (1 - shrink) * cov[a][b] / dof + (a == b ? shrink * target + floor : 0);
        }
      } else {
        cov[0][a] = (1 - shrink) * cov[0][a] / dof + shrink * target + floor;
      }
    }
    double[][] chol = full ? cholesky(cov) : null;
    for (int c = 0; c < classes; c++) {
      if (!present[c]) {
        continue;
      }
      double[] v = full ? solve(chol, mean[c]) : divide(mean[c], cov[0]);
      double quad = 0;
      for (int j = 0; j < d; j++) {
        quad += v[j] * mean[c][j];
      }
      System.arraycopy(v, 0, w[c], 0, d);
      w[c][d] = -0.5 * quad + Math.log((double) count[c] / n);
    }
    return new LinearDiscriminant(w, present);
  }

  /** The lower Cholesky factor of a symmetric positive definite matrix given as its triangle. */
  private static double[][] cholesky(double[][] lower) {
    int d = lower.length;
    double[][] l = new double[d][];
    for (int i = 0; i < d; i++) {
      l[i] = new double[i + 1];
      for (int j = 0; j <= i; j++) {
        double s = lower[i][j];
        for (int k = 0; k < j; k++) {
          s -= l[i][k] * l[j][k];
        }
        l[i][j] = i == j ? Math.sqrt(Math.max(s, 1e-300)) : s / l[j][j];
      }
    }
    return l;
  }

  /** {@code S^-1 b} for {@code S = L L'}. */
  private static double[] solve(double[][] l, double[] b) {
    int d = b.length;
    double[] z = new double[d];
    for (int i = 0; i < d; i++) {
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= l[i][k] * z[k];
      }
      z[i] = s / l[i][i];
    }
    double[] v = new double[d];
    for (int i = d - 1; i >= 0; i--) {
      double s = z[i];
      for (int k = i + 1; k < d; k++) {
        s -= l[k][i] * v[k];
      }
      v[i] = s / l[i][i];
    }
    return v;
  }

  private static double[] divide(double[] b, double[] diagonal) {
    double[] v = new double[b.length];
    for (int j = 0; j < b.length; j++) {
      v[j] = b[j] / diagonal[j];
    }
    return v;
  }

  /** Class probabilities for one feature vector; 0 for a class no training row had. */
  double[] predict(double[] xi) {
    int d = xi.length;
    double[] p = new double[w.length];
    for (int c = 0; c < w.length; c++) {
      double z = w[c][d];
      for (int j = 0; j < d; j++) {
        z += w[c][j] * xi[j];
      }
      p[c] = present[c] ? z : Double.NEGATIVE_INFINITY;
    }
    LogisticRegression.softmax(p);
    return p;
  }
}
