package dev.bastion.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import dev.bastion.data.Numbers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a row of a table becomes a feature vector, and what the model expects at serving time.
 * Numeric columns are standardised with the training split's mean and standard deviation;
 * categorical columns are one-hot ({@code column=value}). Protected columns hold tokens: a caller at
 * serving time sends the raw value and the gateway tokenises it first.
 *
 * @param label the label column
 * @param positiveClass the class whose score is the risk score (for AUC)
 * @param numeric numeric column to [mean, std]
 * @param categorical categorical column to its allowed values (tokens for protected columns)
 * @param protectedColumns columns tokenised before training
 */
public record FeatureSpec(
    String label,
    String positiveClass,
    Map<String, double[]> numeric,
    Map<String, List<String>> categorical,
    List<String> protectedColumns) {

  public FeatureSpec {
    numeric = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(numeric));
    categorical = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(categorical));
    protectedColumns = List.copyOf(protectedColumns);
  }

  /** The input columns, numeric first, in order. */
  public List<String> inputColumns() {
    List<String> out = new ArrayList<>(numeric.keySet());
    out.addAll(categorical.keySet());
    return out;
  }

  /**
   * Encodes one instance (column to value, protected columns already tokenised).
   *
   * @throws BadInputException naming the field that is missing, not a number or not allowed
   */
  public Encoded encode(Map<String, String> instance, String where) throws BadInputException {
    List<String> names = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (Map.Entry<String, double[]> e : numeric.entrySet()) {
      String raw = instance.get(e.getKey());
      if (raw == null) {
        throw new BadInputException(where + ": field '" + e.getKey() + "' is missing");
      }
      var parsed = Numbers.parseDecimal(raw);
      if (parsed.isEmpty()) {
        throw new BadInputException(
            where + ": field '" + e.getKey() + "' is not "
                + (Numbers.isNonFinite(raw) ? "finite" : "a number"));
      }
      double v = parsed.getAsDouble();
      double[] ms = e.getValue();
      names.add(e.getKey());
      values.add((v - ms[0]) / ms[1]);
    }
    for (Map.Entry<String, List<String>> e : categorical.entrySet()) {
      String raw = instance.get(e.getKey());
      if (raw == null) {
        throw new BadInputException(where + ": field '" + e.getKey() + "' is missing");
      }
      if (!e.getValue().contains(raw)) {
        String shown =
            protectedColumns.contains(e.getKey()) ? "the value" : "'" + Text.clip(raw) + "'";
        throw new BadInputException(
            where + ": field '" + e.getKey() + "': " + shown + " is not a known category");
      }
      names.add(e.getKey() + "=" + raw);
      values.add(1.0);
    }
    for (String k : instance.keySet()) {
      if (!numeric.containsKey(k) && !categorical.containsKey(k) && !k.equals(label)) {
        throw new BadInputException(where + ": field '" + Text.clip(k) + "' is not a model input");
      }
    }
    return new Encoded(
        names.toArray(String[]::new), values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * A feature vector.
   *
   * @param names feature names
   * @param values feature values
   */
  public record Encoded(String[] names, double[] values) {}

  public JsonNode toJson() {
    ObjectNode o = Json.object();
    o.put("label", label);
    o.put("positive_class", positiveClass);
    ObjectNode num = o.putObject("numeric");
    numeric.forEach((k, v) -> num.putArray(k).add(v[0]).add(v[1]));
    ObjectNode cat = o.putObject("categorical");
    categorical.forEach(
        (k, v) -> {
          ArrayNode a = cat.putArray(k);
          v.forEach(a::add);
        });
    ArrayNode p = o.putArray("protected");
    protectedColumns.forEach(p::add);
    return o;
  }

  public static FeatureSpec fromJson(JsonNode o) throws BadInputException {
    try {
      Map<String, double[]> num = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : o.get("numeric").properties()) {
        double std = e.getValue().get(1).asDouble();
        if (!(std > 0)) {
          throw new BadInputException("feature spec: std of '" + e.getKey() + "' must be > 0");
        }
        num.put(e.getKey(), new double[] {e.getValue().get(0).asDouble(), std});
      }
      Map<String, List<String>> cat = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : o.get("categorical").properties()) {
        List<String> vals = new ArrayList<>();
        e.getValue().forEach(v -> vals.add(v.asText()));
        cat.put(e.getKey(), vals);
      }
      List<String> prot = new ArrayList<>();
      o.get("protected").forEach(v -> prot.add(v.asText()));
      return new FeatureSpec(
          o.get("label").asText(), o.get("positive_class").asText(), num, cat, prot);
    } catch (NullPointerException e) {
      throw new BadInputException("feature spec: a required field is missing", e);
    }
  }
}
