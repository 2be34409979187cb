package dev.bastion.serve.guard;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The Shapiro–Wilk test of normality, with the coefficients and p-value of Royston's 1995
 * approximation (Applied Statistics remark AS R94), for 3 to 5000 observations.
 *
 * <p>The coefficients come from the normal scores {@code m_i = Φ⁻¹((i − 3/8) / (n + 1/4))}, with
 * polynomial corrections in {@code 1/√n} for the two outermost pairs (one pair for n ≤ 5); the
 * p-value is exact for n = 3 and otherwise from a normal approximation to a transform of {@code
 * 1 − W} (separate fits for 4 ≤ n ≤ 11 and n ≥ 12). Royston reports the p-value adequate below
 * 0.1, which is where a test decides anything.
 */
public final class ShapiroWilk {
  /** Fewest observations the test accepts. */
  public static final int MIN_N = 3;

  /** Most observations the approximation is valid for. */
  public static final int MAX_N = 5000;

  // Royston (1995), the polynomial corrections of the largest two coefficients in u = 1/sqrt(n).
  private static final double[] C1 = {0.0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056};
  private static final double[] C2 = {0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633};
  // Mean and log standard deviation of -log(gamma - log(1 - W)) for 4 <= n <= 11, in n.
  private static final double[] C3 = {0.5440, -0.39978, 0.025054, -6.714e-4};
  private static final double[] C4 = {1.3822, -0.77857, 0.062767, -0.0020322};
  // Mean and log standard deviation of log(1 - W) for n >= 12, in log(n).
  private static final double[] C5 = {-1.5861, -0.31082, -0.083751, 0.0038915};
  private static final double[] C6 = {-0.4803, -0.082676, 0.0030302};
  // The upper bound gamma of log(1 - W) for 4 <= n <= 11, in n.
  private static final double[] G = {-2.273, 0.459};

  // Coefficients depend on n only; a detector tests growing samples of the same sizes again and
  // again, so those for n <= CACHED_N are kept once computed (about 4 MB at most).
  private static final int CACHED_N = 1024;
  private static final AtomicReferenceArray<double[]> CACHE =
      new AtomicReferenceArray<>(CACHED_N + 1);

  private ShapiroWilk() {}

  /**
   * A test result.
   *
   * @param w the statistic, in (0, 1]; near 1 for a normal sample
   * @param pValue the probability of a W this small or smaller under normality
   * @param n the number of observations
   */
  public record Result(double w, double pValue, int n) {}

  /**
   * Tests {@code sample} (not modified) for normality.
   *
   * @throws IllegalArgumentException if it has fewer than {@value #MIN_N} or more than {@value
   *     #MAX_N} values, a value that is not finite, or all values equal (W is undefined)
   */
  public static Result test(double[] sample) {
    int n = sample.length;
    if (n < MIN_N || n > MAX_N) {
      throw new IllegalArgumentException(
          "Shapiro-Wilk needs " + MIN_N + " to " + MAX_N + " values, got " + n);
    }
    double[] x = sample.clone();
    Arrays.sort(x);
    for (double v : x) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("Shapiro-Wilk: a value is not finite");
      }
    }
    if (!(x[n - 1] - x[0] > 0)) {
      throw new IllegalArgumentException("Shapiro-Wilk: all values are equal");
    }
    double[] a = cached(n);
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= n;
    double ss = 0;
    double num = 0;
    for (int i = 0; i < n; i++) {
      double c = x[i] - mean;
      ss += c * c;
      num += a[i] * c;
    }
    double w = Math.min(1.0, num * num / ss);
    return new Result(w, pValue(w, n), n);
  }

  /**
   * The coefficients {@code a_1 .. a_n} for the sorted sample, antisymmetric ({@code a_i =
   * −a_{n+1−i}}) with unit sum of squares.
   *
   * @throws IllegalArgumentException if {@code n} is outside [{@value #MIN_N}, {@value #MAX_N}]
   */
  public static double[] coefficients(int n) {
    if (n < MIN_N || n > MAX_N) {
      throw new IllegalArgumentException("n must be in [" + MIN_N + ", " + MAX_N + "]: " + n);
    }
    return cached(n).clone();
  }

  private static double[] cached(int n) {
    if (n > CACHED_N) {
      return compute(n);
    }
    double[] a = CACHE.get(n);
    if (a == null) {
      a = compute(n);
      CACHE.set(n, a);
    }
    return a;
  }

  private static double[] compute(int n) {
    double[] a = new double[n];
    if (n == 3) {
      a[0] = -Math.sqrt(0.5);
      a[2] = Math.sqrt(0.5);
      return a;
    }
    double[] m = new double[n];
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      m[i] = Normal.quantile((i + 1 - 0.375) / (n + 0.25));
      sumSq += m[i] * m[i];
    }
    double u = 1 / Math.sqrt(n);
    double last = m[n - 1] / Math.sqrt(sumSq) + poly(C1, u);
    int outer; // how many coefficients at each end are set from the corrections
    double phi;
    if (n > 5) {
      double second = m[n - 2] / Math.sqrt(sumSq) + poly(C2, u);
      phi =
          (sumSq - 2 * m[n - 1] * m[n - 1] - 2 * m[n - 2] * m[n - 2])
              / (1 - 2 * last * last - 2 * second * second);
      a[n - 2] = second;
      a[1] = -second;
      outer = 2;
    } else {
      phi = (sumSq - 2 * m[n - 1] * m[n - 1]) / (1 - 2 * last * last);
      outer = 1;
    }
    a[n - 1] = last;
    a[0] = -last;
    double s = Math.sqrt(phi);
    for (int i = outer; i < n - outer; i++) {
      a[i] = m[i] / s;
    }
    return a;
  }

  /** Royston's p-value of {@code w} for {@code n} observations. */
  static double pValue(double w, int n) {
    if (n == 3) {
      // Exact: W is a monotone function of one angle, uniform under normality.
      double p = 6 / Math.PI * (Math.asin(Math.sqrt(w)) - Math.asin(Math.sqrt(0.75)));
      return Math.max(0, Math.min(1, p));
    }
    double lw = Math.log1p(-w);
    double y;
    double mu;
    double sigma;
    if (n <= 11) {
      double gamma = poly(G, n);
      if (lw >= gamma) {
        return 0; // beyond the fitted support: smaller than any p-value the fit gives
      }
      y = -Math.log(gamma - lw);
      mu = poly(C3, n);
      sigma = Math.exp(poly(C4, n));
    } else {
      double ln = Math.log(n);
      y = lw;
      mu = poly(C5, ln);
      sigma = Math.exp(poly(C6, ln));
    }
    return Normal.upperTail((y - mu) / sigma);
  }

  /** {@code c[0] + c[1] x + c[2] x² + ...} by Horner's rule. */
  private static double poly(double[] c, double x) {
    double r = 0;
    for (int i = c.length - 1; i >= 0; i--) {
      r = r * x + c[i];
    }
    return r;
  }
}
