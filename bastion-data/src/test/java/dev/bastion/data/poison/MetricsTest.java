package dev.bastion.data.poison;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void auroc() {
    boolean[] pos = {true, true, false, false};
    assertThat(Metrics.auroc(new double[] {0.9, 0.8, 0.1, 0.2}, pos)).isEqualTo(1.0);
    assertThat(Metrics.auroc(new double[] {0.1, 0.2, 0.9, 0.8}, pos)).isEqualTo(0.0);
    assertThat(Metrics.auroc(new double[] {0.5, 0.5, 0.5, 0.5}, pos)).isEqualTo(0.5);
    // 0.9 beats both negatives, 0.3 beats 0.2 and loses to 0.4: 3 of 4 pairs.
    assertThat(Metrics.auroc(new double[] {0.9, 0.3, 0.4, 0.2}, pos)).isCloseTo(0.75, within(1e-12));
    assertThat(Metrics.auroc(new double[] {0.9, 0.3}, new boolean[] {true, true})).isNaN();
  }

  @Test
  void rates() {
    boolean[] pos = {true, true, false, false, false};
    boolean[] flagged = {true, false, true, false, false};
    assertThat(Metrics.tpr(flagged, pos)).isEqualTo(0.5);
    assertThat(Metrics.fpr(flagged, pos)).isCloseTo(1.0 / 3, within(1e-12));
  }

  @Test
  void confidenceIntervalOfAMean() {
    // Mean 2, sample standard deviation 1, t(2 df) = 4.303: 4.303 / sqrt(3).
    assertThat(Metrics.meanHalfWidth95(new double[] {1, 2, 3}))
        .isCloseTo(4.303 / Math.sqrt(3), within(1e-9));
    assertThat(Metrics.meanHalfWidth95(new double[] {0.5})).isNaN();
    assertThat(Metrics.meanHalfWidth95(new double[] {0.2, 0.2, 0.2}))
        .isCloseTo(0, within(1e-12));
    // Above the table: the expansion against R's qt(0.975, df).
    assertThat(Metrics.t975(40)).isCloseTo(2.021075, within(1e-3));
    assertThat(Metrics.t975(99)).isCloseTo(1.984217, within(1e-3));
  }

  @Test
  void logisticRegressionSeparatesSeparableData() {
    double[][] x = {{-2, 0}, {-1, 1}, {-1.5, -1}, {2, 0}, {1, -1}, {1.5, 1}};
    int[] y = {0, 0, 0, 1, 1, 1};
    LogisticRegression m = LogisticRegression.fit(x, y, 2, null, 0.01, 300);
    for (int i = 0; i < x.length; i++) {
      assertThat(m.classify(x[i])).isEqualTo(y[i]);
    }
    assertThat(m.predict(new double[] {3, 0})[1]).isGreaterThan(0.9);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "seed {0}")
  @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void theAucIsTheShareOfPositiveNegativePairsRankedRight(long seed) {
    // The definition, pair by pair (ties one half), against the rank-sum computation.
    java.util.Random r = new java.util.Random(seed);
    int n = 2 + r.nextInt(200);
    double[] score = new double[n];
    boolean[] positive = new boolean[n];
    positive[0] = true;
    for (int i = 0; i < n; i++) {
      score[i] = r.nextInt(10) / 10.0; // many ties
      positive[i] = i == 0 || (i > 1 && r.nextBoolean());
    }
    double pairs = 0;
    double right = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (positive[i] && !positive[j]) {
          pairs++;
          right += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
        }
      }
    }
    assertThat(Metrics.auroc(score, positive))
        .isCloseTo(right / pairs, org.assertj.core.data.Offset.offset(1e-12));
  }
}
