package dev.bastion.data.poison;

/**
 * One way of finding poisoned rows. Scores are comparable within one detector only: higher is
 * more suspect, and a row is flagged when its score is above {@link #threshold()}. A detector is
 * deterministic: the same data, options and seed give the same scores.
 */
public interface Detector {
  /** A short stable name, used in output and on the command line. */
  String name();

  /** The documented default threshold: rows scoring above it are suspects. */
  double threshold();

  /** One score per row of {@code s.data()}. */
  double[] scores(Signals s);
}
