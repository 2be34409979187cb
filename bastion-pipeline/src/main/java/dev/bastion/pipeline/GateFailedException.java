package dev.bastion.pipeline;

import dev.bastion.core.CheckFailedException;
import dev.bastion.policy.GateDecision;

/** A gate denied its input; the run stopped there. */
public final class GateFailedException extends CheckFailedException {
  private final transient GateDecision decision;

  public GateFailedException(GateDecision decision) {
    super("gate '" + decision.gate() + "' denied: " + decision.reason());
    this.decision = decision;
  }

  public GateDecision decision() {
    return decision;
  }
}
