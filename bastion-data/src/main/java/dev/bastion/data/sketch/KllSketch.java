package dev.bastion.data.sketch;

import dev.bastion.core.BadInputException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A KLL quantile sketch of doubles (Karnin, Lang and Liberty, "Optimal Quantile Approximation in
 * Streams", 2016): a stack of compactors where an item at level {@code h} stands for {@code 2^h}
 * inputs. Level {@code h} of {@code H} holds at most about {@code k * (2/3)^(H-1-h)} items (at
 * least 2); when the sketch is full the lowest full level is sorted and every other item, from a
 * coin-chosen offset, moves up one level. Memory is {@code O(k)} doubles whatever the input count.
 *
 * <p>Accuracy: the normalised rank error of {@link #rank(double)} and {@link #quantile(double)}
 * is about {@code 1.7 / k} at 99% confidence for a single query; the tests assert at most
 * {@code 2.5 / k} (1.25% at the default {@code k = 200}) for every query of a sketch, alone or
 * merged. The minimum, the maximum and the count are exact.
 *
 * <p>The coin is a seeded pseudo-random sequence kept in the sketch, so the same inputs in the
 * same order give the same bytes, and a deserialised sketch continues exactly as the original.
 * Not thread-safe.
 */
public final class KllSketch {
  /** Default accuracy parameter. */
  public static final int DEFAULT_K = 200;

  public static final int MIN_K = 8;
  public static final int MAX_K = 1 << 15;

  private static final int MAGIC = 0x4b4c4c31; // "KLL1"
  private static final int MAX_LEVELS = 61;

  private final int k;
  private long n;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private long coin;
  private double[][] levels = {new double[0]};
  private double[] spare = new double[16];
  private int[] sizes = {0};
  private int total; // items held
  private int capacity; // items held before a compaction

  public KllSketch(int k) {
    if (k < MIN_K || k > MAX_K) {
      throw new IllegalArgumentException("k must be " + MIN_K + " to " + MAX_K);
    }
    this.k = k;
    this.coin = 0x2545f4914f6cdd1dL ^ k;
    this.levels[0] = new double[k];
    this.capacity = totalCapacity(1);
  }

  public KllSketch() {
    this(DEFAULT_K);
  }

  public int k() {
    return k;
  }

  /** Values added. */
  public long count() {
    return n;
  }

  public boolean isEmpty() {
    return n == 0;
  }

  /** The smallest value added, or NaN if empty. */
  public double min() {
    return n == 0 ? Double.NaN : min;
  }

  /** The largest value added, or NaN if empty. */
  public double max() {
    return n == 0 ? Double.NaN : max;
  }

  /** The normalised rank error the tests hold this sketch to: {@code 2.5 / k}. */
  public double rankErrorBound() {
    return 2.5 / k;
  }

  /** Items held (for memory accounting). */
  public int retained() {
    return total;
  }

  private int levelCapacity(int level, int height) {
    if (level == 0) {
      return k; // items of weight 1: a larger buffer costs k doubles and saves sorting often
    }
    double c = k * Math.pow(2.0 / 3.0, height - 1 - level);
    return Math.max(2, (int) Math.ceil(c));
  }

  private int totalCapacity(int height) {
    int c = 0;
    for (int h = 0; h < height; h++) {
      c += levelCapacity(h, height);
    }
    return c;
  }

  /**
   * Adds a value.
   *
   * @throws IllegalArgumentException if {@code v} is NaN
   */
  public void update(double v) {
    if (Double.isNaN(v)) {
      throw new IllegalArgumentException("NaN has no rank");
    }
    if (total >= capacity) {
      compress();
    }
    if (sizes[0] == levels[0].length) {
      levels[0] = Arrays.copyOf(levels[0], Math.max(8, sizes[0] * 2));
    }
    levels[0][sizes[0]++] = v;
    total++;
    n++;
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }

  /** Compacts levels until the sketch is below its capacity. */
  private void compress() {
    while (total >= capacity) {
      int height = sizes.length;
      int h = 0;
      while (h < height && sizes[h] < levelCapacity(h, height)) {
        h++;
      }
      if (h == height) {
        h = 0; // capacity reached with no single level full: compact the lowest non-trivial level
        while (sizes[h] < 2) {
          h++;
        }
      }
      compact(h);
    }
  }

  private void compact(int h) {
    if (h + 1 == sizes.length) {
      if (sizes.length >= MAX_LEVELS) {
        throw new IllegalStateException("KLL sketch too deep");
      }
      levels = Arrays.copyOf(levels, sizes.length + 1);
      sizes = Arrays.copyOf(sizes, sizes.length + 1);
      levels[h + 1] = new double[0];
      capacity = totalCapacity(sizes.length);
    }
    double[] items = levels[h];
    int size = sizes[h];
    if (h == 0) {
      Arrays.sort(items, 0, size);
    }
    // An odd item out stays at this level: the smallest, so what moves up is a contiguous run.
    int keep = size % 2;
    int offset = nextCoin() ? 1 : 0;
    int moved = (size - keep) / 2;
    // Merge every other item (from keep + offset, stride 2) with the sorted level above, into the
    // spare array, which then becomes that level: no allocation once the arrays have grown.
    double[] above = levels[h + 1];
    int aboveSize = sizes[h + 1];
    int need = aboveSize + moved;
    if (spare.length < need) {
      spare = new double[Math.max(need, spare.length * 2)];
    }
    double[] out = spare;
    int i = 0;
    int j = 0;
    int o = 0;
    int first = keep + offset;
    while (i < aboveSize && j < moved) {
      double b = items[first + 2 * j];
      if (above[i] <= b) {
        out[o++] = above[i++];
      } else {
        out[o++] = b;
        j++;
      }
    }
    while (i < aboveSize) {
      out[o++] = above[i++];
    }
    while (j < moved) {
      out[o++] = items[first + 2 * j++];
    }
    spare = above;
    levels[h + 1] = out;
    sizes[h + 1] = need;
    sizes[h] = keep;
    total -= moved;
  }

  private boolean nextCoin() {
    coin += 0x9e3779b97f4a7c15L;
    return (Hashing.mix(coin) & 1) == 1;
  }

  private static void mergeSorted(double[] a, int na, double[] b, int nb, double[] out) {
    int i = 0;
    int j = 0;
    int o = 0;
    while (i < na && j < nb) {
      out[o++] = a[i] <= b[j] ? a[i++] : b[j++];
    }
    while (i < na) {
      out[o++] = a[i++];
    }
    while (j < nb) {
      out[o++] = b[j++];
    }
  }

  /**
   * Adds {@code other}'s values to this sketch; {@code other} is unchanged.
   *
   * @throws IllegalArgumentException if the sketches have different {@code k}
   */
  public void merge(KllSketch other) {
    if (other.k != k) {
      throw new IllegalArgumentException("cannot merge KLL k=" + other.k + " into k=" + k);
    }
    if (other.n == 0) {
      return;
    }
    while (sizes.length < other.sizes.length) {
      levels = Arrays.copyOf(levels, sizes.length + 1);
      sizes = Arrays.copyOf(sizes, sizes.length + 1);
      levels[sizes.length - 1] = new double[0];
    }
    for (int h = 0; h < other.sizes.length; h++) {
      int no = other.sizes[h];
      if (no == 0) {
        continue;
      }
      double[] merged = new double[sizes[h] + no];
      if (h == 0) {
        System.arraycopy(levels[0], 0, merged, 0, sizes[0]);
        System.arraycopy(other.levels[0], 0, merged, sizes[0], no);
      } else {
        mergeSorted(levels[h], sizes[h], other.levels[h], no, merged);
      }
      levels[h] = merged;
      sizes[h] += no;
      total += no;
    }
    n += other.n;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
    capacity = totalCapacity(sizes.length);
    compress();
  }

  public KllSketch copy() {
    KllSketch c = new KllSketch(k);
    c.n = n;
    c.min = min;
    c.max = max;
    c.coin = coin;
    c.total = total;
    c.capacity = capacity;
    c.sizes = sizes.clone();
    c.levels = new double[levels.length][];
    for (int h = 0; h < levels.length; h++) {
      c.levels[h] = Arrays.copyOf(levels[h], Math.max(sizes[h], h == 0 ? 8 : 2));
    }
    return c;
  }

  /** The retained items with their weights, sorted by value. */
  public WeightedItems items() {
    double[] v = new double[total];
    long[] w = new long[total];
    int o = 0;
    for (int h = 0; h < sizes.length; h++) {
      for (int i = 0; i < sizes[h]; i++) {
        v[o] = levels[h][i];
        w[o++] = 1L << h;
      }
    }
    // Sort by value, carrying weights: sort indices by value.
    Integer[] idx = new Integer[total];
    for (int i = 0; i < total; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
    double[] sv = new double[total];
    long[] cw = new long[total];
    long acc = 0;
    for (int i = 0; i < total; i++) {
      sv[i] = v[idx[i]];
      acc += w[idx[i]];
      cw[i] = acc;
    }
    return new WeightedItems(sv, cw, n);
  }

  /**
   * The retained values, sorted, with cumulative weights: a step function that estimates the
   * distribution function, {@code F(x) = cumulative[i] / n} for the last {@code values[i] <= x}.
   */
  public static final class WeightedItems {
    private final double[] values;
    private final long[] cumulative;
    private final long n;

    WeightedItems(double[] values, long[] cumulative, long n) {
      this.values = values;
      this.cumulative = cumulative;
      this.n = n;
    }

    /** The estimated fraction of values {@code <= x}. */
    public double cdf(double x) {
      if (n == 0) {
        return Double.NaN;
      }
      int lo = 0;
      int hi = values.length; // first index with value > x
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (values[mid] <= x) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo == 0 ? 0.0 : (double) cumulative[lo - 1] / n;
    }

    /** The retained values, sorted (a copy). */
    public double[] values() {
      return values.clone();
    }

    /** The smallest retained value whose estimated rank reaches {@code q}. */
    public double quantile(double q) {
      if (n == 0) {
        return Double.NaN;
      }
      long target = (long) Math.ceil(q * n);
      for (int i = 0; i < values.length; i++) {
        if (cumulative[i] >= target) {
          return values[i];
        }
      }
      return values[values.length - 1];
    }
  }

  /** The estimated fraction of values {@code <= x}; NaN if empty. */
  public double rank(double x) {
    if (n == 0) {
      return Double.NaN;
    }
    long below = 0;
    for (int h = 0; h < sizes.length; h++) {
      long c = 0;
      for (int i = 0; i < sizes[h]; i++) {
        if (levels[h][i] <= x) {
          c++;
        }
      }
      below += c << h;
    }
    return (double) below / n;
  }

  /**
   * An estimate of the {@code q}-quantile, {@code 0 <= q <= 1}: {@code 0} gives the exact minimum
   * and {@code 1} the exact maximum; NaN if empty.
   */
  public double quantile(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("q must be in [0, 1]");
    }
    if (n == 0) {
      return Double.NaN;
    }
    if (q == 0) {
      return min;
    }
    if (q == 1) {
      return max;
    }
    return items().quantile(q);
  }

  /**
   * Canonical bytes: magic, k, n, coin state, min, max, the number of levels, then each level's
   * size and items (the lowest level in arrival order, the others sorted).
   */
  public byte[] toBytes() {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 8 + 8 + 8 + 4 + 4 * sizes.length + 8 * total);
    b.putInt(MAGIC).putInt(k).putLong(n).putLong(coin).putDouble(min).putDouble(max);
    b.putInt(sizes.length);
    for (int h = 0; h < sizes.length; h++) {
      b.putInt(sizes[h]);
      for (int i = 0; i < sizes[h]; i++) {
        b.putDouble(levels[h][i]);
      }
    }
    return b.array();
  }

  /**
   * Reads a sketch written by {@link #toBytes()}, checking its invariants: the level weights add up
   * to the count, every item lies within [min, max], the upper levels are sorted, no level holds
   * more than its capacity allows.
   *
   * @throws BadInputException if the bytes are not a valid sketch
   */
  public static KllSketch fromBytes(byte[] bytes) throws BadInputException {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      if (b.getInt() != MAGIC) {
        throw new BadInputException("not a KLL sketch");
      }
      int k = b.getInt();
      if (k < MIN_K || k > MAX_K) {
        throw new BadInputException("KLL k " + k + " out of range");
      }
      KllSketch s = new KllSketch(k);
      s.n = b.getLong();
      s.coin = b.getLong();
      s.min = b.getDouble();
      s.max = b.getDouble();
      int height = b.getInt();
      if (height < 1 || height > MAX_LEVELS) {
        throw new BadInputException("KLL level count " + height + " out of range");
      }
      if (s.n < 0) {
        throw new BadInputException("KLL count is negative");
      }
      if (s.n == 0 ? s.min != Double.POSITIVE_INFINITY || s.max != Double.NEGATIVE_INFINITY
          : !(s.min <= s.max)) {
        throw new BadInputException("KLL min and max are inconsistent");
      }
      s.levels = new double[height][];
      s.sizes = new int[height];
      s.capacity = s.totalCapacity(height);
      long weight = 0;
      for (int h = 0; h < height; h++) {
        int size = b.getInt();
        if (size < 0 || size > b.remaining() / 8 || size > s.capacity) {
          throw new BadInputException("KLL level " + h + " size out of range");
        }
        double[] items = new double[Math.max(size, h == 0 ? 8 : 2)];
        for (int i = 0; i < size; i++) {
          double v = b.getDouble();
          if (!(v >= s.min && v <= s.max)) {
            throw new BadInputException("KLL item outside [min, max]");
          }
          if (h > 0 && i > 0 && v < items[i - 1]) {
            throw new BadInputException("KLL level " + h + " is not sorted");
          }
          items[i] = v;
        }
        s.levels[h] = items;
        s.sizes[h] = size;
        s.total += size;
        if (size > (Long.MAX_VALUE >> h)) {
          throw new BadInputException("KLL weights overflow");
        }
        weight += (long) size << h;
        if (weight < 0) {
          throw new BadInputException("KLL weights overflow");
        }
      }
      if (b.hasRemaining()) {
        throw new BadInputException("KLL sketch has trailing bytes");
      }
      if (weight != s.n) {
        throw new BadInputException("KLL level weights do not add up to the count");
      }
      if (s.total > s.capacity) {
        throw new BadInputException("KLL sketch holds more items than its capacity");
      }
      return s;
    } catch (BufferUnderflowException e) {
      throw new BadInputException("KLL sketch is truncated", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KllSketch s && Arrays.equals(s.toBytes(), toBytes());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(toBytes());
  }
}
