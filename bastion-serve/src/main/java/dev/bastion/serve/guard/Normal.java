package dev.bastion.serve.guard;

/** The standard normal distribution: its distribution function and quantile. */
final class Normal {
  private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

  // Acklam's rational approximation of the quantile (relative error about 1e-9), refined below.
  private static final double[] QA = {
    -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
    1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00
  };
  private static final double[] QB = {
    -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
    6.680131188771972e+01, -1.328068155288572e+01
  };
  private static final double[] QC = {
    -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
    -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00
  };
  private static final double[] QD = {
    7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00
  };
  private static final double P_LOW = 0.02425;

  private Normal() {}

  /** The density at {@code x}. */
  static double density(double x) {
    return Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
  }

  /** {@code P(Z <= x)}. */
  static double cdf(double x) {
    if (x < 0) {
      return upperTail(-x);
    }
    return 1 - upperTail(x);
  }

  /**
   * {@code P(Z > x)}, accurate in relative terms far into the upper tail: a power series for the
   * middle and a continued fraction (Laplace's) beyond 3.
   */
  static double upperTail(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x < -3) {
      return 1 - upperTail(-x);
    }
    if (x <= 3) {
      // P(Z <= x) = 1/2 + density(x) (x + x^3/3 + x^5/(3*5) + ...): every term has x's sign.
      double term = x;
      double sum = x;
      double x2 = x * x;
      for (int k = 3; k < 200; k += 2) {
        term *= x2 / k;
        double next = sum + term;
        if (next == sum) {
          break;
        }
        sum = next;
      }
      return 0.5 - density(x) * sum;
    }
    if (x > 38) {
      return 0;
    }
    // Mills ratio by the continued fraction 1/(x + 1/(x + 2/(x + 3/(x + ...)))), from the bottom.
    double f = x;
    for (int k = 60; k >= 1; k--) {
      f = x + k / f;
    }
    return density(x) / f;
  }

  /**
   * The quantile: the {@code x} with {@code cdf(x) == p}.
   *
   * @throws IllegalArgumentException unless 0 < p < 1
   */
  static double quantile(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("p must be in (0, 1): " + p);
    }
    double x;
    if (p < P_LOW) {
      double q = Math.sqrt(-2 * Math.log(p));
      x = tail(q);
    } else if (p > 1 - P_LOW) {
      double q = Math.sqrt(-2 * Math.log1p(-p));
      x = -tail(q);
    } else {
      double q = p - 0.5;
      double r = q * q;
      x =
          (((((QA[0] * r + QA[1]) * r + QA[2]) * r + QA[3]) * r + QA[4]) * r + QA[5]) * q
              / (((((QB[0] * r + QB[1]) * r + QB[2]) * r + QB[3]) * r + QB[4]) * r + 1);
    }
    // Two Halley steps on cdf(x) - p bring the approximation to double precision.
    for (int i = 0; i < 2; i++) {
      double e = (p < 0.5 ? cdf(x) - p : (1 - p) - upperTail(x));
      double u = e / density(x);
      x = x - u / (1 + x * u / 2);
    }
    return x;
  }

  private static double tail(double q) {
    return (((((QC[0] * q + QC[1]) * q + QC[2]) * q + QC[3]) * q + QC[4]) * q + QC[5])
        / ((((QD[0] * q + QD[1]) * q + QD[2]) * q + QD[3]) * q + 1);
  }
}
