package dev.bastion.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a prediction reveals to a caller: the less a role needs, the less a model-extraction
 * attack can learn from it.
 *
 * <ul>
 *   <li>{@code label}: the predicted class only;
 *   <li>{@code top-k:K}: the label and the K most likely classes with their probabilities
 *       (rounded to 2 decimals);
 *   <li>{@code probabilities:N}: the label and every class's probability rounded to N decimals (0
 *       to 6).
 * </ul>
 *
 * @param kind {@code label}, {@code top-k} or {@code probabilities}
 * @param n K for top-k, N decimals for probabilities, 0 for label
 */
public record OutputPolicy(String kind, int n) {
  /** Every probability to 6 decimals: what the gateway gave before output policies. */
  public static final OutputPolicy FULL = new OutputPolicy("probabilities", 6);

  public OutputPolicy {
    switch (kind) {
      case "label" -> {
        if (n != 0) {
          throw new IllegalArgumentException("label takes no number");
        }
      }
      case "top-k" -> {
        if (n < 1 || n > 100) {
          throw new IllegalArgumentException("top-k needs 1 <= K <= 100");
        }
      }
      case "probabilities" -> {
        if (n < 0 || n > 6) {
          throw new IllegalArgumentException("probabilities needs 0 to 6 decimals");
        }
      }
      default -> throw new IllegalArgumentException("unknown output policy " + kind);
    }
  }

  /**
   * Parses {@code label}, {@code top-k:K} or {@code probabilities:N}.
   *
   * @throws BadInputException if it is none of these
   */
  public static OutputPolicy parse(String text) throws BadInputException {
    try {
      if (text.equals("label")) {
        return new OutputPolicy("label", 0);
      }
      int colon = text.indexOf(':');
      if (colon > 0 && text.substring(colon + 1).matches("[0-9]{1,3}")) {
        return new OutputPolicy(text.substring(0, colon),
            Integer.parseInt(text.substring(colon + 1)));
      }
    } catch (IllegalArgumentException e) {
      throw new BadInputException("output policy '" + text + "': " + e.getMessage(), e);
    }
    throw new BadInputException("output policy '" + text
        + "': expected label, top-k:K or probabilities:N");
  }

  /** Writes what this policy shows of a prediction into {@code p}. */
  void write(ObjectNode p, String label, Map<String, Double> scores) {
    p.put("label", label);
    switch (kind) {
      case "label" -> { }
      case "top-k" -> {
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(scores.entrySet());
        sorted.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())
            .thenComparing(Map.Entry.comparingByKey()));
        ObjectNode top = p.putObject("top");
        for (Map.Entry<String, Double> e : sorted.subList(0, Math.min(n, sorted.size()))) {
          top.put(e.getKey(), round(e.getValue(), 2));
        }
      }
      default -> {
        ObjectNode probs = p.putObject("probabilities");
        scores.forEach((k, v) -> probs.put(k, round(v, n)));
      }
    }
  }

  private static double round(double v, int decimals) {
    return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_EVEN).doubleValue();
  }

  @Override
  public String toString() {
    return kind.equals("label") ? "label" : kind + ":" + n;
  }
}
