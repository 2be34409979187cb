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
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Verifies a {@link ModelChain} link by link: each attestation is read from an {@link
 * ArtifactSource} (digest checked), its DSSE signature verified against the identity that alone may make it, and its
 * subjects and inputs matched to the neighbouring links. Any gap or mismatch throws; nothing is
 * skipped.
 */
public final class ChainVerifier {
  private final ArtifactSource store;
  private final Trust trust;

  /**
   * @param store where artifacts are read from, each digest-checked on read: the encrypted store
   *     of a home, or an exported evidence directory
   * @param trust the CA and the identities that may sign the links
   */
  public ChainVerifier(ArtifactSource store, Trust trust) {
    this.store = store;
    this.trust = trust;
  }

  /**
   * Which plain artifacts are read and digest-checked besides the attestations, which are always
   * all read and verified.
   */
  public enum Contents {
    /** The model only: what every load reads anyway. */
    MODEL(false, true),
    /**
     * The snapshot (or an import's reference data), the evaluation report and the model:
     * everything an evidence export holds.
     */
    ALL(true, true),
    /**
     * The evaluation report only: evidence exported without the data and the model, whose
     * contents are then not checked (their digests still are, in every signed link).
     */
    WITHOUT_DATA(false, false);

    private final boolean snapshot;
    private final boolean model;

    Contents(boolean snapshot, boolean model) {
      this.snapshot = snapshot;
      this.model = model;
    }
  }

  /**
   * One verified link, for people and for machines.
   *
   * @param link what it is ("source data", "snapshot", "gate train", ...)
   * @param digest the artifact or attestation
   * @param signer who signed it (empty for plain artifacts)
   * @param detail a short description: stage, gate rule and outcome, metrics
   */
  public record Link(String link, Digest digest, String signer, String detail) {}

  /**
   * A chain that verified.
   *
   * @param links from the source data to the model, in order
   * @param model the model's bytes, read and digest-checked; empty when the model's content was
   *     not checked ({@link Contents#WITHOUT_DATA})
   * @param notChecked the artifacts whose content was not read (only their digests were matched
   *     across the signed links), by link name: empty unless {@link Contents#WITHOUT_DATA}
   */
  public record Verified(List<Link> links, Optional<byte[]> model, Map<String, Digest> notChecked) {
    public Verified {
      links = List.copyOf(links);
      notChecked = Collections.unmodifiableMap(new LinkedHashMap<>(notChecked));
    }
  }

  /**
   * Checks that the data a model was made from (its snapshot, or an import's reference data) is
   * still in the store, without reading it: what a server checks again while it serves, since an
   * erasure elsewhere ends the model's service.
   *
   * @throws VerificationException if it was erased or is missing
   */
  public void checkDataPresent(Chain chain, String actor, String runId)
      throws IOException, VerificationException {
    store.checkPresent(chain.data(), actor, runId);
  }

  /**
   * Verifies every link of {@code chain}; returns the model's bytes, read and checked.
   *
   * @throws VerificationException naming the first link that does not verify
   */
  public byte[] verify(Chain chain, String actor, String runId)
      throws IOException, VerificationException {
    return verifyAll(chain, Contents.MODEL, actor, runId).model().orElseThrow();
  }

  /**
   * Verifies every link of {@code chain}, walking from the source data to the model.
   *
   * @throws VerificationException naming the first link that does not verify
   */
  public Verified verifyAll(Chain chain, String actor, String runId)
      throws IOException, VerificationException {
    return verifyAll(chain, Contents.MODEL, actor, runId);
  }

  /**
   * Verifies every link of {@code chain}, walking from the source data to the model, and reads
   * and digest-checks the plain artifacts that {@code contents} names.
   *
   * @throws VerificationException naming the first link that does not verify
   */
  public Verified verifyAll(Chain chain, Contents contents, String actor, String runId)
      throws IOException, VerificationException {
    return switch (chain) {
      case ModelChain trained -> verifyTrained(trained, contents, actor, runId);
      case ImportChain imported -> verifyImported(imported, contents, actor, runId);
    };
  }

  /**
   * An imported model's chain: the import provenance (file and reference data in, model out),
   * the evaluation on the reference data, the register gate.
   */
  private Verified verifyImported(
      ImportChain chain, Contents contents, String actor, String runId)
      throws IOException, VerificationException {
    Map<String, Digest> notChecked = new LinkedHashMap<>();
    List<Link> links = new ArrayList<>();
    Statement imp = statement(chain.importation(), "trainer", Provenance.PREDICATE_TYPE, "import",
        actor, runId);
    expectStage(imp, "import", "trainer", "import provenance");
    expectSubject(imp, chain.model(), "import provenance");
    Map<String, Digest> impInputs = Provenance.inputsOf(imp.predicate());
    expectInput(impInputs, "file", chain.source(), "import provenance");
    expectInput(impInputs, "reference", chain.reference(), "import provenance");
    links.add(new Link("imported file", chain.source(), "", "as given to bastion model import"));
    if (contents.snapshot) {
      byte[] reference = store.get(chain.reference(), actor, runId);
      links.add(new Link("reference data", chain.reference(), "",
          reference.length + " bytes, digest checked"));
    } else if (contents == Contents.WITHOUT_DATA) {
      notChecked.put("reference data", chain.reference());
      links.add(new Link("reference data", chain.reference(), "",
          "content not exported, not checked"));
    } else {
      // Not read, but it must still be there: a model whose reference data was erased is not
      // served, as its chain no longer verifies in full.
      store.checkPresent(chain.reference(), actor, runId);
      links.add(new Link("reference data", chain.reference(), "", "encrypted"));
    }
    links.add(new Link("import provenance", chain.importation(), "trainer", "SLSA v1, runtime "
        + imp.predicate().path("buildDefinition").path("internalParameters").path("runtime")
            .asText("(none)")));

    links.add(evaluation(chain, "SLSA v1, on the reference data", actor, runId));
    Verified v = registered(chain, contents, links, notChecked, actor, runId);
    if (v.model().isPresent()) {
      // The artifact must wrap the very file the import provenance names.
      ImportedArtifact a;
      try {
        a = ImportedArtifact.parse(v.model().get(), "model " + chain.model());
      } catch (BadInputException e) {
        throw new VerificationException("chain link 'model': " + e.getMessage(), e);
      }
      if (!a.fileDigest().equals(chain.source())) {
        throw new VerificationException("chain link 'model' (" + chain.model() + "): wraps the"
            + " file " + a.fileDigest() + ", but the import provenance names " + chain.source());
      }
    }
    return v;
  }

  /** The evaluation of {@code chain}'s model on its data, signed by {@code trainer}. */
  private Link evaluation(Chain chain, String detail, String actor, String runId)
      throws IOException, VerificationException {
    Digest evaluate = chain.evaluate();
    Statement eval = statement(evaluate, "trainer", Provenance.PREDICATE_TYPE, "evaluate", actor,
        runId);
    expectStage(eval, "evaluate", "trainer", "evaluate provenance");
    expectSubject(eval, chain.report(), "evaluate provenance");
    Map<String, Digest> evalInputs = Provenance.inputsOf(eval.predicate());
    expectInput(evalInputs, "model", chain.model(), "evaluate provenance");
    expectInput(evalInputs, "snapshot", chain.data(), "evaluate provenance");
    return new Link("evaluate provenance", evaluate, "trainer", detail);
  }

  /** The report, the register gate's decision on it and the model, and the model's bytes. */
  private Verified registered(Chain chain, Contents contents, List<Link> links,
      Map<String, Digest> notChecked, String actor, String runId)
      throws IOException, VerificationException {
    report(chain.report(), contents, links, actor, runId);
    Digest gate = chain.gateRegister();
    GateDecision gReg = decision(gate, "register", actor, runId);
    expectInput(gReg.inputs(), "model", chain.model(), "gate 'register' decision");
    expectInput(gReg.inputs(), "report", chain.report(), "gate 'register' decision");
    links.add(gateLink(gReg, gate));
    return model(chain.model(), contents, links, notChecked, actor, runId);
  }

  private void report(Digest report, Contents contents, List<Link> links, String actor,
      String runId) throws IOException, VerificationException {
    if (contents == Contents.MODEL) {
      links.add(new Link("evaluation report", report, "", "metrics"));
    } else {
      byte[] bytes = store.get(report, actor, runId);
      links.add(new Link("evaluation report", report, "",
          "metrics; " + bytes.length + " bytes, digest checked"));
    }
  }

  private Verified model(Digest model, Contents contents, List<Link> links,
      Map<String, Digest> notChecked, String actor, String runId)
      throws IOException, VerificationException {
    if (!contents.model) {
      notChecked.put("model", model);
      links.add(new Link("model", model, "", "content not exported, not checked"));
      return new Verified(links, Optional.empty(), notChecked);
    }
    byte[] bytes = store.get(model, actor, runId);
    links.add(new Link("model", model, "", bytes.length + " bytes, digest checked"));
    return new Verified(links, Optional.of(bytes), notChecked);
  }

  private Verified verifyTrained(ModelChain chain, Contents contents, String actor, String runId)
      throws IOException, VerificationException {
    Map<String, Digest> notChecked = new LinkedHashMap<>();
    List<Link> links = new ArrayList<>();
    Statement ingest = statement(chain.ingest(), "ingest", Provenance.PREDICATE_TYPE, "ingest",
        actor, runId);
    expectStage(ingest, "ingest", "ingest", "ingest provenance");
    expectSubject(ingest, chain.snapshot(), "ingest provenance");
    Map<String, Digest> ingestInputs = Provenance.inputsOf(ingest.predicate());
    Digest source = ingestInputs.get("data");
    if (source == null) {
      throw new VerificationException("ingest provenance: names no source data");
    }
    links.add(new Link("source data", source, "", "raw input, as read by ingest"));
    links.add(new Link("ingest provenance", chain.ingest(), "ingest",
        "SLSA v1, schema " + shortOf(ingestInputs.get("schema"))));
    if (contents.snapshot) {
      byte[] snapshot = store.get(chain.snapshot(), actor, runId);
      links.add(new Link("snapshot", chain.snapshot(), "",
          "validated, tokenised; " + snapshot.length + " bytes, digest checked"));
    } else if (contents == Contents.WITHOUT_DATA) {
      notChecked.put("snapshot", chain.snapshot());
      links.add(new Link("snapshot", chain.snapshot(), "",
          "validated, tokenised; content not exported, not checked"));
    } else {
      // Not read, but it must still be there: a model trained on an erased snapshot is not
      // served, as its chain no longer verifies in full.
      store.checkPresent(chain.snapshot(), actor, runId);
      links.add(new Link("snapshot", chain.snapshot(), "", "validated, tokenised, encrypted"));
    }

    GateDecision gTrain = decision(chain.gateTrain(), "train", actor, runId);
    expectInput(gTrain.inputs(), "snapshot", chain.snapshot(), "gate 'train' decision");
    links.add(gateLink(gTrain, chain.gateTrain()));

    Statement train = statement(chain.train(), "trainer", Provenance.PREDICATE_TYPE, "train",
        actor, runId);
    expectStage(train, "train", "trainer", "train provenance");
    expectSubject(train, chain.model(), "train provenance");
    expectInput(Provenance.inputsOf(train.predicate()), "snapshot", chain.snapshot(),
        "train provenance");
    links.add(new Link("train provenance", chain.train(), "trainer", "SLSA v1, hyper-parameters "
        + train.predicate().path("buildDefinition").path("internalParameters")
            .path("hyperparameters")));

    GateDecision gEval = decision(chain.gateEvaluate(), "evaluate", actor, runId);
    expectInput(gEval.inputs(), "model", chain.model(), "gate 'evaluate' decision");
    links.add(gateLink(gEval, chain.gateEvaluate()));

    links.add(evaluation(chain, "SLSA v1", actor, runId));
    return registered(chain, contents, links, notChecked, actor, runId);
  }

  private static Link gateLink(GateDecision d, Digest digest) {
    return new Link("gate " + d.gate(), digest, "gate",
        "PASS " + d.rule() + " on " + d.evidence());
  }

  private static String shortOf(Digest d) {
    return d == null ? "(none)" : d.shortHex();
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

  private static void expectStage(Statement st, String stage, String builder, String what)
      throws VerificationException {
    String actual = Provenance.stageOf(st.predicate());
    if (!actual.equals(stage)) {
      throw new VerificationException(what + ": made by stage '" + actual + "', expected '"
          + stage + "'");
    }
    // The builder it names is the identity whose signature was just checked.
    String named = Provenance.builderOf(st.predicate());
    if (!named.equals(builder)) {
      throw new VerificationException(what + ": names builder '" + named + "', but '" + builder
          + "' signed it");
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
