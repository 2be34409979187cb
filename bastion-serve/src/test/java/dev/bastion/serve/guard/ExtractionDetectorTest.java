package dev.bastion.serve.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.serve.guard.ExtractionDetector.Reason;
import dev.bastion.serve.guard.ExtractionDetector.Settings;
import dev.bastion.serve.guard.ExtractionDetector.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ExtractionDetectorTest {
  static final int DIM = 5;
  long now;

  ExtractionDetector detector(Settings s) {
    return new ExtractionDetector(DIM, DIM, s, () -> now);
  }

  /** Natural-looking queries: independent standard normal coordinates. */
  static double[] natural(Random rnd) {
    double[] x = new double[DIM];
    for (int j = 0; j < DIM; j++) {
      x[j] = rnd.nextGaussian();
    }
    return x;
  }

  /** Bisection between two points: steps halving down to a thousandth. */
  static List<double[]> bisections(Random rnd, int n) {
    List<double[]> out = new ArrayList<>();
    while (out.size() < n) {
      double[] a = natural(rnd);
      double[] b = natural(rnd);
      double lo = 0;
      double hi = 1;
      for (int k = 0; k < 10; k++) {
        double mid = (lo + hi) / 2;
        double[] x = new double[DIM];
        for (int j = 0; j < DIM; j++) {
          x[j] = a[j] + mid * (b[j] - a[j]);
        }
        out.add(x);
        if (rnd.nextBoolean()) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
    }
    return out;
  }

  @Test
  void naturalQueriesRaiseNoAlarm() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    Random rnd = new Random(1);
    for (int i = 0; i < 1000; i++) {
      now += 1_000_000_000L;
      Verdict v = d.observe("alice", natural(rnd), rnd.nextBoolean() ? "yes" : "no");
      assertThat(v.suspected()).as("query %d: %s", i + 1, v).isFalse();
    }
    assertThat(d.suspected("alice")).isFalse();
  }

  @Test
  void theAlarmIsRaisedOnceAndLatchedUntilForgotten() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    List<Verdict> alarms = new ArrayList<>();
    Verdict last = null;
    for (double[] x : bisections(new Random(2), 300)) {
      last = d.observe("mallory", x, x[0] > 0 ? "yes" : "no");
      if (last.alarm()) {
        alarms.add(last);
      }
    }
    assertThat(alarms).hasSize(1);
    assertThat(alarms.get(0).reasons()).contains(Reason.DISTANCE_RANGE);
    assertThat(alarms.get(0).queries()).isLessThan(100);
    assertThat(last.suspected()).isTrue();
    assertThat(last.alarm()).isFalse();
    assertThat(d.suspected("mallory")).isTrue();
    assertThat(d.suspected("alice")).isFalse();

    d.forget("mallory");
    assertThat(d.suspected("mallory")).isFalse();
    assertThat(d.trackedClients()).isZero();
  }

  @Test
  void queriesSpreadOverTheWholeRangeRaiseCoverage() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    Random rnd = new Random(3);
    Verdict v = null;
    for (int i = 0; i < Settings.DEFAULT.minDistances(); i++) {
      double[] x = new double[DIM];
      for (int j = 0; j < DIM; j++) {
        x[j] = -4 + 8 * rnd.nextDouble(); // uniform over ±4 standard deviations: mean square 5.3
      }
      v = d.observe("eve", x, "yes");
      assertThat(v.alarm()).isEqualTo(i == Settings.DEFAULT.minDistances() - 1);
    }
    assertThat(v.reasons()).contains(Reason.COVERAGE);
    assertThat(v.spread()).isGreaterThan(Settings.DEFAULT.maxSpread());
  }

  @Test
  void exactRepeatsAddNoDistance() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    double[] x = {0.1, -0.2, 0.3, 0, 0.5};
    d.observe("bob", x, "yes");
    Verdict v = null;
    for (int i = 0; i < 200; i++) {
      v = d.observe("bob", x.clone(), "yes");
    }
    assertThat(v.distances()).isZero();
    assertThat(v.distance()).isNaN();
    assertThat(v.suspected()).isFalse();
  }

  @Test
  void aBurstBeyondTheVolumeLimitIsFlagged() {
    ExtractionDetector d = detector(Settings.DEFAULT.withVolume(10, 1_000_000_000L));
    Random rnd = new Random(4);
    for (int i = 0; i < 20; i++) {
      now += 200_000_000L; // five a second, for four seconds: never more than 10 a second
      Verdict quiet = d.observe("carol", natural(rnd), "yes");
      assertThat(quiet.suspected()).as("query %d: %s", i + 1, quiet).isFalse();
    }
    // Then a burst: with the last second's five queries, the sixth of the burst is the eleventh.
    List<Integer> alarms = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      now += 1_000_000L;
      Verdict v = d.observe("carol", natural(rnd), "yes");
      if (v.alarm()) {
        assertThat(v.reasons()).containsExactly(Reason.VOLUME);
        alarms.add(i);
      }
    }
    assertThat(alarms).containsExactly(6);
  }

  @Test
  void theLeastRecentlySeenClientIsForgottenBeyondTheLimit() {
    ExtractionDetector d = detector(Settings.DEFAULT.withLimits(100, 2));
    Random rnd = new Random(5);
    d.observe("a", natural(rnd), "yes");
    d.observe("b", natural(rnd), "yes");
    d.observe("a", natural(rnd), "yes");
    d.observe("c", natural(rnd), "yes");
    assertThat(d.trackedClients()).isEqualTo(2);
    assertThat(d.observe("b", natural(rnd), "yes").queries()).isEqualTo(1);
    assertThat(d.observe("c", natural(rnd), "yes").queries()).isEqualTo(2);
  }

  @Test
  void keptVectorsAreBoundedPerClient() {
    ExtractionDetector d = detector(Settings.DEFAULT.withLimits(20, 10));
    Random rnd = new Random(6);
    for (int i = 0; i < 2000; i++) {
      d.observe("dave", natural(rnd), "yes");
    }
    // Nothing to see from outside but time and memory; the distances stay those of a small set.
    assertThat(d.observe("dave", natural(rnd), "yes").distance()).isGreaterThan(0.1);
  }

  @Test
  void aDetectorWithFeatureVectorsEncodesInstancesItself() throws Exception {
    FeatureVectors vectors = new FeatureVectors(FeatureVectorsTest.SPEC);
    ExtractionDetector d = new ExtractionDetector(vectors, Settings.DEFAULT, () -> now);
    Verdict v = d.observe("frank", Map.of("age", "50", "colour", "red", "city", "tok_a"), "yes");
    assertThat(v.queries()).isEqualTo(1);
    assertThat(v.spread()).isEqualTo(1.0); // (50 - 40) / 10 squared
    assertThatThrownBy(() -> d.observe("frank", Map.of("age", "50"), "yes"))
        .isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> detector(Settings.DEFAULT).observe("frank", Map.of(), "yes"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesVectorsOfTheWrongShape() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    assertThatThrownBy(() -> d.observe("x", new double[DIM + 1], "yes"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.observe("x", new double[] {0, 0, Double.NaN, 0, 0}, "yes"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Settings(1.5, 0.9, 2.5, 30, 1000, 10, 10, 10, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Settings(0.3, 0.9, 2.5, 30, 6000, 10, 10, 10, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void clientsObservedFromManyThreadsKeepTheirOwnCounts() throws Exception {
    ExtractionDetector d = detector(Settings.DEFAULT);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Long>> results = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        String client = "client-" + (c % 4);
        long seed = c;
        results.add(pool.submit(() -> {
          Random rnd = new Random(seed);
          long last = 0;
          for (int i = 0; i < 250; i++) {
            last = Math.max(last, d.observe(client, natural(rnd), "yes").queries());
          }
          return last;
        }));
      }
      for (Future<Long> f : results) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    for (int c = 0; c < 4; c++) {
      assertThat(d.observe("client-" + c, natural(new Random(99)), "yes").queries())
          .isEqualTo(501);
    }
  }

  /** Uniform over ±4 standard deviations in every coordinate: mean square 5.3. */
  static double[] wide(Random rnd) {
    double[] x = new double[DIM];
    for (int j = 0; j < DIM; j++) {
      x[j] = -4 + 8 * rnd.nextDouble();
    }
    return x;
  }

  /**
   * Coverage is a window over the latest queries that are not repeats: neither a long history of
   * natural queries nor copies of one query banked first hide wide ones later (QA: it was a mean
   * since the client's first query).
   */
  @Test
  void coverageIsAWindowThatRepeatsDoNotDilute() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    Random rnd = new Random(7);
    for (int i = 0; i < 1000; i++) {
      now += 1_000_000_000L; // a query a second: the volume signal stays quiet
      assertThat(d.observe("natural-first", natural(rnd), "yes").suspected()).isFalse();
    }
    double[] one = natural(rnd);
    for (int i = 0; i < 1000; i++) {
      now += 1_000_000_000L;
      assertThat(d.observe("repeats-first", one.clone(), "yes").suspected()).isFalse();
    }
    int[] caught = new int[2];
    for (int i = 1; i <= ExtractionDetector.COVERAGE_WINDOW; i++) {
      for (int c = 0; c < 2; c++) {
        String client = c == 0 ? "natural-first" : "repeats-first";
        // every wide query padded with three copies of the one banked first
        for (int k = 0; k < 4; k++) {
          now += 1_000_000_000L;
          Verdict v = d.observe(client, k == 0 ? wide(rnd) : one.clone(), "yes");
          if (v.alarm()) {
            assertThat(v.reasons()).contains(Reason.COVERAGE);
            caught[c] = i;
          }
        }
      }
    }
    assertThat(caught[0]).isBetween(1, ExtractionDetector.COVERAGE_WINDOW);
    assertThat(caught[1]).isBetween(1, Settings.DEFAULT.minDistances());
  }

  /** One far value is clipped: it cannot carry the coverage signal alone. */
  @Test
  void oneFarValueDoesNotRaiseCoverage() {
    ExtractionDetector d = detector(Settings.DEFAULT);
    Random rnd = new Random(8);
    for (int i = 0; i < 40; i++) {
      double[] x = natural(rnd);
      if (i == 3) {
        x[0] = 350; // credit_amount 1000000 is 350 standard deviations out
      }
      Verdict v = d.observe("benign", x, rnd.nextBoolean() ? "yes" : "no");
      assertThat(v.suspected()).as("query %d: %s", i + 1, v).isFalse();
    }
  }

  @Test
  void aVolumeLimitOfZeroTurnsTheSignalOff() {
    ExtractionDetector d = detector(Settings.DEFAULT.withVolume(0, 1_000_000_000L));
    Random rnd = new Random(9);
    for (int i = 0; i < 2000; i++) {
      now += 1_000L;
      assertThat(d.observe("burst", natural(rnd), "yes").suspected()).isFalse();
    }
  }
}
