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

  /** Balls of {@link #regionOutOfFold()}, beyond those added to cover every row. */
  public static final int BALLS = 40;

  /** The share of the rows in each ball of {@link #regionOutOfFold()}. */
  public static final double BALL_SHARE = 0.3;

  /** The shrinkage of {@link #regionOutOfFold()}'s discriminant toward the identity. */
  public static final double DISCRIMINANT_SHRINK = 0.5;

  /** The discriminant's weight in {@link #regionOutOfFold()}'s mean of two models. */
  public static final double DISCRIMINANT_WEIGHT = 0.5;

  /**
   * Out-of-region probabilities. A region is a ball: the {@value #BALL_SHARE} of all rows nearest
   * to an anchor row (encoded distance, ties to the lower index). {@value #BALLS} anchors are
   * drawn (seeded, distinct), then the lowest-indexed row in no ball yet becomes an anchor until
   * every row is in one. For each ball two models are trained on the rows outside it (a seeded
   * sample of at most {@link Scan.Options#maxReference()} of them), a logistic regression and a
   * {@link LinearDiscriminant} (shrinkage {@value #DISCRIMINANT_SHRINK}), and the mean of their
   * probabilities (the discriminant's weight {@value #DISCRIMINANT_WEIGHT}) is taken for the rows
   * inside; a row's probabilities are those of the ball that gives its label the lowest. A group of
   * flips that are each other's neighbours then falls whole inside some ball and cannot vouch for
   * itself, as it does under random folds; overlapping balls find such a group wherever it lies,
   * where fixed clusters would cut it. The discriminant is there because a logistic regression
   * trained without a region extrapolates its boundary into the gap, so that flips in a region
   * only the region's own labels decided are predicted as flipped; class means and spreads do not
   * depend on the missing rows as much.
   */
  public double[][] regionOutOfFold() {
    if (regionOof == null) {
      int n = data.rows();
      regionOof = new double[n][];
      if (n < 2) {
        return regionOof;
      }
      int size = Math.max(1, (int) Math.ceil(BALL_SHARE * n));
      SplittableRandom rnd = new SplittableRandom(options.seed() ^ 0x5DEECE66DL);
      int[] order = new int[n];
      Arrays.setAll(order, i -> i);
      for (int i = n - 1; i > 0; i--) { // seeded shuffle: the first BALLS rows are the anchors
        int r = rnd.nextInt(i + 1);
        int t = order[i];
        order[i] = order[r];
        order[r] = t;
      }
      boolean[] covered = new boolean[n];
      int next = 0; // the lowest index that may still be uncovered
      for (int b = 0; ; b++) {
        int anchor;
        if (b < Math.min(BALLS, n)) {
          anchor = order[b];
        } else {
          while (next < n && covered[next]) {
            next++;
          }
          if (next == n) {
            break;
          }
          anchor = next;
        }
        int[] ball = nearestRows(anchor, size);
        boolean[] use = new boolean[n];
        Arrays.fill(use, true);
        for (int i : ball) {
          use[i] = false;
        }
        thin(use, options.maxReference(), rnd);
        int classes = data.classes().size();
        LogisticRegression m = LogisticRegression.fit(data.x(), data.y(), classes, use, L2, STEPS);
        LinearDiscriminant g =
            LinearDiscriminant.fit(data.x(), data.y(), classes, use, DISCRIMINANT_SHRINK);
        for (int i : ball) {
          double[] p = m.predict(data.x()[i]);
          double[] q = g.predict(data.x()[i]);
          for (int c = 0; c < classes; c++) {
            p[c] = (1 - DISCRIMINANT_WEIGHT) * p[c] + DISCRIMINANT_WEIGHT * q[c];
          }
          int y = data.y()[i];
          if (regionOof[i] == null || p[y] < regionOof[i][y]) {
            regionOof[i] = p;
          }
          covered[i] = true;
        }
        covered[anchor] = true;
      }
    }
    return regionOof;
  }

  /**
   * The {@code size} rows nearest to row {@code anchor}, the anchor first (so that it is in its
   * own ball even among more identical rows than the ball holds), ties to the lower index.
   */
  private int[] nearestRows(int anchor, int size) {
    int n = data.rows();
    double[] a = data.x()[anchor];
    double[] d = new double[n];
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      d[i] = distance(a, data.x()[i]);
      idx[i] = i;
    }
    Arrays.sort(idx, (x, y) -> x.intValue() == y.intValue() ? 0
        : x == anchor ? -1
        : y == anchor ? 1
        : d[x] != d[y] ? Double.compare(d[x], d[y])
        : Integer.compare(x, y));
    int[] out = new int[Math.min(size, n)];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /**
   * Keeps a seeded sample of {@code max} of the rows marked in {@code use} if more are marked
   * (selection sampling: each marked row is kept with probability needed / remaining).
   */
  private static void thin(boolean[] use, int max, SplittableRandom rnd) {
    int remaining = 0;
    for (boolean u : use) {
      remaining += u ? 1 : 0;
    }
    if (remaining <= max) {
      return;
    }
    int needed = max;
    for (int i = 0; i < use.length; i++) {
      if (use[i]) {
        if (rnd.nextInt(remaining) < needed) {
          needed--;
        } else {
          use[i] = false;
        }
        remaining--;
      }
    }
  }

  /** The same-label neighbours {@link #sameLabelMean} averages a row's score with. */
  public static final int REGION_NEIGHBOURS = 20;

  /**
   * Each row's score averaged with those of its {@code k} nearest reference rows of the same label
   * (itself excluded; ties to the lower index). A group of flips made in one region are each
   * other's nearest same-label rows, so their scores agree and the mean keeps them high; a clean
   * row whose label its models merely doubt (label noise) has same-label neighbours they do not
   * doubt, and the mean brings it down.
   */
  double[] sameLabelMean(double[] scores, int k) {
    int n = data.rows();
    int[] y = data.y();
    double[] out = new double[n];
    int[][] nn = new int[1][];
    double[][] nd = new double[1][];
    for (int i = 0; i < n; i++) {
      int self = i;
      int label = y[i];
      nearest(data.x()[i], k, r -> r == self || y[r] != label, nn, nd);
      double sum = scores[i];
      for (int j : nn[0]) {
        sum += scores[j];
      }
      out[i] = sum / (nn[0].length + 1);
    }
    return out;
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
