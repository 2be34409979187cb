package dev.bastion.data.poison;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The linear discriminant beside the logistic regression in the region hold-out. */
class LinearDiscriminantTest {
  /** Two classes on one axis: the posterior has a closed form under a shared variance. */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void oneDimensionMatchesTheClosedForm(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = 40 + rnd.nextInt(60);
    double[][] x = new double[n][1];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i < n / 3 ? 1 : 0; // unequal priors
      x[i][0] = (y[i] == 1 ? 2.0 : -1.0) + Synthetic.gaussian(rnd);
    }
    double[] mean = new double[2];
    int[] count = new int[2];
    for (int i = 0; i < n; i++) {
      mean[y[i]] += x[i][0];
      count[y[i]]++;
    }
    mean[0] /= count[0];
    mean[1] /= count[1];
    double ss = 0;
    for (int i = 0; i < n; i++) {
      double d = x[i][0] - mean[y[i]];
      ss += d * d;
    }
    double variance = ss / (n - 2);
    LinearDiscriminant lda = LinearDiscriminant.fit(x, y, 2, null, 0);
    for (double q : new double[] {-3, -0.5, 0, 0.5, 1.7, 4}) {
      double logOdds = (mean[1] - mean[0]) / variance * q
          - (mean[1] * mean[1] - mean[0] * mean[0]) / (2 * variance)
          + Math.log((double) count[1] / count[0]);
      double expected = 1 / (1 + Math.exp(-logOdds));
      assertThat(lda.predict(new double[] {q})[1]).isCloseTo(expected, within(1e-6));
    }
  }

  @Test
  void fullShrinkageIsTheNearestMeanForEqualPriors() {
    // Strongly correlated features: only the shrunk covariance ignores the correlation.
    double[][] x = {{0, 0}, {1, 1}, {2, 2}, {10, 0}, {11, 1}, {12, 2}};
    int[] y = {0, 0, 0, 1, 1, 1};
    LinearDiscriminant lda = LinearDiscriminant.fit(x, y, 2, null, 1);
    // Equidistant from the means (1,1) and (11,1).
    assertThat(lda.predict(new double[] {6, 5})[1]).isCloseTo(0.5, within(1e-9));
    assertThat(lda.predict(new double[] {5.9, 1})[0]).isGreaterThan(0.5);
    assertThat(lda.predict(new double[] {6.1, 1})[1]).isGreaterThan(0.5);
  }

  @Test
  void usesOnlyTheRowsItIsGivenAndGivesNothingToAnAbsentClass() {
    double[][] x = {{0}, {0.2}, {5}, {5.2}, {100}};
    int[] y = {0, 0, 1, 1, 2};
    boolean[] use = {true, true, true, true, false};
    double[] p = LinearDiscriminant.fit(x, y, 3, use, 0.5).predict(new double[] {100});
    assertThat(p[2]).isZero();
    assertThat(p[1]).isGreaterThan(0.99);
    assertThat(p[0] + p[1] + p[2]).isCloseTo(1, within(1e-12));
    double[] none = LinearDiscriminant.fit(x, y, 3, new boolean[5], 0.5).predict(new double[] {1});
    assertThat(none).containsExactly(1.0 / 3, 1.0 / 3, 1.0 / 3);
  }

  @Test
  void manyDimensionsUseTheVariancesAndStillSeparateTheClasses() {
    int d = LinearDiscriminant.MAX_FULL_DIMS + 44;
    SplittableRandom rnd = new SplittableRandom(7);
    int n = 200;
    double[][] x = new double[n][d];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 2;
      for (int j = 0; j < d; j++) {
        x[i][j] = (j < 5 && y[i] == 1 ? 1.5 : 0) + Synthetic.gaussian(rnd);
      }
    }
    boolean[] train = new boolean[n];
    for (int i = 0; i < 150; i++) {
      train[i] = true;
    }
    LinearDiscriminant lda = LinearDiscriminant.fit(x, y, 2, train, 0.5);
    int right = 0;
    for (int i = 150; i < n; i++) {
      double[] p = lda.predict(x[i]);
      right += (p[1] > 0.5 ? 1 : 0) == y[i] ? 1 : 0;
    }
    assertThat(right).isGreaterThanOrEqualTo(40); // of 50; chance is 25
  }

  @Test
  void constantColumnsAreHarmless() {
    double[][] x = {{1, 0}, {1, 0.1}, {1, 3}, {1, 3.1}};
    int[] y = {0, 0, 1, 1};
    double[] p = LinearDiscriminant.fit(x, y, 2, null, 0).predict(new double[] {1, 2.9});
    assertThat(p[1]).isGreaterThan(0.99).isLessThanOrEqualTo(1);
    assertThat(Double.isNaN(p[0])).isFalse();
  }

  @Test
  void refusesAShrinkageOutsideZeroToOne() {
    double[][] x = {{0}, {1}};
    int[] y = {0, 1};
    assertThatThrownBy(() -> LinearDiscriminant.fit(x, y, 2, null, 1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LinearDiscriminant.fit(x, y, 2, null, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
