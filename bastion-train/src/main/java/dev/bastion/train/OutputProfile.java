package dev.bastion.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a model's predictions looked like on its holdout split, the evaluation baseline the
 * gateway's behaviour monitor compares live traffic with: the share of each predicted class, and
 * the distribution of the confidence (the top class's probability) over {@value #BINS} equal bins
 * of [0, 1]. Kept inside the signed model.
 *
 * @param labels predicted class to its share of the holdout rows (sums to 1)
 * @param confidence the share of holdout rows in each confidence bin (sums to 1)
 * @param rows how many holdout rows it was measured on
 */
public record OutputProfile(Map<String, Double> labels, double[] confidence, int rows) {
  /** Confidence bins. */
  public static final int BINS = 10;

  public OutputProfile {
    labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    confidence = confidence.clone();
    if (confidence.length != BINS || rows < 1) {
      throw new IllegalArgumentException("an output profile has " + BINS
          + " confidence bins and at least one row");
    }
  }

  @Override
  public double[] confidence() {
    return confidence.clone();
  }

  /** The bin of a confidence in [0, 1]. */
  public static int bin(double confidence) {
    return Math.max(0, Math.min(BINS - 1, (int) Math.floor(confidence * BINS)));
  }

  /** Profiles the predictions of {@code model} on {@code instances}. */
  public static OutputProfile of(Classifier model, List<Map<String, String>> instances, String where)
      throws BadInputException {
    Map<String, Double> labels = new LinkedHashMap<>();
    for (String c : model.classes()) {
      labels.put(c, 0.0);
    }
    double[] conf = new double[BINS];
    int n = instances.size();
    for (int i = 0; i < n; i++) {
      Classifier.Result r = model.predict(instances.get(i), where + " row " + (i + 1));
      labels.merge(r.label(), 1.0 / n, Double::sum);
      conf[bin(r.scores().getOrDefault(r.label(), 0.0))] += 1.0 / n;
    }
    return new OutputProfile(labels, conf, n);
  }

  /** The stored form, inside the model's JSON. */
  public JsonNode toJson() {
    ObjectNode o = Json.object();
    ObjectNode l = o.putObject("labels");
    labels.forEach(l::put);
    ArrayNode c = o.putArray("confidence");
    for (double v : confidence) {
      c.add(v);
    }
    o.put("rows", rows);
    return o;
  }

  /**
   * Reads the stored form.
   *
   * @throws BadInputException naming what is malformed
   */
  public static OutputProfile fromJson(JsonNode o, String where) throws BadInputException {
    JsonNode l = o.path("labels");
    JsonNode c = o.path("confidence");
    JsonNode n = o.path("rows");
    if (!l.isObject() || l.isEmpty() || !c.isArray() || c.size() != BINS || !n.canConvertToInt()
        || n.asInt() < 1) {
      throw new BadInputException(where + ": output_profile needs labels, " + BINS
          + " confidence bins and rows");
    }
    Map<String, Double> labels = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : l.properties()) {
      labels.put(e.getKey(), share(e.getValue(), where));
    }
    double[] conf = new double[BINS];
    for (int i = 0; i < BINS; i++) {
      conf[i] = share(c.get(i), where);
    }
    return new OutputProfile(labels, conf, n.asInt());
  }

  private static double share(JsonNode v, String where) throws BadInputException {
    if (!v.isNumber() || !(v.asDouble() >= 0 && v.asDouble() <= 1)) {
      throw new BadInputException(where + ": output_profile shares must be numbers in [0, 1]");
    }
    return v.asDouble();
  }
}
