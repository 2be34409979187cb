package dev.bastion.serve.guard;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Text;
import dev.bastion.data.Numbers;
import dev.bastion.train.FeatureSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Dense feature vectors of one model's inputs, for measuring distances between queries: numeric
 * columns standardised with the spec's mean and standard deviation, then each categorical column
 * one-hot over the spec's values in their fixed order. Every vector of one spec has the same
 * {@link #dimension()}, and two categories of one column are {@code √2} apart.
 *
 * <p>Fields the spec does not know are ignored: refusing them is the model's job ({@link
 * FeatureSpec#encode}), which the gateway does before it asks for a vector.
 */
public final class FeatureVectors {
  private final FeatureSpec spec;
  private final List<String> names;

  /** Vectors for the inputs of {@code spec}. */
  public FeatureVectors(FeatureSpec spec) {
    this.spec = spec;
    List<String> n = new ArrayList<>(spec.numeric().keySet());
    spec.categorical().forEach((column, values) -> values.forEach(v -> n.add(column + "=" + v)));
    this.names = Collections.unmodifiableList(n);
  }

  /** The length of every vector. */
  public int dimension() {
    return names.size();
  }

  /** The name of each coordinate: a numeric column, or {@code column=value}. */
  public List<String> names() {
    return names;
  }

  /** How many leading coordinates are numeric (standardised); the rest are one-hot. */
  public int numericDimension() {
    return spec.numeric().size();
  }

  /**
   * The vector of {@code instance} (protected columns already tokenised).
   *
   * @throws BadInputException naming a field that is missing, not a finite number, or not a known
   *     category (without echoing the value of a protected column)
   */
  public double[] encode(Map<String, String> instance) throws BadInputException {
    double[] out = new double[names.size()];
    int k = 0;
    for (Map.Entry<String, double[]> e : spec.numeric().entrySet()) {
      String raw = instance.get(e.getKey());
      if (raw == null) {
        throw new BadInputException("field '" + e.getKey() + "' is missing");
      }
      OptionalDouble v = Numbers.parseDecimal(raw);
      if (v.isEmpty()) {
        throw new BadInputException("field '" + e.getKey() + "' is not a finite number");
      }
      out[k++] = (v.getAsDouble() - e.getValue()[0]) / e.getValue()[1];
    }
    for (Map.Entry<String, List<String>> e : spec.categorical().entrySet()) {
      String raw = instance.get(e.getKey());
      if (raw == null) {
        throw new BadInputException("field '" + e.getKey() + "' is missing");
      }
      int i = e.getValue().indexOf(raw);
      if (i < 0) {
        String shown =
            spec.protectedColumns().contains(e.getKey()) ? "the value" : "'" + Text.clip(raw) + "'";
        throw new BadInputException(
            "field '" + e.getKey() + "': " + shown + " is not a known category");
      }
      out[k + i] = 1.0;
      k += e.getValue().size();
    }
    return out;
  }
}
