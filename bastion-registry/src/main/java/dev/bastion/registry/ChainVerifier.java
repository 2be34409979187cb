package dev.bastion.registry;

import dev.bastion.attest.Envelope;
import dev.bastion.attest.Provenance;
import dev.bastion.attest.Statement;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import dev.bastion.policy.GateDecision;
import java.io.IOException;
import java.util.Map;

/**
 * Verifies a {@link ModelChain} link by link: each attestation is read from the store (digest
 * checked), its DSSE signature verified against the identity that alone may make it, and its
 * subjects and inputs matched to the neighbouring links. Any gap or mismatch throws; nothing is
 * skipped.
 */
public final class ChainVerifier {
  private final ArtifactStore store;
  private final Trust trust;

  public ChainVerifier(ArtifactStore store, Trust trust) {
    this.store = store;
    this.trust = trust;
  }

  /**
   * Verifies every link of {@code chain}; returns the model's bytes, read and checked.
   *
   * @throws VerificationException naming the first link that does not verify
   */
  public byte[] verify(ModelChain chain, String actor, String runId)
      throws IOException, VerificationException {
    Statement ingest = statement(chain.ingest(), "ingest", Provenance.PREDICATE_TYPE, "ingest",
        actor, runId);
    expectStage(ingest, "ingest", "ingest provenance");
    expectSubject(ingest, chain.snapshot(), "ingest provenance");

    GateDecision gTrain = decision(chain.gateTrain(), "train", actor, runId);
    expectInput(gTrain.inputs(), "snapshot", chain.snapshot(), "gate 'train' decision");

    Statement train = statement(chain.train(), "trainer", Provenance.PREDICATE_TYPE, "train",
        actor, runId);
    expectStage(train, "train", "train provenance");
    expectSubject(train, chain.model(), "train provenance");
    expectInput(Provenance.inputsOf(train.predicate()), "snapshot", chain.snapshot(),
        "train provenance");

    GateDecision gEval = decision(chain.gateEvaluate(), "evaluate", actor, runId);
    expectInput(gEval.inputs(), "model", chain.model(), "gate 'evaluate' decision");

    Statement eval = statement(chain.evaluate(), "trainer", Provenance.PREDICATE_TYPE,
        "evaluate", actor, runId);
    expectStage(eval, "evaluate", "evaluate provenance");
    expectSubject(eval, chain.report(), "evaluate provenance");
    Map<String, Digest> evalInputs = Provenance.inputsOf(eval.predicate());
    expectInput(evalInputs, "model", chain.model(), "evaluate provenance");
    expectInput(evalInputs, "snapshot", chain.snapshot(), "evaluate provenance");

    GateDecision gReg = decision(chain.gateRegister(), "register", actor, runId);
    expectInput(gReg.inputs(), "model", chain.model(), "gate 'register' decision");
    expectInput(gReg.inputs(), "report", chain.report(), "gate 'register' decision");

    return store.get(chain.model(), actor, runId);
  }

  private Statement statement(
      Digest d, String signer, String predicateType, String link, String actor, String runId)
      throws IOException, VerificationException {
    byte[] bytes = store.get(d, actor, runId);
    Envelope env;
    try {
      env = Envelope.parse(bytes, "attestation " + d);
    } catch (BadInputException e) {
      throw new VerificationException("chain link '" + link + "': " + e.getMessage(), e);
    }
    return Statement.verify(env, trust, signer, predicateType, "chain link '" + link + "' (" + d
        + ")");
  }

  private GateDecision decision(Digest d, String gate, String actor, String runId)
      throws IOException, VerificationException {
    Statement st =
        statement(d, "gate", GateDecision.PREDICATE_TYPE, "gate " + gate, actor, runId);
    GateDecision decision = GateDecision.fromPredicate(st.predicate());
    if (!decision.gate().equals(gate)) {
      throw new VerificationException(
          "chain link 'gate " + gate + "' (" + d + "): is a decision of gate '"
              + decision.gate() + "'");
    }
    if (!decision.passed()) {
      throw new VerificationException(
          "chain link 'gate " + gate + "' (" + d + "): the gate did not pass: "
              + decision.reason());
    }
    for (Map.Entry<String, Digest> in : decision.inputs().entrySet()) {
      if (!st.subjects().containsValue(in.getValue())) {
        throw new VerificationException(
            "chain link 'gate " + gate + "' (" + d + "): input " + in.getKey()
                + " is not a subject of the signed statement");
      }
    }
    return decision;
  }

  private static void expectStage(Statement st, String stage, String what)
      throws VerificationException {
    String actual = Provenance.stageOf(st.predicate());
    if (!actual.equals(stage)) {
      throw new VerificationException(what + ": made by stage '" + actual + "', expected '"
          + stage + "'");
    }
  }

  private static void expectSubject(Statement st, Digest d, String what)
      throws VerificationException {
    if (!st.subjectDigests().contains(d)) {
      throw new VerificationException(what + ": its subject is not " + d);
    }
  }

  private static void expectInput(Map<String, Digest> inputs, String role, Digest d, String what)
      throws VerificationException {
    Digest actual = inputs.get(role);
    if (actual == null) {
      throw new VerificationException(what + ": names no " + role);
    }
    if (!actual.equals(d)) {
      throw new VerificationException(
          what + ": names " + role + " " + actual + ", but the chain's " + role + " is " + d);
    }
  }
}
