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
}
