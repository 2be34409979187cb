package dev.bastion.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;

/**
 * Hyper-parameters of a training run; all of them go into the provenance, and the gate before
 * evaluation bounds them.
 *
 * @param algorithm only {@code logistic-regression} for now
 * @param epochs passes over the training split
 * @param learningRate AdaGrad's initial learning rate
 * @param seed seeds the split and the trainer
 * @param holdout fraction of rows held out for evaluation
 * @param positiveClass the class whose probability is the score
 */
public record TrainParams(
    String algorithm,
    int epochs,
    double learningRate,
    long seed,
    double holdout,
    String positiveClass) {
  public static final String LOGISTIC_REGRESSION = "logistic-regression";

  /** The fields of a {@code train} section: a definition with any other is refused. */
  public static final java.util.Set<String> FIELDS = java.util.Set.of(
      "algorithm", "epochs", "learning_rate", "seed", "holdout", "positive_class");

  /**
   * Reads parameters from a pipeline definition's {@code train} section.
   *
   * @throws BadInputException if a value is missing, of the wrong type or out of its domain
   */
  public static TrainParams fromJson(JsonNode t, String where) throws BadInputException {
    String algorithm = text(t, "algorithm", LOGISTIC_REGRESSION, where);
    if (!algorithm.equals(LOGISTIC_REGRESSION)) {
      throw new BadInputException(
          where + ": train.algorithm '" + algorithm + "' is not supported; use "
              + LOGISTIC_REGRESSION);
    }
    int epochs = intField(t, "epochs", 50, where);
    double lr = number(t, "learning_rate", 0.1, where);
    long seed = longField(t, "seed", 42, where);
    double holdout = number(t, "holdout", 0.3, where);
    if (!(holdout > 0.05 && holdout < 0.95)) {
      throw new BadInputException(where + ": train.holdout must be between 0.05 and 0.95");
    }
    if (!(lr > 0)) {
      throw new BadInputException(where + ": train.learning_rate must be a positive number");
    }
    String positive = text(t, "positive_class", "", where);
    if (positive.isEmpty()) {
      throw new BadInputException(where + ": train.positive_class is required");
    }
    return new TrainParams(algorithm, epochs, lr, seed, holdout, positive);
  }

  private static String text(JsonNode t, String name, String dflt, String where)
      throws BadInputException {
    JsonNode v = t.get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.isTextual()) {
      throw new BadInputException(where + ": train." + name + " must be a string");
    }
    return v.asText();
  }

  private static double number(JsonNode t, String name, double dflt, String where)
      throws BadInputException {
    JsonNode v = t.get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new BadInputException(where + ": train." + name + " must be a finite number");
    }
    return v.asDouble();
  }

  private static long longField(JsonNode t, String name, long dflt, String where)
      throws BadInputException {
    JsonNode v = t.get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new BadInputException(where + ": train." + name + " must be an integer");
    }
    return v.asLong();
  }

  private static int intField(JsonNode t, String name, int dflt, String where)
      throws BadInputException {
    JsonNode v = t.get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
      throw new BadInputException(where + ": train." + name + " must be a positive integer");
    }
    return v.asInt();
  }

  /** The evidence the {@code evaluate} gate sees, and the provenance parameters. */
  public ObjectNode toJson() {
    ObjectNode o = Json.object();
    o.put("algorithm", algorithm);
    o.put("epochs", epochs);
    o.put("learning_rate", learningRate);
    o.put("seed", seed);
    o.put("holdout", holdout);
    o.put("positive_class", positiveClass);
    return o;
  }
}
