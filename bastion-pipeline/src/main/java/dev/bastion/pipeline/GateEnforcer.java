package dev.bastion.pipeline;

import dev.bastion.attest.Envelope;
import dev.bastion.attest.Statement;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import dev.bastion.policy.GateDecision;
import dev.bastion.registry.ArtifactStore;
import java.io.IOException;
import java.util.Map;

/**
 * The consumer's side of a gate: a stage calls {@link #requirePass} before it touches its inputs,
 * and goes on only with a passing decision, signed by the {@code gate} identity, that names exactly
 * those inputs. There is no switch to skip it.
 */
final class GateEnforcer {
  private final ArtifactStore store;
  private final Trust trust;

  GateEnforcer(ArtifactStore store, Trust trust) {
    this.store = store;
    this.trust = trust;
  }

  /**
   * Checks the decision {@code decisionDigest} of {@code gate} for {@code inputs}.
   *
   * @throws VerificationException if it is missing, not signed by the gate, of another gate, not a
   *     pass, or about other inputs
   */
  void requirePass(Digest decisionDigest, String gate, Map<String, Digest> inputs, String actor,
      String runId) throws IOException, VerificationException {
    byte[] bytes = store.get(decisionDigest, actor, runId);
    Envelope env;
    try {
      env = Envelope.parse(bytes, "decision " + decisionDigest);
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    Statement st =
        Statement.verify(env, trust, "gate", GateDecision.PREDICATE_TYPE,
            "gate '" + gate + "' decision " + decisionDigest);
    GateDecision d = GateDecision.fromPredicate(st.predicate());
    if (!d.gate().equals(gate)) {
      throw new VerificationException(
          actor + " refuses its input: decision is of gate '" + d.gate() + "', not '" + gate
              + "'");
    }
    if (!d.passed()) {
      throw new VerificationException(
          actor + " refuses its input: gate '" + gate + "' did not pass: " + d.reason());
    }
    if (!d.inputs().equals(inputs) || !st.subjects().values().containsAll(inputs.values())) {
      throw new VerificationException(
          actor + " refuses its input: gate '" + gate + "' decided on " + d.inputs()
              + ", not on " + inputs);
    }
  }
}
