package dev.bastion.policy;

import java.util.List;
import java.util.Objects;

/**
 * A named gate between two stages, and the CEL rule that must hold for its input to pass.
 *
 * @param name the gate's name: the stage it admits into ({@code train}, {@code evaluate}, ...)
 * @param rule a CEL expression over the previous stage's evidence, of type bool
 * @param description what it checks, for people
 * @param suspectRows what happens, before this gate decides, to the rows the poisoning detectors
 *     flag in the data it admits
 * @param suspectDetectors the detectors whose flags make a row suspect; empty for all of them
 */
public record GatePolicy(
    String name, String rule, String description, SuspectRows suspectRows,
    List<String> suspectDetectors) {
  /**
   * What a gate does with suspect rows (those the poisoning detectors flag), set in the policy
   * file as {@code "suspect_rows"}.
   */
  public enum SuspectRows {
    /**
     * Taken out of the batch into a quarantine artifact of their own (on the ledger); the rest
     * goes on. The evidence counts them ({@code data.suspect_rows}, {@code
     * data.quarantined_rows}), so a rule can still fail a batch with too many.
     */
    QUARANTINE("quarantine"),
    /**
     * Left in the batch and counted ({@code data.suspect_rows}): the rule decides, e.g. {@code
     * data.suspect_rows == 0} fails any batch with a suspect row.
     */
    KEEP("keep");

    private final String spelling;

    SuspectRows(String spelling) {
      this.spelling = spelling;
    }

    /** The word used in the policy file. */
    public String spelling() {
      return spelling;
    }
  }

  public GatePolicy {
    Objects.requireNonNull(name);
    Objects.requireNonNull(rule);
    Objects.requireNonNull(description);
    Objects.requireNonNull(suspectRows);
    suspectDetectors = List.copyOf(suspectDetectors);
  }

  /** A gate that keeps suspect rows in the batch (its rule decides). */
  public GatePolicy(String name, String rule, String description) {
    this(name, rule, description, SuspectRows.KEEP, List.of());
  }
}
