package dev.bastion.train;

import dev.bastion.core.BadInputException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A classifier the gateway can serve: a model trained by Bastion ({@link TabularModel}) or one
 * imported from elsewhere. Both take an instance as column to raw value, checked against the same
 * {@link FeatureSpec}, and carry the profiles the gateway's input guard and behaviour monitor need.
 */
public interface Classifier {
  /**
   * A prediction.
   *
   * @param label the predicted class
   * @param scores class to probability
   */
  record Result(String label, Map<String, Double> scores) {}

  /** What an instance must hold; its numeric columns are the ones {@link #inputProfile} covers. */
  FeatureSpec spec();

  /** The classes it predicts. */
  List<String> classes();

  /** What its training (or reference) inputs looked like; empty when it was not kept. */
  Optional<InputProfile> inputProfile();

  /** Its predictions on the evaluation rows; empty when they were not kept. */
  Optional<OutputProfile> outputProfile();

  /**
   * Predicts one instance whose protected fields are already tokenised.
   *
   * @param where names the instance in messages
   * @throws BadInputException if a field is missing, unknown or invalid
   */
  Result predict(Map<String, String> instance, String where) throws BadInputException;
}
