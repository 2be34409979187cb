package dev.bastion.data.poison;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The random forest behind the confident-learning ensemble. */
class ForestTest {
  /** Quadrants: the label is the sign of x0 * x1, which no linear model can represent. */
  static double[][] quadrants(int n, long seed, int[] y) {
    SplittableRandom rnd = new SplittableRandom(seed);
    double[][] x = new double[n][3];
    for (int i = 0; i < n; i++) {
      x[i][0] = 2 * rnd.nextDouble() - 1;
      x[i][1] = 2 * rnd.nextDouble() - 1;
      x[i][2] = rnd.nextDouble(); // noise
      y[i] = x[i][0] * x[i][1] > 0 ? 1 : 0;
    }
    return x;
  }

  @Test
  void learnsWhatALinearModelCannot() {
    int n = 600;
    int[] y = new int[n];
    double[][] x = quadrants(n, 5, y);
    boolean[] train = new boolean[n];
    for (int i = 0; i < 400; i++) {
      train[i] = true;
    }
    Forest f = Forest.fit(x, y, 2, train, 40, 3);
    LogisticRegression lr = LogisticRegression.fit(x, y, 2, train, 0.01, 300);
    int forestRight = 0;
    int linearRight = 0;
    for (int i = 400; i < n; i++) {
      double[] p = f.predict(x[i]);
      forestRight += (p[1] > 0.5 ? 1 : 0) == y[i] ? 1 : 0;
      linearRight += lr.classify(x[i]) == y[i] ? 1 : 0;
    }
    assertThat(forestRight).isGreaterThan(180); // > 90% of 200 held-out rows
    assertThat(linearRight).isLessThan(140); // near chance
  }

  @Test
  void isDeterministicForASeedAndGivesProbabilities() {
    int[] y = new int[200];
    double[][] x = quadrants(200, 9, y);
    double[] a = Forest.fit(x, y, 2, null, 10, 4).predict(x[0]);
    double[] b = Forest.fit(x, y, 2, null, 10, 4).predict(x[0]);
    assertThat(a).containsExactly(b);
    assertThat(a[0] + a[1]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    double[] other = Forest.fit(x, y, 2, null, 10, 5).predict(new double[] {0.01, -0.01, 0.5});
    assertThat(other[0] + other[1]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }
}
