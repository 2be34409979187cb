package dev.bastion.data.poison;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A small random forest: {@code trees} classification trees, each grown on a seeded bootstrap
 * sample of the rows, splitting on the best Gini gain among a seeded random subset of
 * {@code sqrt(dims)} features at each node, down to {@value #MIN_LEAF} rows or depth
 * {@value #MAX_DEPTH}. A row's class probabilities are the mean over the trees of its leaf's class
 * shares. Deterministic for a given seed. The non-linear partner of {@link LogisticRegression} in
 * the out-of-fold ensemble of {@link Signals#forestOutOfFold()}.
 */
public final class Forest {
  static final int MAX_DEPTH = 12;
  static final int MIN_LEAF = 3;

  private final Node[] trees;
  private final int classes;

  private Forest(Node[] trees, int classes) {
    this.trees = trees;
    this.classes = classes;
  }

  private record Node(int feature, double split, Node left, Node right, double[] p) {}

  /**
   * Fits on the rows of {@code x} selected by {@code use} (all rows if null).
   *
   * @param trees number of trees
   * @param seed seed of the bootstrap samples and feature subsets
   */
  public static Forest fit(double[][] x, int[] y, int classes, boolean[] use, int trees,
      long seed) {
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      if (use == null || use[i]) {
        n++;
      }
    }
    int[] rows = new int[n];
    for (int i = 0, k = 0; i < x.length; i++) {
      if (use == null || use[i]) {
        rows[k++] = i;
      }
    }
    Node[] out = new Node[trees];
    int dims = x.length == 0 ? 0 : x[0].length;
    int mtry = Math.max(1, (int) Math.round(Math.sqrt(dims)));
    for (int t = 0; t < trees; t++) {
      SplittableRandom rnd = new SplittableRandom(seed * 7919L + t);
      int[] sample = new int[n];
      for (int k = 0; k < n; k++) {
        sample[k] = rows[rnd.nextInt(n)];
      }
      out[t] = grow(x, y, classes, sample, 0, dims, mtry, rnd);
    }
    return new Forest(out, classes);
  }

  private static double[] shares(int[] y, int classes, int[] rows) {
    double[] p = new double[classes];
    for (int i : rows) {
      p[y[i]] += 1.0 / rows.length;
    }
    return p;
  }

  private static Node grow(double[][] x, int[] y, int classes, int[] rows, int depth, int dims,
      int mtry, SplittableRandom rnd) {
    double[] p = shares(y, classes, rows);
    boolean pure = false;
    for (double v : p) {
      pure |= v == 1;
    }
    if (pure || depth >= MAX_DEPTH || rows.length < 2 * MIN_LEAF || rows.length == 0) {
      return new Node(-1, 0, null, null, p);
    }
    int[] features = new int[dims];
    Arrays.setAll(features, j -> j);
    Signals.shuffle(features, rnd);
    int bestFeature = -1;
    double bestSplit = 0;
    double bestImpurity = Double.POSITIVE_INFINITY;
    Integer[] order = new Integer[rows.length];
    double[] left = new double[classes];
    double[] total = new double[classes];
    for (int i : rows) {
      total[y[i]]++;
    }
    for (int f = 0; f < Math.min(mtry, dims); f++) {
      int j = features[f];
      for (int k = 0; k < rows.length; k++) {
        order[k] = rows[k];
      }
      Arrays.sort(order, (a, b) -> Double.compare(x[a][j], x[b][j]));
      Arrays.fill(left, 0);
      for (int k = 0; k < rows.length - 1; k++) {
        left[y[order[k]]]++;
        int nl = k + 1;
        int nr = rows.length - nl;
        double xa = x[order[k]][j];
        double xb = x[order[k + 1]][j];
        if (nl < MIN_LEAF || nr < MIN_LEAF || xa == xb) {
          continue;
        }
        double gl = 0;
        double gr = 0;
        for (int c = 0; c < classes; c++) {
          gl += left[c] * left[c];
          double r = total[c] - left[c];
          gr += r * r;
        }
        double impurity = (nl - gl / nl) + (nr - gr / nr); // n_l Gini_l + n_r Gini_r
        if (impurity < bestImpurity - 1e-12) {
          bestImpurity = impurity;
          bestFeature = j;
          bestSplit = (xa + xb) / 2;
        }
      }
    }
    if (bestFeature < 0) {
      return new Node(-1, 0, null, null, p);
    }
    int fj = bestFeature;
    double split = bestSplit;
    int[] l = Arrays.stream(rows).filter(i -> x[i][fj] <= split).toArray();
    int[] r = Arrays.stream(rows).filter(i -> x[i][fj] > split).toArray();
    return new Node(fj, split, grow(x, y, classes, l, depth + 1, dims, mtry, rnd),
        grow(x, y, classes, r, depth + 1, dims, mtry, rnd), p);
  }

  /** Class probabilities for one feature vector: the mean of the trees' leaf shares. */
  public double[] predict(double[] xi) {
    double[] p = new double[classes];
    for (Node t : trees) {
      Node node = t;
      while (node.feature() >= 0) {
        node = xi[node.feature()] <= node.split() ? node.left() : node.right();
      }
      for (int c = 0; c < classes; c++) {
        p[c] += node.p()[c] / trees.length;
      }
    }
    return p;
  }
}
