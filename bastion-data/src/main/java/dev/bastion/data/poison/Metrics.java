package dev.bastion.data.poison;

import java.util.Arrays;

/** Detection rates and the area under the ROC curve. */
public final class Metrics {
  private Metrics() {}

  /** The share of positives flagged; NaN without positives. */
  public static double tpr(boolean[] flagged, boolean[] positive) {
    return rate(flagged, positive, true);
  }

  /** The share of negatives flagged; NaN without negatives. */
  public static double fpr(boolean[] flagged, boolean[] positive) {
    return rate(flagged, positive, false);
  }

  private static double rate(boolean[] flagged, boolean[] positive, boolean which) {
    int n = 0;
    int hit = 0;
    for (int i = 0; i < positive.length; i++) {
      if (positive[i] == which) {
        n++;
        if (flagged[i]) {
          hit++;
        }
      }
    }
    return n == 0 ? Double.NaN : (double) hit / n;
  }

  /**
   * The probability that a random positive scores above a random negative, ties counting half
   * (the Mann-Whitney statistic); NaN without both.
   */
  public static double auroc(double[] scores, boolean[] positive) {
    int n = scores.length;
    Integer[] order = new Integer[n];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
    double rankSum = 0;
    long pos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int m = i; m <= j; m++) {
        if (positive[order[m]]) {
          rankSum += rank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /** Student t quantiles at 0.975 for 1 to 30 degrees of freedom. */
  private static final double[] T975 = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042
  };

  /** The Student t quantile at 0.975 for {@code df} degrees of freedom (df at least 1). */
  static double t975(int df) {
    if (df < 1) {
      throw new IllegalArgumentException("degrees of freedom " + df + ": expected at least 1");
    }
    if (df <= T975.length) {
      return T975[df - 1];
    }
    // Cornish-Fisher expansion around the normal quantile; off by less than 0.001 above 30.
    double z = 1.959964;
    double z3 = z * z * z;
    double z5 = z3 * z * z;
    return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
  }

  /**
   * Half the width of the 95% confidence interval of the mean of {@code values} (Student t with
   * n - 1 degrees of freedom, sample standard deviation over the square root of n); NaN for fewer
   * than two values.
   */
  public static double meanHalfWidth95(double[] values) {
    int n = values.length;
    if (n < 2) {
      return Double.NaN;
    }
    double mean = Arrays.stream(values).average().orElse(0);
    double ss = 0;
    for (double v : values) {
      ss += (v - mean) * (v - mean);
    }
    return t975(n - 1) * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
  }
}
