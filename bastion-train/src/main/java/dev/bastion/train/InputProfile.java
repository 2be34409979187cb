package dev.bastion.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.Numbers;
import dev.bastion.data.poison.RobustMahalanobis;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What a model's inputs looked like in training, kept inside the signed model so the gateway can
 * hold its callers to it: the schema's declared range of each numeric column (a value outside is
 * refused), the range seen in the training split, and an out-of-distribution score.
 *
 * <p>The score is the robust Mahalanobis distance ({@link RobustMahalanobis}) of the instance's
 * standardised numeric features from the training split's, divided by the {@value #QUANTILE}
 * quantile of the training rows' own distances: above 1 is rarer than one training row in 200. An
 * instance is out of distribution when its score is above 1 or a numeric value lies beyond the
 * training range by more than {@value #RANGE_MARGIN} of that range's width. A model with no numeric
 * input has no score (0); its categories are still enforced by the feature spec.
 *
 * @param columns the numeric input columns, in the feature spec's order
 * @param declared column to the schema's [min, max] (infinite when the schema sets none)
 * @param observed column to the training split's [min, max]
 * @param distance the robust estimate over the standardised numeric features, absent without any
 * @param threshold the training distances' {@value #QUANTILE} quantile (positive)
 * @param integers the numeric columns the schema declares integer: a value with a fraction there is
 *     refused (none recorded in models trained before this was)
 */
public record InputProfile(
    List<String> columns,
    Map<String, double[]> declared,
    Map<String, double[]> observed,
    java.util.Optional<RobustMahalanobis> distance,
    double threshold,
    java.util.Set<String> integers) {

  /** The training distances' quantile that scores 1. */
  public static final double QUANTILE = 0.995;

  /** How far beyond the training range, as a fraction of its width, a value is still in it. */
  public static final double RANGE_MARGIN = 0.1;

  public InputProfile {
    columns = List.copyOf(columns);
    declared = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(declared));
    observed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(observed));
    integers = java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(integers));
    if (!(threshold > 0) || !Double.isFinite(threshold)) {
      throw new IllegalArgumentException("threshold must be positive and finite");
    }
  }

  /**
   * How one instance compares with training.
   *
   * @param score the out-of-distribution score (above 1: out)
   * @param outOfDomain columns whose value is outside the schema's declared range
   * @param beyondTraining columns whose value is beyond the training range and its margin
   */
  public record Assessment(double score, List<String> outOfDomain, List<String> beyondTraining) {
    public Assessment {
      outOfDomain = List.copyOf(outOfDomain);
      beyondTraining = List.copyOf(beyondTraining);
    }

    /** Whether the instance looks unlike the training data. */
    public boolean outOfDistribution() {
      return score > 1 || !beyondTraining.isEmpty();
    }
  }

  /**
   * Profiles the training rows, given as column to raw value (numeric columns already valid).
   *
   * @param spec the model's feature spec (its numeric means and deviations standardise)
   * @param declared the schema's range of each numeric column
   * @param integers the numeric columns the schema declares integer
   * @param rows the training split
   * @throws IllegalArgumentException if there are no rows
   */
  public static InputProfile fit(FeatureSpec spec, Map<String, double[]> declared,
      java.util.Set<String> integers, List<Map<String, String>> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no training rows to profile");
    }
    List<String> columns = new ArrayList<>(spec.numeric().keySet());
    Map<String, double[]> observed = new LinkedHashMap<>();
    for (String c : columns) {
      observed.put(c, new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
    }
    double[][] x = new double[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      double[] raw = raw(columns, rows.get(i));
      for (int j = 0; j < raw.length; j++) {
        double[] mm = observed.get(columns.get(j));
        mm[0] = Math.min(mm[0], raw[j]);
        mm[1] = Math.max(mm[1], raw[j]);
      }
      x[i] = standardised(spec, columns, raw);
    }
    if (columns.isEmpty()) {
      return new InputProfile(columns, declared, observed, java.util.Optional.empty(), 1,
          integers);
    }
    List<Integer> all = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      all.add(i);
    }
    RobustMahalanobis m = RobustMahalanobis.fit(x, all);
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = m.distance(x[i]);
    }
    Arrays.sort(d);
    double q = d[Math.min(d.length - 1, (int) Math.ceil(QUANTILE * d.length) - 1)];
    return new InputProfile(columns, declared, observed, java.util.Optional.of(m),
        Math.max(q, 1e-9), integers);
  }

  /**
   * Assesses one instance whose numeric fields the feature spec accepted.
   *
   * @throws BadInputException if a numeric field is missing or not a number
   */
  public Assessment assess(FeatureSpec spec, Map<String, String> instance, String where)
      throws BadInputException {
    double[] raw = new double[columns.size()];
    for (int j = 0; j < raw.length; j++) {
      String c = columns.get(j);
      String text = instance.get(c);
      OptionalDouble v = text == null ? OptionalDouble.empty() : Numbers.parseDecimal(text);
      if (v.isEmpty()) {
        throw new BadInputException(where + ": field '" + c + "' is not a number");
      }
      if (integers.contains(c) && Numbers.parseInteger(text).isEmpty()) {
        throw new BadInputException(where + ": field '" + c + "' is not an integer");
      }
      raw[j] = v.getAsDouble();
    }
    List<String> outOfDomain = new ArrayList<>();
    List<String> beyond = new ArrayList<>();
    for (int j = 0; j < raw.length; j++) {
      String c = columns.get(j);
      double[] dr = declared.get(c);
      if (dr != null && (raw[j] < dr[0] || raw[j] > dr[1])) {
        outOfDomain.add(c);
      }
      double[] or = observed.get(c);
      double margin = RANGE_MARGIN * (or[1] - or[0]);
      if (raw[j] < or[0] - margin || raw[j] > or[1] + margin) {
        beyond.add(c);
      }
    }
    double score = distance.map(m -> m.distance(standardised(spec, columns, raw)) / threshold)
        .orElse(0.0);
    return new Assessment(score, outOfDomain, beyond);
  }

  private static double[] raw(List<String> columns, Map<String, String> row) {
    double[] raw = new double[columns.size()];
    for (int j = 0; j < raw.length; j++) {
      raw[j] = Double.parseDouble(row.get(columns.get(j)));
    }
    return raw;
  }

  private static double[] standardised(FeatureSpec spec, List<String> columns, double[] raw) {
    double[] z = new double[raw.length];
    for (int j = 0; j < raw.length; j++) {
      double[] ms = spec.numeric().get(columns.get(j));
      z[j] = (raw[j] - ms[0]) / ms[1];
    }
    return z;
  }

  /** The stored form, inside the model's JSON. */
  public JsonNode toJson() {
    ObjectNode o = Json.object();
    ArrayNode cols = o.putArray("columns");
    columns.forEach(cols::add);
    ObjectNode dec = o.putObject("declared");
    declared.forEach((k, v) -> {
      ArrayNode a = dec.putArray(k);
      for (double b : v) {
        if (Double.isFinite(b)) {
          a.add(b);
        } else {
          a.addNull();
        }
      }
    });
    ObjectNode obs = o.putObject("observed");
    observed.forEach((k, v) -> obs.putArray(k).add(v[0]).add(v[1]));
    distance.ifPresent(m -> {
      ArrayNode loc = o.putArray("location");
      for (double v : m.mean()) {
        loc.add(v);
      }
      ArrayNode f = o.putArray("factor");
      for (double[] row : m.factor()) {
        ArrayNode r = f.addArray();
        for (double v : row) {
          r.add(v);
        }
      }
    });
    o.put("threshold", threshold);
    ArrayNode ints = o.putArray("integers");
    integers.forEach(ints::add);
    return o;
  }

  /**
   * Reads the stored form.
   *
   * @throws BadInputException naming the field that is missing or malformed
   */
  public static InputProfile fromJson(JsonNode o, String where) throws BadInputException {
    if (!o.isObject()) {
      throw new BadInputException(where + ": input_profile must be an object");
    }
    List<String> columns = new ArrayList<>();
    JsonNode cols = o.path("columns");
    if (!cols.isArray()) {
      throw new BadInputException(where + ": input_profile.columns must be an array");
    }
    for (JsonNode c : cols) {
      if (!c.isTextual()) {
        throw new BadInputException(where + ": input_profile.columns must hold names");
      }
      columns.add(c.asText());
    }
    Map<String, double[]> declared = new LinkedHashMap<>();
    Map<String, double[]> observed = new LinkedHashMap<>();
    for (String c : columns) {
      JsonNode d = o.path("declared").path(c);
      if (!d.isMissingNode()) {
        declared.put(c, new double[] {
            bound(d, 0, Double.NEGATIVE_INFINITY, where), bound(d, 1, Double.POSITIVE_INFINITY,
                where)});
      }
      JsonNode r = o.path("observed").path(c);
      double lo = bound(r, 0, Double.NaN, where);
      double hi = bound(r, 1, Double.NaN, where);
      if (!(lo <= hi)) {
        throw new BadInputException(where + ": input_profile.observed['" + c
            + "'] must be two finite numbers, min first");
      }
      observed.put(c, new double[] {lo, hi});
    }
    double threshold = number(o.path("threshold"), where + ": input_profile.threshold");
    java.util.Set<String> integers = new java.util.TreeSet<>();
    JsonNode ints = o.path("integers"); // absent in models trained before it was recorded
    if (!ints.isMissingNode()) {
      if (!ints.isArray()) {
        throw new BadInputException(where + ": input_profile.integers must be an array");
      }
      for (JsonNode c : ints) {
        if (!c.isTextual() || !columns.contains(c.asText())) {
          throw new BadInputException(where + ": input_profile.integers must name numeric"
              + " input columns");
        }
        integers.add(c.asText());
      }
    }
    java.util.Optional<RobustMahalanobis> distance = java.util.Optional.empty();
    if (!columns.isEmpty()) {
      JsonNode loc = o.path("location");
      JsonNode fac = o.path("factor");
      if (!loc.isArray() || !fac.isArray() || loc.size() != columns.size()
          || fac.size() != columns.size()) {
        throw new BadInputException(where + ": input_profile.location and factor must match "
            + columns.size() + " columns");
      }
      double[] mean = new double[loc.size()];
      double[][] factor = new double[fac.size()][];
      for (int a = 0; a < mean.length; a++) {
        mean[a] = number(loc.get(a), where + ": input_profile.location");
        JsonNode row = fac.get(a);
        if (!row.isArray()) {
          throw new BadInputException(where + ": input_profile.factor rows must be arrays");
        }
        factor[a] = new double[row.size()];
        for (int b = 0; b < row.size(); b++) {
          factor[a][b] = number(row.get(b), where + ": input_profile.factor");
        }
      }
      try {
        distance = java.util.Optional.of(RobustMahalanobis.of(mean, factor));
      } catch (IllegalArgumentException e) {
        throw new BadInputException(where + ": input_profile: " + e.getMessage(), e);
      }
    }
    try {
      return new InputProfile(columns, declared, observed, distance, threshold, integers);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": input_profile: " + e.getMessage(), e);
    }
  }

  private static double bound(JsonNode pair, int i, double ifNull, String where)
      throws BadInputException {
    if (!pair.isArray() || pair.size() != 2) {
      throw new BadInputException(where + ": input_profile ranges must be [min, max]");
    }
    JsonNode v = pair.get(i);
    if (v.isNull() && !Double.isNaN(ifNull)) {
      return ifNull;
    }
    return number(v, where + ": input_profile range");
  }

  private static double number(JsonNode v, String what) throws BadInputException {
    if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new BadInputException(what + " must be a finite number");
    }
    return v.asDouble();
  }
}
