package dev.bastion.serve.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Shapiro–Wilk test against published results and independent checks. */
class ShapiroWilkTest {

  /** R's {@code mtcars$wt}: {@code shapiro.test} prints W = 0.94326, p-value = 0.09265. */
  static final double[] MTCARS_WT = {
    2.620, 2.875, 2.320, 3.215, 3.440, 3.460, 3.570, 3.190, 3.150, 3.440, 3.440, 4.070, 3.730,
    3.780, 5.250, 5.424, 5.345, 2.200, 1.615, 1.835, 2.465, 3.520, 3.435, 3.840, 3.845, 1.935,
    2.140, 1.513, 3.170, 2.770, 3.570, 2.780
  };

  /** R's {@code mtcars$mpg}: {@code shapiro.test} prints W = 0.94756, p-value = 0.1229. */
  static final double[] MTCARS_MPG = {
    21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4,
    10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7,
    15.0, 21.4
  };

  @Test
  void matchesPublishedResultsOfTheReferenceImplementation() {
    record Case(String name, double[] x, double w, double p) {}
    List<Case> cases =
        List.of(
            new Case("mtcars$wt", MTCARS_WT, 0.94326, 0.09265),
            new Case("mtcars$mpg", MTCARS_MPG, 0.94756, 0.1229));
    List<String> wrong = new ArrayList<>();
    for (Case c : cases) {
      ShapiroWilk.Result r = ShapiroWilk.test(c.x());
      // R prints five digits: W to half a unit in the last place, p to 0.05% of itself.
      if (Math.abs(r.w() - c.w()) > 5e-6 || Math.abs(r.pValue() - c.p()) > 5e-4 * c.p()) {
        wrong.add(c.name() + ": W=" + r.w() + " p=" + r.pValue());
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void threeValuesHaveTheExactDistribution() {
    // For n = 3, a = (-1/sqrt2, 0, 1/sqrt2), so W = (x3 - x1)^2 / (2 SS): (1, 2, 4) gives 27/28.
    ShapiroWilk.Result r = ShapiroWilk.test(new double[] {4, 1, 2});
    assertThat(r.w()).isCloseTo(27.0 / 28, within(1e-12));
    double expected = 6 / Math.PI * (Math.asin(Math.sqrt(27.0 / 28)) - Math.PI / 3);
    assertThat(r.pValue()).isCloseTo(expected, within(1e-12));
    // Equally spaced values are as normal as three values can be.
    assertThat(ShapiroWilk.test(new double[] {1, 2, 3}).pValue()).isCloseTo(1.0, within(1e-12));
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 4, 5, 6, 7, 11, 12, 20, 50, 333, 5000})
  void coefficientsAreAntisymmetricWithUnitNormAndIncreasing(int n) {
    double[] a = ShapiroWilk.coefficients(n);
    double sq = 0;
    for (int i = 0; i < n; i++) {
      assertThat(a[i]).as("a[%d]", i).isCloseTo(-a[n - 1 - i], within(1e-12));
      sq += a[i] * a[i];
      if (i > 0) {
        assertThat(a[i]).as("a[%d]", i).isGreaterThanOrEqualTo(a[i - 1]);
      }
    }
    assertThat(sq).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void coefficientsForSmallSamplesAreCloseToTheExactOnes() {
    // Shapiro and Wilk's (1965) table: n = 5 gives a_5 = 0.6646, a_4 = 0.2413; n = 10 gives
    // a_10 = 0.5739, a_9 = 0.3291, a_8 = 0.2141. Royston's fit is within about 0.002 of them.
    double[] a5 = ShapiroWilk.coefficients(5);
    double[] a10 = ShapiroWilk.coefficients(10);
    assertThat(a5[4]).isCloseTo(0.6646, within(0.002));
    assertThat(a5[3]).isCloseTo(0.2413, within(0.002));
    assertThat(a10[9]).isCloseTo(0.5739, within(0.002));
    assertThat(a10[8]).isCloseTo(0.3291, within(0.002));
    assertThat(a10[7]).isCloseTo(0.2141, within(0.002));
  }

  @Test
  void normalSamplesRejectAtTheNominalRateAndOthersAlmostAlways() {
    Random rnd = new Random(20260511);
    int trials = 1000;
    int[] sizes = {8, 30, 200};
    for (int n : sizes) {
      int normalRejected = 0;
      int uniformRejected = 0;
      int exponentialRejected = 0;
      for (int t = 0; t < trials; t++) {
        double[] z = new double[n];
        double[] u = new double[n];
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
          z[i] = 3 + 2 * rnd.nextGaussian();
          u[i] = rnd.nextDouble();
          e[i] = -Math.log(1 - rnd.nextDouble());
        }
        normalRejected += ShapiroWilk.test(z).pValue() < 0.05 ? 1 : 0;
        uniformRejected += ShapiroWilk.test(u).pValue() < 0.05 ? 1 : 0;
        exponentialRejected += ShapiroWilk.test(e).pValue() < 0.05 ? 1 : 0;
      }
      // Binomial(1000, 0.05) lies in [28, 72] with probability above 0.999.
      assertThat(normalRejected).as("normal, n=%d", n).isBetween(28, 72);
      if (n == 200) {
        assertThat(uniformRejected).as("uniform, n=%d", n).isGreaterThan(990);
        assertThat(exponentialRejected).as("exponential, n=%d", n).isEqualTo(trials);
      }
      if (n == 30) {
        assertThat(exponentialRejected).as("exponential, n=%d", n).isGreaterThan(700);
      }
    }
  }

  @Test
  void theStatisticIgnoresLocationAndScale() {
    double[] y = new double[MTCARS_MPG.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = -1000 + 0.001 * MTCARS_MPG[i];
    }
    assertThat(ShapiroWilk.test(y).w()).isCloseTo(ShapiroWilk.test(MTCARS_MPG).w(), within(1e-9));
  }

  @Test
  void refusesWhatItCannotTest() {
    assertThatThrownBy(() -> ShapiroWilk.test(new double[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShapiroWilk.test(new double[5001]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShapiroWilk.test(new double[] {2, 2, 2, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("equal");
    assertThatThrownBy(() -> ShapiroWilk.test(new double[] {1, 2, Double.NaN}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theNormalQuantileInvertsTheDistributionFunction() {
    assertThat(Normal.quantile(0.975)).isCloseTo(1.959963984540054, within(1e-12));
    assertThat(Normal.quantile(0.5)).isCloseTo(0.0, within(1e-15));
    assertThat(Normal.quantile(1e-10)).isCloseTo(-6.361340902404056, within(1e-9));
    assertThat(Normal.upperTail(5)).isCloseTo(2.866515718791939e-7, within(1e-20));
    for (double p = 0.001; p < 1; p += 0.01) {
      assertThat(Normal.cdf(Normal.quantile(p))).isCloseTo(p, within(1e-14));
    }
  }
}
