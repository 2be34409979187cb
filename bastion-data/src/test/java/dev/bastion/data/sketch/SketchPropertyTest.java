package dev.bastion.data.sketch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded property tests of the sketches against exact answers: error within the documented bound,
 * merge equal to the sketch of the union within the bound, byte-exact serialisation round trips.
 */
class SketchPropertyTest {
  enum Shape {
    UNIFORM, GAUSSIAN, SORTED, REVERSED, FEW_VALUES, HEAVY_TAIL
  }

  static Stream<Arguments> numericCases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 1;
    for (Shape shape : Shape.values()) {
      for (int n : new int[] {1, 100, 5_000, 200_000}) {
        for (int k : new int[] {KllSketch.MIN_K * 4, KllSketch.DEFAULT_K}) {
          out.add(Arguments.of(shape, n, k, seed++));
        }
      }
    }
    return out.stream();
  }

  static double[] data(Shape shape, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = switch (shape) {
        case UNIFORM -> r.nextDouble();
        case GAUSSIAN -> gaussian(r);
        case SORTED -> i;
        case REVERSED -> n - i;
        case FEW_VALUES -> r.nextInt(7);
        case HEAVY_TAIL -> Math.exp(3 * gaussian(r));
      };
    }
    return v;
  }

  static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /** The largest |estimated rank - true rank| over all distinct input values. */
  static double maxRankError(KllSketch s, double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    var items = s.items();
    double worst = 0;
    int n = sorted.length;
    for (int i = 0; i < n; i++) {
      if (i + 1 < n && sorted[i + 1] == sorted[i]) {
        continue;
      }
      double exact = (double) (i + 1) / n;
      worst = Math.max(worst, Math.abs(items.cdf(sorted[i]) - exact));
    }
    return worst;
  }

  @ParameterizedTest(name = "{0} n={1} k={2}")
  @MethodSource("numericCases")
  void kllRankErrorMergeAndRoundTrip(Shape shape, int n, int k, long seed) throws Exception {
    double[] v = data(shape, n, seed);
    KllSketch whole = new KllSketch(k);
    KllSketch left = new KllSketch(k);
    KllSketch right = new KllSketch(k);
    for (int i = 0; i < n; i++) {
      whole.update(v[i]);
      (i % 3 == 0 ? left : right).update(v[i]);
    }
    KllSketch merged = left.copy();
    merged.merge(right);
    List<String> problems = new ArrayList<>();
    double bound = whole.rankErrorBound();
    double e1 = maxRankError(whole, v);
    double e2 = maxRankError(merged, v);
    if (e1 > bound) {
      problems.add("single sketch rank error " + e1 + " > " + bound);
    }
    if (e2 > bound) {
      problems.add("merged sketch rank error " + e2 + " > " + bound);
    }
    double min = Arrays.stream(v).min().orElseThrow();
    double max = Arrays.stream(v).max().orElseThrow();
    if (whole.count() != n || merged.count() != n) {
      problems.add("counts " + whole.count() + " / " + merged.count());
    }
    if (whole.min() != min || merged.max() != max || whole.quantile(0) != min
        || whole.quantile(1) != max) {
      problems.add("min/max not exact");
    }
    if (whole.retained() > 4 * k) {
      problems.add("retained " + whole.retained() + " items, more than 4k");
    }
    byte[] bytes = merged.toBytes();
    if (!Arrays.equals(KllSketch.fromBytes(bytes).toBytes(), bytes)) {
      problems.add("round trip changed the bytes");
    }
    // A deserialised sketch continues exactly as the original.
    KllSketch again = KllSketch.fromBytes(whole.toBytes());
    for (int i = 0; i < 1000; i++) {
      again.update(i);
      whole.update(i);
    }
    if (!Arrays.equals(again.toBytes(), whole.toBytes())) {
      problems.add("deserialised sketch diverged");
    }
    assertThat(problems).isEmpty();
  }

  static Stream<Arguments> distinctCases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 100;
    for (int distinct : new int[] {1, 10, 1000, 5_000, 20_000, 300_000}) {
      for (int p : new int[] {10, HyperLogLog.DEFAULT_P}) {
        out.add(Arguments.of(distinct, p, seed++));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "distinct={0} p={1}")
  @MethodSource("distinctCases")
  void hyperLogLogWithinFourStandardErrors(int distinct, int p, long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    HyperLogLog whole = new HyperLogLog(p);
    HyperLogLog a = new HyperLogLog(p);
    HyperLogLog b = new HyperLogLog(p);
    Set<String> seen = new HashSet<>();
    // Each distinct value appears one to three times, in an order set by the seed.
    for (int i = 0; i < distinct; i++) {
      String s = "v" + r.nextLong();
      seen.add(s);
      for (int rep = 0, reps = 1 + r.nextInt(3); rep < reps; rep++) {
        long h = Hashing.hash(s);
        whole.addHash(h);
        (r.nextBoolean() ? a : b).addHash(h);
      }
    }
    HyperLogLog merged = a.copy();
    merged.merge(b);
    assertThat(merged).isEqualTo(whole); // register-wise max: exactly the union
    double tolerance = 4 * whole.relativeStandardError() * seen.size();
    assertThat(whole.estimate()).isCloseTo(seen.size(), org.assertj.core.data.Offset.offset(
        Math.max(tolerance, 1.0)));
    byte[] bytes = whole.toBytes();
    assertThat(HyperLogLog.fromBytes(bytes).toBytes()).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "distinct numbers={0}")
  @MethodSource("distinctCases")
  void hyperLogLogOfNumbers(int distinct, int p, long seed) {
    HyperLogLog h = new HyperLogLog(p);
    for (int i = 0; i < distinct; i++) {
      h.addHash(Hashing.hash((double) i)); // sequential values: the worst case for a weak hash
    }
    assertThat(Math.abs(h.estimate() - distinct))
        .isLessThanOrEqualTo(Math.max(4 * h.relativeStandardError() * distinct, 1.0));
  }

  static Stream<Arguments> itemCases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 500;
    for (int n : new int[] {10, 10_000, 100_000}) {
      for (int universe : new int[] {5, 100, 1000, 50_000}) {
        for (int m : new int[] {8, FrequentItems.DEFAULT_M}) {
          out.add(Arguments.of(n, universe, m, seed++));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "n={0} universe={1} m={2}")
  @MethodSource("itemCases")
  void frequentItemsWithinTheirErrorBound(int n, int universe, int m, long seed)
      throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    FrequentItems whole = new FrequentItems(m);
    FrequentItems a = new FrequentItems(m);
    FrequentItems b = new FrequentItems(m);
    Map<String, Long> exact = new HashMap<>();
    for (int i = 0; i < n; i++) {
      // Zipf-like: item j with probability about 1/(j+1).
      int j = (int) Math.floor(Math.pow(universe + 1.0, r.nextDouble())) - 1;
      String s = "item-" + Math.min(j, universe - 1);
      exact.merge(s, 1L, Long::sum);
      whole.update(s);
      (i < n / 2 ? a : b).update(s);
    }
    FrequentItems merged = a.copy();
    merged.merge(b);
    List<String> problems = new ArrayList<>();
    for (FrequentItems f : List.of(whole, merged)) {
      if (f.error() > (long) n / (m + 1)) {
        problems.add("error " + f.error() + " above n/(m+1)");
      }
      if (exact.size() <= m && f.error() != 0) {
        problems.add("not exact with few distinct items");
      }
      for (var e : exact.entrySet()) {
        long est = f.estimate(e.getKey());
        if (est > e.getValue() || est + f.error() < e.getValue()) {
          problems.add(e.getKey() + ": estimate " + est + ", true " + e.getValue()
              + ", error bound " + f.error());
        }
      }
      byte[] bytes = f.toBytes();
      if (!Arrays.equals(FrequentItems.fromBytes(bytes).toBytes(), bytes)) {
        problems.add("round trip changed the bytes");
      }
    }
    assertThat(problems).isEmpty();
  }
}
