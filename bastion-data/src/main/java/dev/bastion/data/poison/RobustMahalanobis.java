package dev.bastion.data.poison;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Mahalanobis distance under a location and covariance estimated robustly in the manner of MCD:
 * start from all the sample's rows, then {@value #ROUNDS} times keep the {@value #KEEP} of them
 * nearest the current estimate and re-estimate, so a cluster of unusual rows does not pull the
 * estimate toward itself. The covariance is shrunk by {@value #SHRINK} toward its mean variance, so
 * one-hot and constant columns keep it invertible. Above {@value #MAX_FULL_DIMS} dimensions only
 * the variances are used (a diagonal covariance), which keeps the cost linear in the dimensions.
 *
 * <p>Immutable and thread-safe once fitted.
 */
public final class RobustMahalanobis {
  static final double SHRINK = 0.1;
  static final double KEEP = 0.75;
  static final int ROUNDS = 3;
  static final int MAX_FULL_DIMS = 256;

  private final double[] mean;
  private final double[][] factor;
  private final boolean full;

  private RobustMahalanobis(double[] mean, double[][] factor, boolean full) {
    this.mean = mean;
    this.factor = factor;
    this.full = full;
  }

  /**
   * Fits the estimate to the rows of {@code x} listed in {@code sample}.
   *
   * @throws IllegalArgumentException if the sample is empty
   */
  public static RobustMahalanobis fit(double[][] x, List<Integer> sample) {
    if (sample.isEmpty()) {
      throw new IllegalArgumentException("no rows to fit");
    }
    int dim = x[sample.get(0)].length;
    boolean full = dim <= MAX_FULL_DIMS;
    List<Integer> subset = new ArrayList<>(sample);
    for (int round = 0; ; round++) {
      RobustMahalanobis estimate = estimate(x, subset, dim, full);
      if (round == ROUNDS) {
        return estimate;
      }
      double[] dist = new double[sample.size()];
      for (int k = 0; k < dist.length; k++) {
        dist[k] = estimate.distance(x[sample.get(k)]);
      }
      Integer[] order = new Integer[dist.length];
      Arrays.setAll(order, k -> k);
      Arrays.sort(order, (p, q) -> dist[p] != dist[q] ? Double.compare(dist[p], dist[q]) : p - q);
      int h = Math.min(dist.length, Math.max(dim + 1, (int) Math.ceil(KEEP * dist.length)));
      subset = new ArrayList<>();
      for (int k = 0; k < h; k++) {
        subset.add(sample.get(order[k]));
      }
    }
  }

  /**
   * An estimate kept elsewhere: the location and the lower Cholesky factor of the covariance.
   *
   * @throws IllegalArgumentException if the shapes disagree, a value is not finite, or a pivot is
   *     not positive
   */
  public static RobustMahalanobis of(double[] mean, double[][] factor) {
    int dim = mean.length;
    if (factor.length != dim) {
      throw new IllegalArgumentException("factor has " + factor.length + " rows, expected " + dim);
    }
    double[][] l = new double[dim][];
    for (int a = 0; a < dim; a++) {
      if (factor[a].length != dim) {
        throw new IllegalArgumentException("factor row " + a + " has " + factor[a].length
            + " values, expected " + dim);
      }
      l[a] = factor[a].clone();
      for (double v : l[a]) {
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("factor row " + a + " holds a non-finite value");
        }
      }
      if (!(l[a][a] > 0)) {
        throw new IllegalArgumentException("factor pivot " + a + " is not positive");
      }
      if (!Double.isFinite(mean[a])) {
        throw new IllegalArgumentException("location " + a + " is not finite");
      }
    }
    return new RobustMahalanobis(mean.clone(), l, true);
  }

  private static RobustMahalanobis estimate(
      double[][] x, List<Integer> subset, int dim, boolean full) {
    double[] mean = new double[dim];
    for (int i : subset) {
      for (int j = 0; j < dim; j++) {
        mean[j] += x[i][j] / subset.size();
      }
    }
    double[][] cov = new double[dim][dim];
    for (int i : subset) {
      for (int a = 0; a < dim; a++) {
        double da = x[i][a] - mean[a];
        for (int b = full ? 0 : a; b <= a; b++) {
          cov[a][b] += da * (x[i][b] - mean[b]);
        }
      }
    }
    double trace = 0;
    for (int a = 0; a < dim; a++) {
      for (int b = 0; b <= a; b++) {
        cov[a][b] /= Math.max(1, subset.size() - 1);
        cov[b][a] = cov[a][b];
      }
      trace += cov[a][a];
    }
    double avg = Math.max(trace / dim, 1e-9);
    for (int a = 0; a < dim; a++) {
      for (int b = 0; b < dim; b++) {
        cov[a][b] *= 1 - SHRINK;
      }
      cov[a][a] += SHRINK * avg;
    }
    return new RobustMahalanobis(mean, cholesky(cov, full), full);
  }

  /** Lower Cholesky factor of a symmetric positive definite matrix (pivots floored). */
  static double[][] cholesky(double[][] a, boolean full) {
    int n = a.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = full ? 0 : i; j <= i; j++) {
        double sum = a[i][j];
        for (int k = 0; k < j; k++) {
          sum -= l[i][k] * l[j][k];
        }
        l[i][j] = i == j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j][j];
      }
    }
    return l;
  }

  /** The dimensions. */
  public int dimensions() {
    return mean.length;
  }

  /** The robust location. */
  public double[] mean() {
    return mean.clone();
  }

  /** The lower Cholesky factor of the robust covariance (zero off the diagonal if diagonal). */
  public double[][] factor() {
    double[][] copy = new double[factor.length][];
    for (int a = 0; a < factor.length; a++) {
      copy[a] = factor[a].clone();
    }
    return copy;
  }

  /**
   * The distance of {@code point} from the location.
   *
   * @throws IllegalArgumentException if its dimension is not this estimate's
   */
  public double distance(double[] point) {
    int dim = mean.length;
    if (point.length != dim) {
      throw new IllegalArgumentException("point has " + point.length + " dimensions, expected "
          + dim);
    }
    double[] z = new double[dim];
    double sum = 0;
    for (int a = 0; a < dim; a++) {
      double r = point[a] - mean[a];
      for (int b = 0; full && b < a; b++) {
        r -= factor[a][b] * z[b];
      }
      z[a] = r / factor[a][a];
      sum += z[a] * z[a];
    }
    return Math.sqrt(sum);
  }
}
