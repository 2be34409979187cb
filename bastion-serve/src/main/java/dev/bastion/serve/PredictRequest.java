package dev.bastion.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import dev.bastion.train.FeatureSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * Parses a predict request body ({@code {"instances":[{...}, ...]}}, TF Serving / KServe v1) and
 * checks every instance against the model's inputs, before the model sees any of them. The JSON
 * parser's limits (depth, sizes, no NaN, no duplicate keys) apply.
 */
public final class PredictRequest {
  /** Largest decimal exponent or number of digits of a number in a request. */
  static final int MAX_SCALE = 400;

  private PredictRequest() {}

  /**
   * The instances of {@code body}, each a column-to-value map with protected columns already
   * tokenised by {@code tokenize} (column, raw value) to token.
   *
   * @throws BadInputException with a message for the caller when anything is wrong
   */
  public static List<Map<String, String>> parse(
      byte[] body, FeatureSpec spec, int maxInstances, BinaryOperator<String> tokenize)
      throws BadInputException {
    JsonNode root = Json.parse(body, "request body");
    if (!root.isObject()) {
      throw new BadInputException("request body must be a JSON object");
    }
    JsonNode instances = root.get("instances");
    if (instances == null || !instances.isArray() || instances.isEmpty()) {
      throw new BadInputException("'instances' must be a non-empty array");
    }
    if (instances.size() > maxInstances) {
      throw new BadInputException("at most " + maxInstances + " instances per request");
    }
    List<Map<String, String>> out = new ArrayList<>();
    int i = 0;
    for (JsonNode inst : instances) {
      String where = "instances[" + i++ + "]";
      if (!inst.isObject()) {
        throw new BadInputException(where + ": each instance is a JSON object");
      }
      Map<String, String> values = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : inst.properties()) {
        if (e.getKey().equals(spec.label())) {
          // The answer is what the model gives: a label sent along is not an input of it.
          throw new BadInputException(where + ": field '" + Text.clip(e.getKey())
              + "' is the model's label, not a model input");
        }
        JsonNode v = e.getValue();
        if (!v.isTextual() && !v.isNumber()) {
          throw new BadInputException(
              where + ": field '" + Text.clip(e.getKey()) + "' must be a string or a number");
        }
        String text;
        if (v.isNumber()) {
          java.math.BigDecimal d = v.decimalValue();
          // 1e999999999 is a short number whose plain spelling is a billion digits (found by
          // the fuzz test: 14 s and a gigabyte for one request). No feature needs such a number.
          if (Math.abs(d.scale()) > MAX_SCALE || d.precision() > MAX_SCALE) {
            throw new BadInputException(
                where + ": field '" + Text.clip(e.getKey()) + "' is a number out of range");
          }
          // The number as written decides whether it is an integer, as ingest decides from the
          // cell: the parser strips trailing zeros (49.0 and 4.9e1 read as 49), so a number
          // written with a fraction or an exponent keeps a fraction part ("49.0"), which an
          // integer column refuses as it refuses the string "49.0".
          text = v.isIntegralNumber() || d.scale() > 0 ? d.toPlainString()
              : d.setScale(1).toPlainString();
        } else {
          text = v.asText();
        }
        if (spec.protectedColumns().contains(e.getKey())) {
          text = tokenize.apply(e.getKey(), text);
        }
        values.put(e.getKey(), text);
      }
      spec.encode(values, where);
      out.add(values);
    }
    return out;
  }
}
