package dev.bastion.data.profile;

/** The distribution functions the drift tests need. */
final class Stats {
  private Stats() {}

  /**
   * The asymptotic p-value of a two-sample Kolmogorov–Smirnov statistic {@code d} for sample
   * sizes {@code n} and {@code m}: {@code Q(λ) = 2 Σ_{j≥1} (-1)^(j-1) exp(-2 j² λ²)} with {@code λ
   * = (√e + 0.12 + 0.11/√e) d}, {@code e = nm/(n+m)} (Stephens' small-sample correction).
   */
  static double ksPValue(double d, long n, long m) {
    double e = (double) n * m / ((double) n + m);
    double se = Math.sqrt(e);
    double lambda = (se + 0.12 + 0.11 / se) * d;
    if (lambda < 0.2) {
      return 1.0; // the series converges slowly there and its value is 1 to double precision
    }
    double sum = 0;
    double sign = 1;
    for (int j = 1; j <= 200; j++) {
      double term = Math.exp(-2.0 * j * j * lambda * lambda);
      sum += sign * term;
      if (term < 1e-18) {
        break;
      }
      sign = -sign;
    }
    return Math.max(0.0, Math.min(1.0, 2 * sum));
  }

  /** The upper tail of the chi-squared distribution with {@code df} degrees of freedom at x. */
  static double chiSquaredPValue(double x, int df) {
    if (df < 1) {
      throw new IllegalArgumentException("df must be at least 1");
    }
    if (x <= 0) {
      return 1.0;
    }
    return regularizedGammaQ(df / 2.0, x / 2.0);
  }

  /** ln Γ(a) for a positive multiple of 1/2, exactly by recurrence from Γ(1) = 1, Γ(1/2) = √π. */
  static double lnGammaHalf(double a) {
    double twice = 2 * a;
    if (twice != Math.rint(twice) || a <= 0) {
      throw new IllegalArgumentException("a must be a positive multiple of 1/2");
    }
    double x = Math.rint(twice) % 2 == 0 ? 1.0 : 0.5;
    double ln = x == 1.0 ? 0.0 : 0.5 * Math.log(Math.PI);
    for (; x < a; x += 1) {
      ln += Math.log(x);
    }
    return ln;
  }

  /**
   * The regularised upper incomplete gamma function Q(a, x) for a half-integer {@code a}: the
   * power series of P below {@code x < a + 1}, a continued fraction (modified Lentz) above.
   */
  static double regularizedGammaQ(double a, double x) {
    double lnPrefix = -x + a * Math.log(x) - lnGammaHalf(a);
    if (x < a + 1) {
      double term = 1.0 / a;
      double sum = term;
      for (int n = 1; n < 10_000; n++) {
        term *= x / (a + n);
        sum += term;
        if (term < sum * 1e-16) {
          break;
        }
      }
      return Math.max(0.0, 1.0 - sum * Math.exp(lnPrefix));
    }
    double tiny = 1e-300;
    double b = x + 1 - a;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < 10_000; i++) {
      double an = -i * (i - a);
      b += 2;
      d = an * d + b;
      if (Math.abs(d) < tiny) {
        d = tiny;
      }
      c = b + an / c;
      if (Math.abs(c) < tiny) {
        c = tiny;
      }
      d = 1 / d;
      double delta = d * c;
      h *= delta;
      if (Math.abs(delta - 1) < 1e-16) {
        break;
      }
    }
    return Math.min(1.0, Math.exp(lnPrefix) * h);
  }
}
