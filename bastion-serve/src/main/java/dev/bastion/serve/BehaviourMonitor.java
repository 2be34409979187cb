package dev.bastion.serve;

import dev.bastion.train.OutputProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Watches what the served model answers and how fast, against its evaluation baseline ({@link
 * OutputProfile}): the population stability index (PSI) of the predicted classes and of the
 * confidence over the last {@value #WINDOW} predictions, and the median latency of the last
 * {@value #WINDOW} requests against the median of the first {@value #WINDOW}.
 *
 * <p>A signal raises an alert when it crosses its bar — PSI above {@value #PSI_ALERT} (the usual
 * reading of "a significant shift"), a latency median above {@value #LATENCY_FACTOR} times the
 * baseline's and {@value #LATENCY_MIN_EXCESS_MS} ms more — and raises it once, until the signal
 * has come back (PSI below {@value #PSI_CLEAR}, latency below twice the baseline). Signals are
 * computed every {@value #CHECK_EVERY} observations once a window is full. Both counts are
 * smoothed with half a count per bin, so an empty bin does not make the index infinite.
 *
 * <p>Thread-safe. The caller records the returned alerts (on the ledger) outside this object's
 * lock.
 */
public final class BehaviourMonitor {
  /** Predictions and latencies in a window. */
  public static final int WINDOW = 500;

  /** Observations between two computations of the signals. */
  public static final int CHECK_EVERY = 50;

  /** PSI above which a distribution has shifted. */
  public static final double PSI_ALERT = 0.25;

  /** PSI below which a raised shift is over. */
  public static final double PSI_CLEAR = 0.10;

  /** How many times the baseline's median latency is anomalous. */
  public static final double LATENCY_FACTOR = 3.0;

  /** And by at least this much, so microsecond jitter never alerts. */
  public static final double LATENCY_MIN_EXCESS_MS = 2.0;

  /**
   * An alert to record.
   *
   * @param signal {@code prediction_drift}, {@code confidence_shift} or {@code latency_anomaly}
   * @param details the statistic, its bar and the window, as text
   */
  public record Alert(String signal, Map<String, String> details) {}

  private final List<String> classes;
  private final double[] baseLabels;
  private final double[] baseConfidence;
  private final int baseRows;

  private final int[] labelRing = new int[WINDOW];
  private final int[] binRing = new int[WINDOW];
  private final int[] labelCounts;
  private final int[] binCounts = new int[OutputProfile.BINS];
  private long predictions;

  private final long[] latencyRing = new long[WINDOW];
  private long latencies;
  private double baselineLatencyMs = Double.NaN;

  private volatile double predictionPsi;
  private volatile double confidencePsi;
  private volatile double latencyRatio;
  private boolean predictionRaised;
  private boolean confidenceRaised;
  private boolean latencyRaised;

  public BehaviourMonitor(OutputProfile baseline) {
    this.classes = new ArrayList<>(baseline.labels().keySet());
    // One more bin for a class the baseline never predicted.
    this.baseLabels = new double[classes.size() + 1];
    for (int i = 0; i < classes.size(); i++) {
      baseLabels[i] = baseline.labels().get(classes.get(i));
    }
    this.baseConfidence = baseline.confidence();
    this.baseRows = baseline.rows();
    this.labelCounts = new int[classes.size() + 1];
  }

  /** PSI of the predicted classes over the last window (0 until a window is full). */
  public double predictionPsi() {
    return predictionPsi;
  }

  /** PSI of the confidence over the last window (0 until a window is full). */
  public double confidencePsi() {
    return confidencePsi;
  }

  /** The last window's median latency over the first window's (0 until both exist). */
  public double latencyRatio() {
    return latencyRatio;
  }

  /** Records one prediction; returns the alerts it raises (usually none). */
  public synchronized List<Alert> prediction(String label, double confidence) {
    int l = classes.indexOf(label);
    int li = l < 0 ? classes.size() : l;
    int b = OutputProfile.bin(confidence);
    int slot = (int) (predictions % WINDOW);
    if (predictions >= WINDOW) {
      labelCounts[labelRing[slot]]--;
      binCounts[binRing[slot]]--;
    }
    labelRing[slot] = li;
    binRing[slot] = b;
    labelCounts[li]++;
    binCounts[b]++;
    predictions++;
    if (predictions < WINDOW || predictions % CHECK_EVERY != 0) {
      return List.of();
    }
    predictionPsi = psi(labelCounts, baseLabels);
    confidencePsi = psi(binCounts, baseConfidence);
    List<Alert> alerts = new ArrayList<>(2);
    predictionRaised = shift("prediction_drift", predictionPsi, predictionRaised, alerts);
    confidenceRaised = shift("confidence_shift", confidencePsi, confidenceRaised, alerts);
    return alerts;
  }

  /** Records one request's latency; returns the alert it raises, if any. */
  public synchronized List<Alert> latency(long nanos) {
    latencyRing[(int) (latencies % WINDOW)] = nanos;
    latencies++;
    if (latencies == WINDOW) {
      baselineLatencyMs = medianMs();
      return List.of();
    }
    if (latencies < 2 * WINDOW || latencies % CHECK_EVERY != 0) {
      return List.of();
    }
    double now = medianMs();
    double base = Math.max(baselineLatencyMs, 1e-3);
    latencyRatio = now / base;
    boolean anomalous = now > LATENCY_FACTOR * base && now - base > LATENCY_MIN_EXCESS_MS;
    if (anomalous && !latencyRaised) {
      latencyRaised = true;
      Map<String, String> d = new LinkedHashMap<>();
      d.put("median_ms", fmt(now));
      d.put("baseline_median_ms", fmt(base));
      d.put("factor", fmt(LATENCY_FACTOR));
      d.put("window", Integer.toString(WINDOW));
      return List.of(new Alert("latency_anomaly", d));
    }
    if (latencyRaised && now < 2 * base) {
      latencyRaised = false;
    }
    return List.of();
  }

  private boolean shift(String signal, double psi, boolean raised, List<Alert> alerts) {
    if (!raised && psi > PSI_ALERT) {
      Map<String, String> d = new LinkedHashMap<>();
      d.put("psi", fmt(psi));
      d.put("threshold", fmt(PSI_ALERT));
      d.put("window", Integer.toString(WINDOW));
      d.put("baseline_rows", Integer.toString(baseRows));
      alerts.add(new Alert(signal, d));
      return true;
    }
    return raised && psi >= PSI_CLEAR;
  }

  /**
   * The population stability index of the window's {@code counts} against the baseline's {@code
   * shares} (measured on {@code baseRows} rows), both smoothed by half a count per bin.
   */
  private double psi(int[] counts, double[] shares) {
    int k = counts.length;
    double n = 0;
    for (int c : counts) {
      n += c;
    }
    double sum = 0;
    for (int i = 0; i < k; i++) {
      double a = (counts[i] + 0.5) / (n + 0.5 * k);
      double e = (shares.length > i ? shares[i] * baseRows + 0.5 : 0.5) / (baseRows + 0.5 * k);
      sum += (a - e) * Math.log(a / e);
    }
    return sum;
  }

  private double medianMs() {
    long[] v = Arrays.copyOf(latencyRing, (int) Math.min(latencies, WINDOW));
    Arrays.sort(v);
    return v[v.length / 2] / 1e6;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }
}
