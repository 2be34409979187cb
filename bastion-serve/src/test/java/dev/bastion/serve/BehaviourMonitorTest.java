package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.train.OutputProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The behaviour monitor's drift, shift and latency alerts. */
class BehaviourMonitorTest {
  /** 70% good, 30% bad; confidence spread over [0.5, 1) as 10%, 20%, 30%, 25%, 15%. */
  static final OutputProfile BASELINE = new OutputProfile(
      Map.of("good", 0.7, "bad", 0.3),
      new double[] {0, 0, 0, 0, 0, 0.10, 0.20, 0.30, 0.25, 0.15}, 300);

  /** Draws a prediction as the baseline would. */
  private static void draw(SplittableRandom rnd, BehaviourMonitor m, List<String> alerts) {
    String label = rnd.nextDouble() < 0.7 ? "good" : "bad";
    double u = rnd.nextDouble();
    double[] cum = {0.10, 0.30, 0.60, 0.85, 1.0};
    int b = 0;
    while (u > cum[b]) {
      b++;
    }
    double conf = 0.5 + 0.1 * b + 0.1 * rnd.nextDouble() * 0.99;
    m.prediction(label, conf).forEach(a -> alerts.add(a.signal()));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void trafficLikeTheBaselineRaisesNothing(long seed) {
    BehaviourMonitor m = new BehaviourMonitor(BASELINE);
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String> alerts = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      draw(rnd, m, alerts);
    }

    assertThat(alerts).isEmpty();
    assertThat(m.predictionPsi()).isLessThan(BehaviourMonitor.PSI_CLEAR);
    assertThat(m.confidencePsi()).isLessThan(BehaviourMonitor.PSI_CLEAR);
  }

  @Test
  void aDriftInPredictionsIsRaisedOnceUntilItPasses() {
    BehaviourMonitor m = new BehaviourMonitor(BASELINE);
    SplittableRandom rnd = new SplittableRandom(42);
    List<String> alerts = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      draw(rnd, m, alerts);
    }
    // Everyone is now predicted "bad", with the baseline's confidence.
    for (int i = 0; i < 2000; i++) {
      m.prediction("bad", 0.75).forEach(a -> alerts.add(a.signal()));
    }
    assertThat(alerts).containsOnlyOnce("prediction_drift");
    assertThat(m.predictionPsi()).isGreaterThan(BehaviourMonitor.PSI_ALERT);

    for (int i = 0; i < 1000; i++) {
      draw(rnd, m, alerts);
    }
    assertThat(m.predictionPsi()).isLessThan(BehaviourMonitor.PSI_CLEAR);
    for (int i = 0; i < 1000; i++) {
      m.prediction("bad", 0.75).forEach(a -> alerts.add(a.signal()));
    }
    assertThat(alerts.stream().filter("prediction_drift"::equals)).hasSize(2);
  }

  @Test
  void aShiftInConfidenceAloneIsRaised() {
    BehaviourMonitor m = new BehaviourMonitor(BASELINE);
    SplittableRandom rnd = new SplittableRandom(7);
    List<String> alerts = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      // The same classes, every answer barely decided (as near a boundary an attacker probes).
      String label = rnd.nextDouble() < 0.7 ? "good" : "bad";
      m.prediction(label, 0.5 + 0.05 * rnd.nextDouble()).forEach(a -> alerts.add(a.signal()));
    }

    assertThat(alerts).containsExactly("confidence_shift");
  }

  @Test
  void aClassTheBaselineNeverPredictedCounts() {
    BehaviourMonitor m = new BehaviourMonitor(BASELINE);
    List<String> alerts = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      m.prediction("unheard-of", 0.75).forEach(a -> alerts.add(a.signal()));
    }

    assertThat(alerts).contains("prediction_drift");
  }

  @Test
  void latencyThreeTimesTheBaselineIsAnAnomaly() {
    BehaviourMonitor m = new BehaviourMonitor(BASELINE);
    List<String> alerts = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < 2000; i++) {
      m.latency(900_000 + rnd.nextInt(200_000)).forEach(a -> alerts.add(a.signal()));
    }
    assertThat(alerts).isEmpty();
    assertThat(m.latencyRatio()).isBetween(0.9, 1.1);

    for (int i = 0; i < 1000; i++) {
      m.latency(5_000_000 + rnd.nextInt(200_000)).forEach(a -> alerts.add(a.signal()));
    }
    assertThat(alerts).containsExactly("latency_anomaly");
  }

  @Test
  void slowButSmallChangesAreNotAnomalies() {
    // Three times a 0.2 ms baseline is still under the 2 ms floor of excess.
    BehaviourMonitor m = new BehaviourMonitor(BASELINE);
    List<String> alerts = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      m.latency(200_000).forEach(a -> alerts.add(a.signal()));
    }
    for (int i = 0; i < 1000; i++) {
      m.latency(1_000_000).forEach(a -> alerts.add(a.signal()));
    }
    assertThat(alerts).isEmpty();
  }
}
