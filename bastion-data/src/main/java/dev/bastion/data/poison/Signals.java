package dev.bastion.data.poison;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What several detectors share, computed once and on demand: each row's nearest neighbours, and
 * out-of-fold class probabilities. On more rows than {@link Scan.Options#maxReference()},
 * neighbours are searched in a seeded sample of that many reference rows, not in all rows.
 */
public final class Signals {
  private final Encoded data;
  private final Scan.Options options;
  private final int[] reference;
  private int[][] neighbours;
  private double[][] distances;
  private double[][] lrOof;
  private double[][] forestOof;
  private double[][] regionOof;
  private double[][] knnProbabilities;

  public Signals(Encoded data, Scan.Options options) {
    this.data = data;
    this.options = options;
    int n = data.rows();
    if (n <= options.maxReference()) {
      reference = new int[n];
      Arrays.setAll(reference, i -> i);
    } else {
      int[] all = new int[n];
      Arrays.setAll(all, i -> i);
      shuffle(all, new SplittableRandom(options.seed() ^ 0x5DEECE66DL));
      reference = Arrays.copyOf(all, options.maxReference());
      Arrays.sort(reference);
    }
  }

  public Encoded data() {
    return data;
  }

  public Scan.Options options() {
    return options;
  }

  /** The rows neighbours are searched in (all rows, or the sample). */
  int[] reference() {
    return reference;
  }

  static void shuffle(int[] a, SplittableRandom rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  static double distance(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      double d = a[j] - b[j];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  /** The k nearest reference rows of each row, itself excluded; ties by lower index. */
  int[][] neighbours() {
    if (neighbours == null) {
      int n = data.rows();
      int k = Math.min(options.k(), reference.length - 1);
      neighbours = new int[n][];
      distances = new double[n][];
      for (int i = 0; i < n; i++) {
        int fi = i;
        int[][] nn = new int[1][];
        double[][] nd = new double[1][];
        nearest(data.x()[i], k, r -> r == fi, nn, nd);
        neighbours[i] = nn[0];
        distances[i] = nd[0];
      }
    }
    return neighbours;
  }

  double[][] distances() {
    neighbours();
    return distances;
  }

  /** The k nearest reference rows to {@code q} among those {@code skip} does not exclude. */
  void nearest(
      double[] q, int k, java.util.function.IntPredicate skip, int[][] outIdx,
      double[][] outDist) {
    int[] idx = new int[k];
    double[] dist = new double[k];
    Arrays.fill(dist, Double.POSITIVE_INFINITY);
    Arrays.fill(idx, -1);
    int found = 0;
    for (int r : reference) {
      if (skip.test(r)) {
        continue;
      }
      double d = distance(q, data.x()[r]);
      if (found < k || d < dist[k - 1]) {
        int p = Math.min(found, k - 1);
        while (p > 0 && dist[p - 1] > d) {
          dist[p] = dist[p - 1];
          idx[p] = idx[p - 1];
          p--;
        }
        dist[p] = d;
        idx[p] = r;
        found = Math.min(found + 1, k);
      }
    }
    outIdx[0] = Arrays.copyOf(idx, found);
    outDist[0] = Arrays.copyOf(dist, found);
  }

  /**
   * Out-of-fold probabilities of a logistic regression ({@link Scan.Options#folds()} seeded folds;
   * L2 {@value #L2}, {@value #STEPS} steps): each row's from a model that did not see it.
   */
  public double[][] logisticOutOfFold() {
    if (lrOof == null) {
      int n = data.rows();
      int[] fold = folds();
      int folds = Math.max(2, Math.min(options.folds(), n));
      lrOof = new double[n][];
      for (int f = 0; f < folds; f++) {
        boolean[] use = new boolean[n];
        for (int i = 0; i < n; i++) {
          use[i] = fold[i] != f;
        }
        LogisticRegression m =
            LogisticRegression.fit(data.x(), data.y(), data.classes().size(), use, L2, STEPS);
        for (int i = 0; i < n; i++) {
          if (!use[i]) {
            lrOof[i] = m.predict(data.x()[i]);
          }
        }
      }
    }
    return lrOof;
  }

  /** The seeded fold of each row, shared by the out-of-fold models. */
  private int[] folds() {
    int n = data.rows();
    int folds = Math.max(2, Math.min(options.folds(), n));
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    shuffle(order, new SplittableRandom(options.seed()));
    int[] fold = new int[n];
    for (int i = 0; i < n; i++) {
      fold[order[i]] = i % folds;
    }
    return fold;
  }

  /** Trees of the out-of-fold random forests. */
  public static final int TREES = 40;

  /**
   * Out-of-fold probabilities of a random forest ({@link Forest}, {@value #TREES} trees, seeded by
   * the options' seed), on the same folds as {@link #logisticOutOfFold()}.
   */
  public double[][] forestOutOfFold() {
    if (forestOof == null) {
      int n = data.rows();
      int[] fold = folds();
      int folds = Math.max(2, Math.min(options.folds(), n));
      forestOof = new double[n][];
      for (int f = 0; f < folds; f++) {
        boolean[] use = new boolean[n];
        for (int i = 0; i < n; i++) {
          use[i] = fold[i] != f;
        }
        Forest m = Forest.fit(data.x(), data.y(), data.classes().size(), use, TREES,
            options.seed() * 31 + f);
        for (int i = 0; i < n; i++) {
          if (!use[i]) {
            forestOof[i] = m.predict(data.x()[i]);
          }
        }
      }
    }
    return forestOof;
  }

  /** Clusters of {@link #regionOutOfFold()}. */
  public static final int CLUSTERS = 10;

  /**
   * Out-of-region probabilities of a logistic regression: the rows are split into
   * {@value #CLUSTERS} regions by k-means (seeded k-means++ start, 30 rounds, on the encoded
   * features), and each row's probabilities come from a model trained without its whole region.
   * A group of flips that are each other's neighbours is then held out together, so it cannot
   * vouch for itself, as it does under random folds.
   */
  public double[][] regionOutOfFold() {
    if (regionOof == null) {
      int n = data.rows();
      int[] region = kmeans(data.x(), Math.min(CLUSTERS, n), options.seed());
      regionOof = new double[n][];
      for (int f = 0; f < CLUSTERS; f++) {
        boolean[] use = new boolean[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
          use[i] = region[i] != f;
          any |= !use[i];
        }
        if (!any) {
          continue;
        }
        LogisticRegression m =
            LogisticRegression.fit(data.x(), data.y(), data.classes().size(), use, L2, STEPS);
        for (int i = 0; i < n; i++) {
          if (!use[i]) {
            regionOof[i] = m.predict(data.x()[i]);
          }
        }
      }
    }
    return regionOof;
  }

  /** k-means cluster of each row: seeded k-means++ start, then 30 rounds; ties to the lower. */
  static int[] kmeans(double[][] x, int k, long seed) {
    int n = x.length;
    int dim = n == 0 ? 0 : x[0].length;
    int[] a = new int[n];
    if (n == 0 || k <= 1) {
      return a;
    }
    SplittableRandom rnd = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    double[][] c = new double[k][];
    c[0] = x[rnd.nextInt(n)].clone();
    double[] nearest = new double[n];
    Arrays.fill(nearest, Double.POSITIVE_INFINITY);
    for (int j = 1; j < k; j++) {
      double total = 0;
      for (int i = 0; i < n; i++) {
        double d = distance(x[i], c[j - 1]);
        nearest[i] = Math.min(nearest[i], d * d);
        total += nearest[i];
      }
      double u = rnd.nextDouble() * total;
      int pick = n - 1;
      for (int i = 0; i < n; i++) {
        u -= nearest[i];
        if (u <= 0) {
          pick = i;
          break;
        }
      }
      c[j] = x[pick].clone();
    }
    for (int round = 0; round < 30; round++) {
      for (int i = 0; i < n; i++) {
        int best = 0;
        double bestD = distance(x[i], c[0]);
        for (int j = 1; j < k; j++) {
          double d = distance(x[i], c[j]);
          if (d < bestD) {
            bestD = d;
            best = j;
          }
        }
        a[i] = best;
      }
      double[][] sum = new double[k][dim];
      int[] count = new int[k];
      for (int i = 0; i < n; i++) {
        count[a[i]]++;
        for (int t = 0; t < dim; t++) {
          sum[a[i]][t] += x[i][t];
        }
      }
      for (int j = 0; j < k; j++) {
        for (int t = 0; count[j] > 0 && t < dim; t++) {
          c[j][t] = sum[j][t] / count[j];
        }
      }
    }
    return a;
  }

  /** L2 penalty of the logistic regressions. */
  public static final double L2 = 0.01;

  /** Gradient steps of the logistic regressions. */
  public static final int STEPS = 300;

  /**
   * Class probabilities from the neighbours' votes, smoothed toward the class frequencies (one
   * pseudo-vote): {@code (votes_c + prior_c) / (k + 1)}. Out-of-sample by construction: a row is
   * not its own neighbour.
   */
  double[][] neighbourProbabilities() {
    if (knnProbabilities == null) {
      int n = data.rows();
      int classes = data.classes().size();
      double[] prior = new double[classes];
      for (int yi : data.y()) {
        prior[yi] += 1.0 / n;
      }
      int[][] nn = neighbours();
      knnProbabilities = new double[n][classes];
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < classes; c++) {
          knnProbabilities[i][c] = prior[c];
        }
        for (int j : nn[i]) {
          knnProbabilities[i][data.y()[j]] += 1;
        }
        for (int c = 0; c < classes; c++) {
          knnProbabilities[i][c] /= nn[i].length + 1;
        }
      }
    }
    return knnProbabilities;
  }
}
