package dev.bastion.data.poison;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs detectors over encoded data and lists the rows each flags. */
public final class Scan {
  /**
   * Scan options.
   *
   * @param k neighbours per row for the neighbour-based detectors
   * @param folds folds of the out-of-fold probabilities
   * @param seed seed of the folds and of the reference sample
   * @param maxReference at most this many rows are searched for neighbours: on larger data a
   *     seeded sample of this size is the reference set (see docs/poisoning.md for the effect)
   */
  public record Options(int k, int folds, long seed, int maxReference) {
    public static final Options DEFAULT = new Options(10, 5, 1, 20_000);

    public Options {
      if (k < 1 || k > 1000 || folds < 2 || folds > 100 || maxReference < 2) {
        throw new IllegalArgumentException(
            "need 1 <= k <= 1000, 2 <= folds <= 100, maxReference >= 2");
      }
    }
  }

  /**
   * A flagged row.
   *
   * @param row the 0-based index of the data row
   * @param detector the detector's name
   * @param score its score, above the detector's threshold
   */
  public record Suspect(int row, String detector, double score) {}

  /**
   * The scores of every detector and the flagged rows.
   *
   * @param rows rows scanned
   * @param scores each detector's scores, by name, in run order
   * @param thresholds each detector's threshold, by name
   * @param suspects the flagged rows, by row then detector order
   */
  public record Result(
      int rows, Map<String, double[]> scores, Map<String, Double> thresholds,
      List<Suspect> suspects) {
    public Result {
      scores = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scores));
      thresholds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(thresholds));
      suspects = List.copyOf(suspects);
    }

    /** The rows one detector flags. */
    public boolean[] flagged(String detector) {
      double[] s = scores.get(detector);
      double t = thresholds.get(detector);
      boolean[] out = new boolean[rows];
      for (int i = 0; i < rows; i++) {
        out[i] = s[i] > t;
      }
      return out;
    }

    /** The rows any detector flags. */
    public boolean[] flaggedByAny() {
      boolean[] out = new boolean[rows];
      suspects.forEach(s -> out[s.row()] = true);
      return out;
    }

    /** Each row's highest score relative to its detector's threshold (above 1: flagged). */
    public double[] combined() {
      double[] out = new double[rows];
      java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
      for (var e : scores.entrySet()) {
        double t = thresholds.get(e.getKey());
        for (int i = 0; i < rows; i++) {
          double r = t > 0 ? e.getValue()[i] / t : e.getValue()[i] - t + 1;
          out[i] = Math.max(out[i], r);
        }
      }
      return out;
    }
  }

  private Scan() {}

  /** Runs {@code detectors} on {@code data}. */
  public static Result run(Encoded data, List<Detector> detectors, Options options) {
    Signals s = new Signals(data, options);
    Map<String, double[]> scores = new LinkedHashMap<>();
    Map<String, Double> thresholds = new LinkedHashMap<>();
    List<Suspect> suspects = new ArrayList<>();
    for (Detector d : detectors) {
      double[] v = d.scores(s);
      scores.put(d.name(), v);
      thresholds.put(d.name(), d.threshold());
      for (int i = 0; i < v.length; i++) {
        if (v[i] > d.threshold()) {
          suspects.add(new Suspect(i, d.name(), v[i]));
        }
      }
    }
    List<String> order = new ArrayList<>(scores.keySet());
    suspects.sort(
        Comparator.comparingInt(Suspect::row).thenComparingInt(x -> order.indexOf(x.detector())));
    return new Result(data.rows(), scores, thresholds, suspects);
  }
}
