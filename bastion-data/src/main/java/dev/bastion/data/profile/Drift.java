package dev.bastion.data.profile;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.data.Schema;
import dev.bastion.data.sketch.FrequentItems;
import dev.bastion.data.sketch.KllSketch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Per-column drift of a data set against a reference, computed from their profiles.
 *
 * <p>Numeric columns: the two-sample Kolmogorov–Smirnov statistic D on the sketches' distribution
 * functions (asymptotic p-value), with two effect sizes: the population stability index (PSI) over
 * the reference's deciles, and the Wasserstein-1 distance between the quantile functions divided
 * by the reference's interquartile range (its full range if the IQR is 0). Categorical columns: the
 * chi-squared test of homogeneity over the categories of both (values beyond the frequent-items
 * summary pooled as one), with the Jensen–Shannon distance (base 2, in [0, 1]) as effect size.
 *
 * <p>A column drifts when its test is significant after Holm's correction over all the columns
 * tested (family-wise error {@code alpha}) <em>and</em> its effect size reaches its threshold: at
 * large n every test is significant, so significance alone flags harmless differences. Defaults
 * ({@link Options#DEFAULTS}): alpha 0.01, PSI 0.2 or normalised Wasserstein 0.1, Jensen–Shannon
 * distance 0.1. D is read off sketches, so it carries their rank error (at most {@code 2.5/k}
 * each, 0.025 together at the default k = 200).
 */
public final class Drift {
  /**
   * Thresholds.
   *
   * @param alpha family-wise significance level, Holm-corrected over the columns tested
   * @param psi PSI at or above which a numeric column's shift matters
   * @param wasserstein normalised Wasserstein-1 distance at or above which it matters
   * @param jensenShannon Jensen–Shannon distance at or above which a categorical shift matters
   */
  public record Options(double alpha, double psi, double wasserstein, double jensenShannon) {
    public static final Options DEFAULTS = new Options(0.01, 0.2, 0.1, 0.1);

    public Options {
      if (!(alpha > 0 && alpha < 1) || !(psi >= 0 && Double.isFinite(psi))
          || !(wasserstein >= 0 && Double.isFinite(wasserstein))
          || !(jensenShannon >= 0 && jensenShannon <= 1)) {
        throw new IllegalArgumentException("drift thresholds out of range");
      }
    }
  }

  /**
   * One column's test.
   *
   * @param column the column
   * @param test {@code ks}, {@code chi2}, or {@link #NOT_COMPARABLE} (no statistic: one side
   *     has no values to compare, or the statistic came out undefined; counted as drifted)
   * @param statistic D or the chi-squared statistic
   * @param pValue its p-value
   * @param threshold the Holm-corrected significance threshold the p-value was held to
   * @param effects effect sizes by name ({@code psi}, {@code wasserstein}, or {@code js})
   * @param effectThresholds their thresholds
   * @param drifted significant and at least one effect at its threshold (always, when not
   *     comparable)
   * @param note why a column is not comparable; empty otherwise
   */
  public record Test(
      String column,
      String test,
      double statistic,
      double pValue,
      double threshold,
      Map<String, Double> effects,
      Map<String, Double> effectThresholds,
      boolean drifted,
      String note) {
    public Test {
      effects = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(effects));
      effectThresholds =
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(effectThresholds));
    }

    /** One line for people. */
    public String describe() {
      if (test.equals(NOT_COMPARABLE)) {
        return "column '" + column + "': cannot be compared with the reference (" + note
            + "); counted as drifted";
      }
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
          "column '%s': %s %.4g (p %.3g, threshold %.3g)", column, test, statistic, pValue,
          threshold));
      effects.forEach((k, v) -> sb.append(String.format(Locale.ROOT, ", %s %.4f (threshold %s)",
          k, v, effectThresholds.get(k))));
      return sb.toString();
    }

    ObjectNode toJson() {
      ObjectNode o = Json.object();
      o.put("column", column);
      o.put("test", test);
      o.set("statistic", number(statistic));
      o.set("p_value", number(pValue));
      o.set("threshold", number(threshold));
      ObjectNode e = o.putObject("effects");
      effects.forEach((k, v) -> {
        ObjectNode n = e.putObject(k);
        n.set("value", number(v));
        n.set("threshold", number(effectThresholds.get(k)));
      });
      o.put("drifted", drifted);
      if (!note.isEmpty()) {
        o.put("note", note);
      }
      return o;
    }
  }

  /** The test of a column that could not be compared (see {@link Test#test}). */
  public static final String NOT_COMPARABLE = "not-comparable";

  /** A JSON number; null for a value that has none (NaN: no statistic). */
  static com.fasterxml.jackson.databind.JsonNode number(double x) {
    var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    if (!Double.isFinite(x)) {
      return x > 0 ? f.numberNode(Double.MAX_VALUE) : x < 0 ? f.numberNode(-Double.MAX_VALUE)
          : f.nullNode();
    }
    return f.numberNode(x);
  }

  private record Raw(String column, String test, double statistic, double p,
      Map<String, Double> effects, Map<String, Double> thresholds, boolean large) {
    /** Whether anything it computed is undefined (so the column cannot be judged). */
    boolean undefined() {
      return Double.isNaN(statistic) || Double.isNaN(p)
          || effects.values().stream().anyMatch(v -> Double.isNaN(v));
    }
  }

  private Drift() {}

  /**
   * Compares every column present in both profiles. A column is numeric if the schema says so
   * (when given) or, without a schema, if both profiles hold only numbers in it; columns without
   * values on either side are not tested. A column with values on one side only, or whose
   * statistic comes out undefined, is {@link #NOT_COMPARABLE} and counted as drifted.
   */
  public static List<Test> compare(Profile reference, Profile current, Schema schema,
      Options options) {
    List<Raw> raws = new ArrayList<>();
    List<Test> notComparable = new ArrayList<>();
    for (ColumnProfile cur : current.columns()) {
      var refOpt = reference.column(cur.name());
      if (refOpt.isEmpty()) {
        continue;
      }
      ColumnProfile ref = refOpt.get();
      boolean numeric = schema != null && schema.column(cur.name()).isPresent()
          ? schema.column(cur.name()).get().numeric()
          : ref.numeric() && cur.numeric();
      // One side has values (numbers, for a numeric column), the other none: no test can say
      // they agree, so the column fails (closed). The consent column may rightly be empty
      // (nobody agreed to anything yet): its cells are the validator's to check.
      boolean consent = schema != null && schema.column(cur.name())
          .map(c -> c.type() == Schema.Type.PURPOSES).orElse(false);
      boolean refNone = ref.count() == ref.nulls() || (numeric && ref.numbers().isEmpty());
      boolean curNone = cur.count() == cur.nulls() || (numeric && cur.numbers().isEmpty());
      if (refNone != curNone && !consent) {
        String what = numeric && (refNone ? ref : cur).count() > (refNone ? ref : cur).nulls()
            ? "numbers" : "values";
        notComparable.add(new Test(cur.name(), NOT_COMPARABLE, Double.NaN, Double.NaN,
            Double.NaN, Map.of(), Map.of(), true, (refNone ? "the reference holds no "
                : "this data holds no ") + what + " in it"));
        continue;
      }
      Raw r = numeric ? numeric(cur.name(), ref.numbers(), cur.numbers(), options)
          : categorical(cur.name(), ref.items(), cur.items(), options);
      if (r != null && r.undefined()) {
        notComparable.add(new Test(cur.name(), NOT_COMPARABLE, Double.NaN, Double.NaN,
            Double.NaN, Map.of(), Map.of(), true, "its " + r.test() + " statistic or an effect"
                + " size is undefined for these values"));
      } else if (r != null) {
        raws.add(r);
      }
    }
    // Holm: the i-th smallest p-value (0-based) is held to alpha / (m - i), stopping at the first
    // that is not significant.
    List<Raw> sorted = new ArrayList<>(raws);
    sorted.sort(Comparator.comparingDouble(Raw::p).thenComparing(Raw::column));
    int m = sorted.size();
    Map<Raw, Double> threshold = new java.util.IdentityHashMap<>();
    Map<Raw, Boolean> significant = new java.util.IdentityHashMap<>();
    boolean stopped = false;
    for (int i = 0; i < m; i++) {
      Raw r = sorted.get(i);
      double t = options.alpha() / (m - i);
      threshold.put(r, t);
      stopped = stopped || r.p() > t;
      significant.put(r, !stopped);
    }
    List<Test> out = new ArrayList<>();
    for (Raw r : raws) {
      out.add(new Test(r.column(), r.test(), r.statistic(), r.p(), threshold.get(r), r.effects(),
          r.thresholds(), significant.get(r) && r.large(), ""));
    }
    out.addAll(notComparable);
    return out;
  }

  private static Raw numeric(String column, KllSketch ref, KllSketch cur, Options o) {
    if (ref.isEmpty() || cur.isEmpty()) {
      return null;
    }
    var fr = ref.items();
    var fc = cur.items();
    TreeSet<Double> points = new TreeSet<>();
    for (double v : fr.values()) {
      points.add(v);
    }
    for (double v : fc.values()) {
      points.add(v);
    }
    double d = 0;
    for (double x : points) {
      d = Math.max(d, Math.abs(fr.cdf(x) - fc.cdf(x)));
    }
    double p = Stats.ksPValue(d, ref.count(), cur.count());
    // PSI over the reference's deciles.
    TreeSet<Double> edges = new TreeSet<>();
    for (int i = 1; i < 10; i++) {
      edges.add(fr.quantile(i / 10.0));
    }
    double psi = 0;
    double prevR = 0;
    double prevC = 0;
    List<Double> cuts = new ArrayList<>(edges);
    cuts.add(Double.POSITIVE_INFINITY);
    for (double e : cuts) {
      double cr = e == Double.POSITIVE_INFINITY ? 1.0 : fr.cdf(e);
      double cc = e == Double.POSITIVE_INFINITY ? 1.0 : fc.cdf(e);
      double br = Math.max(cr - prevR, 1e-4);
      double bc = Math.max(cc - prevC, 1e-4);
      psi += (bc - br) * Math.log(bc / br);
      prevR = cr;
      prevC = cc;
    }
    // Wasserstein-1 between the quantile functions, midpoint rule over 1000 steps.
    double w = 0;
    int steps = 1000;
    for (int i = 0; i < steps; i++) {
      double q = (i + 0.5) / steps;
      w += Math.abs(fr.quantile(q) - fc.quantile(q));
    }
    w /= steps;
    double scale = fr.quantile(0.75) - fr.quantile(0.25);
    if (!(scale > 0)) {
      scale = ref.max() - ref.min();
    }
    double wn = scale > 0 ? w / scale : (w > 0 ? Double.POSITIVE_INFINITY : 0);
    Map<String, Double> effects = new LinkedHashMap<>();
    effects.put("psi", psi);
    effects.put("wasserstein", Math.min(wn, Double.MAX_VALUE));
    Map<String, Double> thresholds = new LinkedHashMap<>();
    thresholds.put("psi", o.psi());
    thresholds.put("wasserstein", o.wasserstein());
    return new Raw(column, "ks", d, p, effects, thresholds, psi >= o.psi() || wn >= o.wasserstein());
  }

  private static Raw categorical(String column, FrequentItems ref, FrequentItems cur, Options o) {
    if (ref.count() == 0 || cur.count() == 0) {
      return null;
    }
    Map<String, long[]> table = new java.util.TreeMap<>();
    ref.top().forEach(e -> table.computeIfAbsent(e.getKey(), k -> new long[2])[0] = e.getValue());
    cur.top().forEach(e -> table.computeIfAbsent(e.getKey(), k -> new long[2])[1] = e.getValue());
    long[] other = new long[2];
    other[0] = ref.count() - ref.top().stream().mapToLong(Map.Entry::getValue).sum();
    other[1] = cur.count() - cur.top().stream().mapToLong(Map.Entry::getValue).sum();
    List<long[]> rows = new ArrayList<>(table.values());
    if (other[0] + other[1] > 0) {
      rows.add(other);
    }
    double n0 = ref.count();
    double n1 = cur.count();
    double n = n0 + n1;
    double chi2 = 0;
    double js = 0;
    int categories = 0;
    for (long[] r : rows) {
      double total = r[0] + r[1];
      if (total == 0) {
        continue;
      }
      categories++;
      double e0 = total * n0 / n;
      double e1 = total * n1 / n;
      chi2 += (r[0] - e0) * (r[0] - e0) / e0 + (r[1] - e1) * (r[1] - e1) / e1;
      double p = r[0] / n0;
      double q = r[1] / n1;
      double mid = (p + q) / 2;
      js += (p > 0 ? p * Math.log(p / mid) : 0) / 2 + (q > 0 ? q * Math.log(q / mid) : 0) / 2;
    }
    double jsDistance = Math.sqrt(Math.max(0, js / Math.log(2)));
    double pValue = categories < 2 ? 1.0 : Stats.chiSquaredPValue(chi2, categories - 1);
    Map<String, Double> effects = Map.of("js", jsDistance);
    Map<String, Double> thresholds = Map.of("js", o.jensenShannon());
    return new Raw(column, "chi2", chi2, pValue, effects, thresholds,
        jsDistance >= o.jensenShannon());
  }
}
