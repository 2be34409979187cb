package dev.bastion.serve;

import dev.bastion.core.BadInputException;
import dev.bastion.train.FeatureSpec;
import dev.bastion.train.InputProfile;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Holds a request's instances to the served model's training inputs before the model sees them: a
 * numeric value outside the schema's declared range is refused; an instance unlike the training
 * data ({@link InputProfile.Assessment#outOfDistribution()}) is flagged, or refused when the
 * policy says so. Types and categories are the feature spec's, checked by {@link PredictRequest}.
 */
public final class InputGuard {
  /** What an out-of-distribution instance gets. */
  public enum Policy {
    /** Answered, and counted and recorded on the ledger. */
    FLAG,
    /** Refused (400 {@code out_of_distribution}). */
    REJECT;

    /**
     * Reads {@code flag} or {@code reject}.
     *
     * @throws BadInputException naming the value otherwise
     */
    public static Policy parse(String text) throws BadInputException {
      return switch (text) {
        case "flag" -> FLAG;
        case "reject" -> REJECT;
        default -> throw new BadInputException(
            "--ood: '" + text + "' is not a policy (flag or reject)");
      };
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A request's verdict.
   *
   * @param refusal the error code and message when the request is refused
   * @param flagged instances out of distribution (answered under {@link Policy#FLAG})
   * @param maxScore the highest out-of-distribution score among the instances
   */
  public record Verdict(Optional<String[]> refusal, int flagged, double maxScore) {
    /** The ledger's word for it: pass, flag or reject. */
    public String decision() {
      return refusal.isPresent() ? "reject" : flagged > 0 ? "flag" : "pass";
    }
  }

  private final FeatureSpec spec;
  private final InputProfile profile;
  private final Policy policy;

  public InputGuard(FeatureSpec spec, InputProfile profile, Policy policy) {
    this.spec = spec;
    this.profile = profile;
    this.policy = policy;
  }

  public Policy policy() {
    return policy;
  }

  /**
   * Checks every instance (as {@link PredictRequest#parse} gives them).
   *
   * @throws BadInputException if a numeric field cannot be read (the parser lets none through)
   */
  public Verdict check(List<Map<String, String>> instances) throws BadInputException {
    int flagged = 0;
    double max = 0;
    for (int i = 0; i < instances.size(); i++) {
      String where = "instances[" + i + "]";
      InputProfile.Assessment a = profile.assess(spec, instances.get(i), where);
      if (!a.outOfDomain().isEmpty()) {
        String c = a.outOfDomain().get(0);
        double[] r = profile.declared().get(c);
        return new Verdict(Optional.of(new String[] {"out_of_domain",
            where + ": field '" + c + "' is outside its declared range [" + bound(r[0]) + ", "
                + bound(r[1]) + "]"}), flagged, Math.max(max, a.score()));
      }
      max = Math.max(max, a.score());
      if (a.outOfDistribution()) {
        flagged++;
        if (policy == Policy.REJECT) {
          String why = a.beyondTraining().isEmpty()
              ? String.format(Locale.ROOT, "score %.2f above 1", a.score())
              : "field '" + a.beyondTraining().get(0) + "' is beyond the training range";
          return new Verdict(Optional.of(new String[] {"out_of_distribution",
              where + ": unlike the model's training data (" + why + ")"}), flagged, max);
        }
      }
    }
    return new Verdict(Optional.empty(), flagged, max);
  }

  private static String bound(double v) {
    return Double.isInfinite(v) ? (v < 0 ? "-inf" : "inf")
        : v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
