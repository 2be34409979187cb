package dev.bastion.serve.guard;

import dev.bastion.core.BadInputException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Watches each client's queries to one model for signs of model extraction, and latches an alarm
 * per client.
 *
 * <p><b>Distances (PRADA, Juuti et al. 2019).</b> For each query {@code x} with predicted class
 * {@code c}, the detector takes the smallest L2 distance {@code d} from {@code x} to the client's
 * earlier kept queries of class {@code c} (its "growing set"; numeric coordinates held within
 * {@link #MAX_DISTANCE_Z} of the mean) and appends {@code d} to the
 * client's distance list. {@code x} joins the growing set only when {@code d} exceeds the class's
 * threshold, the largest {@code mean − std} of the distances its members joined with; so
 * near-copies do not crowd the set. An exact repeat of one of the client's recent queries tells it
 * nothing new and adds no distance (benign clients retry). Once the list holds {@link
 * Settings#minDistances()} values, two tests run on its last {@link Settings#window()} values at
 * every query:
 *
 * <ul>
 *   <li>{@link Reason#NORMALITY}: PRADA's own test, the Shapiro–Wilk W of the distances below
 *       {@link Settings#delta()}. Natural images give nearly normal distances; tabular data with
 *       skewed columns does not (W of benign replay goes down to about 0.49 on breast-cancer), so
 *       delta is low and, in the simulation, this test never fires before the others.
 *   <li>{@link Reason#DISTANCE_RANGE}: the standard deviation of {@code log d} above {@link
 *       Settings#maxLogDistanceSd()}. Natural inputs sit at a typical distance from their
 *       neighbours (a standard deviation of at most 0.64 in log on the project's data sets);
 *       synthetic queries made by small steps from earlier ones (Jacobian augmentation, line
 *       search, bisection) mix steps of very different sizes. It does not depend on the scale of
 *       the features.
 * </ul>
 *
 * <p><b>Coverage.</b> Each query's numeric coordinates are standardised with the training mean
 * and standard deviation, so over inputs like the training data their mean square is about 1.
 * Each square is clipped at {@link #MAX_Z}{@code ²}, so that one far value (in the schema's
 * range, far out of distribution) cannot carry the signal alone. A client whose mean of it over
 * its last {@link #COVERAGE_WINDOW} queries that are not exact repeats exceeds {@link
 * Settings#maxSpread()} (once {@link Settings#minDistances()} are in) is covering far more of the
 * feature space than the data does, as a client drawing inputs uniformly over the columns' ranges
 * would ({@link Reason#COVERAGE}). A window, not a mean since the first query, and repeats left
 * out: a client cannot bank ordinary queries, or one query asked again and again, and then cover
 * the space unseen.
 *
 * <p><b>Volume.</b> More than {@link Settings#maxQueriesPerWindow()} queries within {@link
 * Settings#volumeWindowNanos()} raises {@link Reason#VOLUME} (a limit of 0 turns it off).
 *
 * <p><b>Limits.</b> Memory is bounded: at most {@link Settings#maxClients()} clients are tracked
 * (the least recently seen is forgotten first, alarm included, so an evicted client starts
 * afresh: the caller's ledger keeps the alert), and per client at most {@link Settings#maxKept()}
 * vectors, as many repeat fingerprints, {@link Settings#window()} distances and {@link
 * Settings#maxQueriesPerWindow()} timestamps. Thread-safe: clients are independent, and one
 * client's queries are handled one at a time.
 */
public final class ExtractionDetector {

  /**
   * Tuning.
   *
   * @param delta {@link Reason#NORMALITY} when the Shapiro–Wilk W of the distances is below this
   * @param maxLogDistanceSd {@link Reason#DISTANCE_RANGE} when the standard deviation of the log
   *     distances exceeds this
   * @param maxSpread {@link Reason#COVERAGE} when the mean squared standardised value (clipped,
   *     over the coverage window) exceeds this
   * @param minDistances distances needed before the distance tests run (and queries before the
   *     coverage test does)
   * @param window the distance tests use the last this many distances (at most 5000)
   * @param maxKept most growing-set vectors kept per client (oldest of the largest class dropped
   *     first)
   * @param maxClients most clients tracked at once
   * @param maxQueriesPerWindow {@link Reason#VOLUME} when more queries than this fall within the
   *     volume window; 0 turns the volume signal off
   * @param volumeWindowNanos the volume window
   */
  public record Settings(
      double delta,
      double maxLogDistanceSd,
      double maxSpread,
      int minDistances,
      int window,
      int maxKept,
      int maxClients,
      int maxQueriesPerWindow,
      long volumeWindowNanos) {

    /**
     * Defaults tuned on the simulation in {@code ExtractionSimulationTest} (measured in {@code
     * docs/extraction.md}): benign replay by 200 clients of 500 queries each, on breast-cancer and
     * on credit-g, raised no alarm; the worst benign client reached W 0.560 (delta 0.35), a
     * log-distance standard deviation of 0.616 (limit 0.8) and a spread of 1.32 (limit 2.0; it
     * was 2.5 over the unclipped mean since the first query, whose benign worst was 1.98). Memory
     * per client is about {@code maxKept × dimension × 8} bytes (0.5 MB for credit-g's 63
     * coordinates), so the worst case of the defaults is some 500 MB for such a model: a gateway
     * with many clients lowers {@code maxClients}.
     */
    public static final Settings DEFAULT =
        new Settings(0.35, 0.8, 2.0, 30, 1000, 1000, 1000, 1000, 60_000_000_000L);

    /** Checks the ranges. */
    public Settings {
      if (!(delta > 0 && delta < 1)) {
        throw new IllegalArgumentException("delta must be in (0, 1): " + delta);
      }
      if (!(maxLogDistanceSd > 0)) {
        throw new IllegalArgumentException("maxLogDistanceSd must be positive");
      }
      if (!(maxSpread > 1)) {
        throw new IllegalArgumentException("maxSpread must be above 1: " + maxSpread);
      }
      if (minDistances < ShapiroWilk.MIN_N
          || window < minDistances
          || window > ShapiroWilk.MAX_N) {
        throw new IllegalArgumentException(
            "need 3 <= minDistances <= window <= 5000: " + minDistances + ", " + window);
      }
      if (maxKept < 1 || maxClients < 1 || maxQueriesPerWindow < 0 || volumeWindowNanos < 1) {
        throw new IllegalArgumentException("limits must be positive (the volume limit 0: off)");
      }
    }

    /** The same settings with other thresholds of the three statistical signals. */
    public Settings withThresholds(double w, double logSd, double spread) {
      return new Settings(w, logSd, spread, minDistances, window, maxKept, maxClients,
          maxQueriesPerWindow, volumeWindowNanos);
    }

    /** The same settings with another volume limit. */
    public Settings withVolume(int queries, long windowNanos) {
      return new Settings(delta, maxLogDistanceSd, maxSpread, minDistances, window, maxKept,
          maxClients, queries, windowNanos);
    }

    /** The same settings with other memory limits. */
    public Settings withLimits(int kept, int clients) {
      return new Settings(delta, maxLogDistanceSd, maxSpread, minDistances, window, kept, clients,
          maxQueriesPerWindow, volumeWindowNanos);
    }
  }

  /** Why a client is suspected. */
  public enum Reason {
    /** The Shapiro–Wilk W of the client's query distances fell below delta (PRADA). */
    NORMALITY,
    /** The client's query distances span too many orders of magnitude. */
    DISTANCE_RANGE,
    /** The client's queries cover far more of the feature space than the training data. */
    COVERAGE,
    /** The client sent more queries in the volume window than allowed. */
    VOLUME
  }

  /**
   * What one query showed.
   *
   * @param alarm true for exactly one query per client: the one that raised the alarm, so the
   *     caller records one ledger alert
   * @param suspected the latched state: true from the alarm on, until {@link #forget}
   * @param reasons the signals that fired at this query (empty if none did)
   * @param distance this query's distance to the nearest kept query of its class, NaN if it added
   *     none (the client's first of the class, or an exact repeat)
   * @param w the latest Shapiro–Wilk W of the distances, NaN before it is first computed
   * @param logDistanceSd the latest standard deviation of the log distances, NaN before it is
   *     first computed
   * @param distances the number of distances the tests used
   * @param spread the mean over the coverage window of the mean squared standardised numeric
   *     value (each square clipped at {@link #MAX_Z}{@code ²}): about 1 for inputs like the
   *     training data
   * @param queries the client's queries so far, this one included
   */
  public record Verdict(
      boolean alarm,
      boolean suspected,
      Set<Reason> reasons,
      double distance,
      double w,
      double logDistanceSd,
      int distances,
      double spread,
      long queries) {
    /** Copies the reasons. */
    public Verdict {
      reasons = reasons.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(reasons));
    }
  }

  /**
   * The coverage signal is the mean over this many of the client's latest queries that are not
   * exact repeats of a recent one: a window, so that a client cannot bank a long history of
   * ordinary queries (or of one query asked again and again) and then cover the space freely.
   */
  public static final int COVERAGE_WINDOW = 200;

  /**
   * Each standardised numeric value counts at most this far from the training mean in the
   * coverage signal: one extreme value (in the schema's range but far out of distribution) then
   * weighs like any other far value, not like hundreds of ordinary queries.
   */
  public static final double MAX_Z = 3;

  /**
   * Each standardised numeric value is held within this many standard deviations of the training
   * mean before distances are measured: one far value then makes one far query, not a distance
   * that dwarfs all the others and sinks the distance tests.
   */
  public static final double MAX_DISTANCE_Z = 8;

  private final Settings settings;
  private final int dimension;
  private final int numericCoordinates;
  private final LongSupplier nanoClock;
  private final Optional<FeatureVectors> vectors;
  /** Keys the repeat fingerprints, so a client cannot make a new query collide with an old one. */
  private final long fingerprintKey = new SecureRandom().nextLong();
  private final LinkedHashMap<String, ClientState> clients;

  /**
   * A detector for the vectors of one model, with {@link Settings#DEFAULT} and the system clock.
   */
  public ExtractionDetector(FeatureVectors vectors) {
    this(vectors, Settings.DEFAULT, System::nanoTime);
  }

  /**
   * A detector for the vectors of one model, with {@code settings}, reading time (for volume)
   * from {@code nanoClock}; it can also {@linkplain #observe(String, Map, String) encode}
   * instances itself.
   */
  public ExtractionDetector(FeatureVectors vectors, Settings settings, LongSupplier nanoClock) {
    this(vectors.dimension(), vectors.numericDimension(), settings, nanoClock,
        Optional.of(vectors));
  }

  /**
   * A detector for vectors of {@code dimension} coordinates whose first {@code
   * numericCoordinates} are standardised numbers (the rest one-hot), with {@code settings}, reading
   * time (for volume) from {@code nanoClock}.
   */
  public ExtractionDetector(
      int dimension, int numericCoordinates, Settings settings, LongSupplier nanoClock) {
    this(dimension, numericCoordinates, settings, nanoClock, Optional.empty());
  }

  private ExtractionDetector(
      int dimension,
      int numericCoordinates,
      Settings settings,
      LongSupplier nanoClock,
      Optional<FeatureVectors> vectors) {
    this.vectors = vectors;
    if (dimension < 1 || numericCoordinates < 0 || numericCoordinates > dimension) {
      throw new IllegalArgumentException(
          "need 0 <= numericCoordinates <= dimension, dimension >= 1: "
              + numericCoordinates + ", " + dimension);
    }
    this.dimension = dimension;
    this.numericCoordinates = numericCoordinates;
    this.settings = Objects.requireNonNull(settings);
    this.nanoClock = Objects.requireNonNull(nanoClock);
    this.clients =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, ClientState> eldest) {
            return size() > settings.maxClients();
          }
        };
  }

  /** The settings in use. */
  public Settings settings() {
    return settings;
  }

  /**
   * Records one query of {@code client}: its feature vector (from {@link FeatureVectors}) and
   * the class the model predicted.
   *
   * @throws IllegalArgumentException if {@code x} does not have the detector's dimension or has a
   *     value that is not finite
   */
  public Verdict observe(String client, double[] x, String predictedLabel) {
    Objects.requireNonNull(client);
    Objects.requireNonNull(predictedLabel);
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "feature vector has dimension " + x.length + ", expected " + dimension);
    }
    for (double v : x) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("feature vector has a value that is not finite");
      }
    }
    long now = nanoClock.getAsLong();
    ClientState state;
    synchronized (clients) {
      state = clients.computeIfAbsent(client, k -> new ClientState());
    }
    synchronized (state) {
      return state.observe(x.clone(), predictedLabel, now);
    }
  }

  /**
   * Records one query of {@code client} as the gateway has it after parsing (column to value,
   * protected columns tokenised), encoding it with the detector's {@link FeatureVectors}.
   *
   * @throws BadInputException if the instance cannot be encoded (see {@link
   *     FeatureVectors#encode})
   * @throws IllegalStateException if the detector was built without {@link FeatureVectors}
   */
  public Verdict observe(String client, Map<String, String> instance, String predictedLabel)
      throws BadInputException {
    FeatureVectors v =
        vectors.orElseThrow(
            () -> new IllegalStateException("detector built without feature vectors"));
    return observe(client, v.encode(instance), predictedLabel);
  }

  /** Whether {@code client} has raised the alarm (and has not been forgotten or evicted). */
  public boolean suspected(String client) {
    ClientState state;
    synchronized (clients) {
      state = clients.get(client);
    }
    if (state == null) {
      return false;
    }
    synchronized (state) {
      return state.suspected;
    }
  }

  /** Drops everything kept about {@code client}, its alarm included. */
  public void forget(String client) {
    synchronized (clients) {
      clients.remove(client);
    }
  }

  /** The number of clients tracked now. */
  public int trackedClients() {
    synchronized (clients) {
      return clients.size();
    }
  }

  /** One class's growing set: kept vectors and the distances they joined with. */
  private static final class GrowingSet {
    final ArrayDeque<double[]> kept = new ArrayDeque<>();
    double threshold;
    long members;
    double sum;
    double sumSq;

    void add(double[] x, double d) {
      kept.addLast(x);
      members++;
      sum += d;
      sumSq += d * d;
      double mean = sum / members;
      double std = Math.sqrt(Math.max(0, sumSq / members - mean * mean));
      threshold = Math.max(threshold, mean - std);
    }
  }

  private final class ClientState {
    final Map<String, GrowingSet> sets = new HashMap<>();
    int kept;
    final LinkedHashSet<Long> recent = new LinkedHashSet<>();
    final double[] distances = new double[settings.window()];
    int distanceCount;
    int distanceNext;
    /** The clipped mean squares of the last {@link #COVERAGE_WINDOW} queries not repeats. */
    final double[] coverage = new double[COVERAGE_WINDOW];
    int coverageCount;
    int coverageNext;
    final long[] times = new long[settings.maxQueriesPerWindow()];
    int timeNext;
    long queries;
    boolean suspected;
    double lastW = Double.NaN;
    double lastLogSd = Double.NaN;

    Verdict observe(double[] x, String label, long now) {
      queries++;
      EnumSet<Reason> fired = EnumSet.noneOf(Reason.class);

      double distance = Double.NaN;
      boolean repeat = !recent.add(fingerprint(x));
      if (recent.size() > settings.maxKept()) {
        Iterator<Long> oldest = recent.iterator();
        oldest.next();
        oldest.remove();
      }
      // One far value (in range, far out of distribution) is one far query among others, not a
      // distance that dwarfs every other: numeric values count at most MAX_DISTANCE_Z standard
      // deviations from the mean (wide enough to keep the steps of synthetic queries).
      for (int j = 0; j < numericCoordinates; j++) {
        x[j] = Math.max(-MAX_DISTANCE_Z, Math.min(MAX_DISTANCE_Z, x[j]));
      }
      GrowingSet set = sets.computeIfAbsent(label, k -> new GrowingSet());
      if (!repeat) {
        if (set.kept.isEmpty()) {
          keep(set, x, 0);
        } else {
          double d = Math.sqrt(minSquaredDistance(set, x));
          if (d > 0) {
            distance = d;
            distances[distanceNext] = d;
            distanceNext = (distanceNext + 1) % distances.length;
            distanceCount = Math.min(distanceCount + 1, distances.length);
            if (d > set.threshold) {
              keep(set, x, d);
            }
          }
        }
      }
      if (distanceCount >= settings.minDistances() && !Double.isNaN(distance)) {
        double[] sample = Arrays.copyOf(distances, distanceCount);
        lastW = allEqual(sample) ? 0 : ShapiroWilk.test(sample).w();
        lastLogSd = logSd(sample);
      }
      if (lastW < settings.delta()) {
        fired.add(Reason.NORMALITY);
      }
      if (lastLogSd > settings.maxLogDistanceSd()) {
        fired.add(Reason.DISTANCE_RANGE);
      }

      if (!repeat) {
        // An exact repeat of a recent query shows nothing new of the feature space: it neither
        // counts nor dilutes.
        // Each value's square is clipped, so that one far value cannot carry the signal.
        double sq = 0;
        for (int j = 0; j < numericCoordinates; j++) {
          sq += Math.min(x[j] * x[j], MAX_Z * MAX_Z);
        }
        coverage[coverageNext] = numericCoordinates > 0 ? sq / numericCoordinates : 0;
        coverageNext = (coverageNext + 1) % coverage.length;
        coverageCount = Math.min(coverageCount + 1, coverage.length);
      }
      double sum = 0;
      for (int i = 0; i < coverageCount; i++) {
        sum += coverage[i];
      }
      double spread = sum / coverageCount;
      if (numericCoordinates > 0
          && coverageCount >= settings.minDistances()
          && spread > settings.maxSpread()) {
        fired.add(Reason.COVERAGE);
      }

      if (times.length > 0) {
        long oldest = times[timeNext];
        times[timeNext] = now;
        timeNext = (timeNext + 1) % times.length;
        if (queries > settings.maxQueriesPerWindow()
            && now - oldest < settings.volumeWindowNanos()) {
          fired.add(Reason.VOLUME);
        }
      }

      boolean alarm = !fired.isEmpty() && !suspected;
      suspected |= alarm;
      return new Verdict(alarm, suspected, fired, distance, lastW, lastLogSd, distanceCount,
          spread, queries);
    }

    private void keep(GrowingSet set, double[] x, double d) {
      set.add(x, d);
      kept++;
      if (kept > settings.maxKept()) {
        // the oldest vector of the largest set goes: it is the least likely nearest neighbour
        GrowingSet largest = set;
        for (GrowingSet g : sets.values()) {
          if (g.kept.size() > largest.kept.size()) {
            largest = g;
          }
        }
        largest.kept.pollFirst();
        kept--;
      }
    }

    private double minSquaredDistance(GrowingSet set, double[] x) {
      double best = Double.POSITIVE_INFINITY;
      for (double[] y : set.kept) {
        double s = 0;
        for (int j = 0; j < x.length && s < best; j++) {
          double t = x[j] - y[j];
          s += t * t;
        }
        if (s < best) {
          best = s;
        }
      }
      return best;
    }
  }

  /** A keyed 64-bit fingerprint of a vector (splitmix64 steps over the values' bits). */
  private long fingerprint(double[] x) {
    long h = fingerprintKey;
    for (double v : x) {
      h = mix(h ^ Double.doubleToLongBits(v == 0 ? 0.0 : v)); // -0.0 and 0.0 are one point
    }
    return h;
  }

  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static boolean allEqual(double[] v) {
    for (double d : v) {
      if (d != v[0]) {
        return false;
      }
    }
    return true;
  }

  /** The (population) standard deviation of the logs of positive values. */
  private static double logSd(double[] v) {
    double sum = 0;
    double sumSq = 0;
    for (double d : v) {
      double l = Math.log(d);
      sum += l;
      sumSq += l * l;
    }
    double mean = sum / v.length;
    return Math.sqrt(Math.max(0, sumSq / v.length - mean * mean));
  }
}
