package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.BastionVersion;
import dev.bastion.attest.Envelope;
import dev.bastion.attest.Provenance;
import dev.bastion.attest.Statement;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.crypto.FieldEncryptor;
import dev.bastion.crypto.FieldTokenizer;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.data.Validator;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.policy.GateDecision;
import dev.bastion.policy.GateEngine;
import dev.bastion.policy.GatePolicies;
import dev.bastion.policy.GatePolicy;
import dev.bastion.registry.ModelChain;
import dev.bastion.registry.ModelRegistry;
import dev.bastion.train.TabularModel;
import dev.bastion.train.Trainer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs a pipeline definition: ingest, gate, train, gate, evaluate, gate, register. Each stage
 * signs what it produced, each gate signs its decision, each consumer checks the decision before it
 * reads its input, and everything lands on the ledger. Bad input is refused before anything is
 * stored.
 */
public final class Runner {
  private final Home home;
  private final Consumer<String> out;

  /**
   * @param out receives one line per step, for people (digests and decisions)
   */
  public Runner(Home home, Consumer<String> out) {
    this.home = home;
    this.out = out;
  }

  /**
   * What a run produced.
   *
   * @param runId the run
   * @param chain every link from snapshot to model
   * @param metrics the holdout metrics
   * @param registration the registered version
   */
  public record Result(
      String runId,
      ModelChain chain,
      Trainer.Metrics metrics,
      ModelRegistry.Registration registration) {}

  /**
   * Runs {@code def} as a library call: refused and recorded (an alert), since runs start only
   * through {@code bastion run}; see {@link #run(PipelineDefinition, Integrity.Invocation)}.
   */
  public Result run(PipelineDefinition def) throws BastionException, IOException {
    return run(def, Integrity.Invocation.library());
  }

  /**
   * Runs {@code def} to registration, started as {@code inv} says. Refused, with an alert on the
   * ledger, when the definition or the gate policies differ from their approved versions, or the
   * run does not come through {@code bastion run} from an allowed identity.
   *
   * @throws BadInputException if the data or definition cannot be read (nothing is stored)
   * @throws CheckFailedException if an integrity check, validation or a gate fails (the run stops
   *     there)
   */
  public Result run(PipelineDefinition def, Integrity.Invocation inv)
      throws BastionException, IOException {
    Integrity integrity = home.integrity();
    integrity.requireApproved(def.digest(), "pipeline", def.name(), def.file().toString(),
        inv.actor(), "run-start");
    // The schema the definition names is part of what was approved: read once, checked, and
    // these very bytes used below.
    byte[] schemaBytes = InputFiles.read(def.schema(), "schema file",
        InputFiles.MAX_DOCUMENT_BYTES);
    integrity.requireApproved(Digest.of(schemaBytes), "schema", def.name(),
        def.schema().toString(), "bastion approve " + def.file(), inv.actor(), "run-start");
    GatePolicies policies = home.approvedPolicies(inv.actor());
    String runId = integrity.beginRun(inv, Integrity.ENTRY_POINT, home.allowedRunners(true));
    home.ledger().append(Event.now(EventKind.STAGE_START, inv.actor(), "run",
        def.digest().toString(), "ok", runId,
        Map.of("pipeline", def.name(), "entry_point", inv.entryPoint())));
    boolean ok = false;
    try {
      Result r = run(def, schemaBytes, policies, runId);
      ok = true;
      return r;
    } finally {
      integrity.endRun(runId);
      home.ledger().append(Event.now(EventKind.STAGE_END, inv.actor(), "run",
          def.digest().toString(), ok ? "ok" : "failed", runId, Map.of("pipeline", def.name())));
    }
  }

  /**
   * What a run checks of a definition and the schema it names before it reads any data: the
   * schema, and the definition's columns, purpose and training parameters against it. Approval
   * checks the same before it signs them, so that what it signs a run can use.
   *
   * @return the schema
   * @throws BadInputException naming the file and what is wrong
   */
  static Schema check(PipelineDefinition def, byte[] schemaBytes) throws BadInputException {
    Schema schema = Schema.parse(schemaBytes, def.schema().toString());
    Usage.of(def, schema);
    Trainer.check(schema, def.train());
    return schema;
  }

  private Result run(PipelineDefinition def, byte[] schemaBytes, GatePolicies policies,
      String runId)
      throws BastionException, IOException {
    GateEngine engine = new GateEngine();
    GateEnforcer enforcer = new GateEnforcer(home.store(), home.trust());
    FieldTokenizer tokenizer = home.keyring().tokenizer();

    // ---- ingest: read, validate, apply consent and sensitivity; nothing is stored until the
    // data is valid, and no row or value the data set's declarations exclude is stored at all.
    Schema schema = check(def, schemaBytes);
    // Nor is an imported model's name taken over by a run: found before anything is stored.
    home.registry().checkKind(def.modelName(), false, home.trust(), "ingest", runId);
    // One read: the digest recorded as the snapshot's source is of the very bytes parsed.
    byte[] rawBytes = InputFiles.read(def.data(), "data file",
        CsvReader.Options.DEFAULT.maxFileBytes());
    Table raw = new CsvReader(CsvReader.Options.DEFAULT.withDelimiter(def.delimiter()))
        .read(new ByteArrayInputStream(rawBytes), def.data().toString());
    Usage usage = Usage.of(def, schema);
    stageEvent(EventKind.STAGE_START, "ingest", "ingest", def.data().getFileName().toString(),
        "ok", runId);
    // A value of a column the run tokenises, encrypts or drops is never quoted in an issue: the
    // message reaches terminals and job logs.
    Validator.Result validation =
        Validator.validate(raw, schema, Set.copyOf(usage.tokenised()));
    if (!validation.ok()) {
      stageEvent(EventKind.STAGE_END, "ingest", "ingest", Digest.of(rawBytes).toString(),
          "invalid", runId);
      String first = validation.issues().get(0).describe();
      throw new CheckFailedException(
          validation.issueCount() == 1
              ? first
              : first + " (and " + (validation.issueCount() - 1) + " more issues)");
    }
    Table consented = usage.consented(raw);
    long excluded = raw.rows().size() - consented.rows().size();
    // The poisoning screen: the train gate's policy says which detectors make a row suspect and
    // whether suspects are quarantined or left for its rule to judge.
    GatePolicy trainGate = policies.gate("train").orElseThrow(() -> new BadInputException(
        "the gate policies have no 'train' gate: nothing may admit data to training"));
    Screening.Result screening = Screening.run(consented, schema, trainGate);
    FieldEncryptor encryptor =
        usage.encrypted().isEmpty() ? null : home.keyring().fieldEncryptor();
    Table snapshot = usage.protect(screening.kept(), tokenizer, encryptor);
    byte[] snapshotCsv = snapshot.toCsv();
    byte[] quarantineCsv = screening.quarantined().rows().isEmpty() ? null
        : usage.protect(screening.quarantined(), tokenizer, encryptor).toCsv();
    // Data erased before is not stored again, nor are the models trained on it brought back:
    // its source still holds what was to be forgotten. Checked before anything is stored.
    home.store().refuseErased(Digest.of(snapshotCsv), "snapshot");
    if (quarantineCsv != null) {
      home.store().refuseErased(Digest.of(quarantineCsv), "quarantined rows");
    }
    Instant t0 = Instant.now();
    Digest quarantine = null;
    if (quarantineCsv != null) {
      // Kept, protected like the snapshot, as an artifact of their own: for review, never for
      // training.
      quarantine = home.store().put(quarantineCsv, "quarantine", "ingest", runId);
    }
    ObjectNode screeningNode = screening.evidence(trainGate.suspectRows());
    if (quarantine != null) {
      screeningNode.put("quarantine", quarantine.toString());
    }
    Digest schemaDigest = home.store().put(schemaBytes, "schema", "ingest", runId);
    Digest s = home.store().put(snapshotCsv, "snapshot", "ingest", runId);
    ArrayNode protectedCols = Json.array();
    usage.tokenised().forEach(protectedCols::add);
    ObjectNode consentNode = usage.consentEvidence(raw.rows().size(), excluded);
    ObjectNode sensitivityNode = usage.sensitivityEvidence();
    Digest ingestAtt =
        attest(
            "ingest", "ingest", runId, "snapshot", s,
            Provenance.stage("ingest", runId)
                .builder("ingest")
                .input("data", Digest.of(rawBytes))
                .input("schema", schemaDigest)
                .input("pipeline", def.digest())
                .parameter("pipeline", def.name())
                .parameter("data", def.data().getFileName().toString())
                .parameter("source", def.data().toUri().toString())
                .parameter("schema", def.schema().getFileName().toString())
                .parameter("purpose", def.purpose())
                .internal("protect", protectedCols)
                .internal("tokenisation", "AES-256-SIV deterministic AEAD, per-column")
                .internal("sensitivity", sensitivityNode)
                .internal("consent", consentNode)
                .internal("screening", screeningNode)
                .internal("code", "bastion " + BastionVersion.get())
                .started(t0));
    home.ledger().append(Event.now(EventKind.STAGE_END, "ingest", "ingest", s.toString(), "ok",
        runId, Map.of("rows", Integer.toString(screening.kept().rows().size()),
            "consent_excluded_rows", Long.toString(excluded),
            "suspect_rows", Integer.toString(screening.suspects()),
            "quarantined_rows", Integer.toString(screening.quarantined().rows().size()),
            "quarantine", quarantine == null ? "" : quarantine.toString())));
    out.accept(String.format(Locale.ROOT,
        "ingest    %d rows valid against schema %s; tokenised %s%s", validation.rows(),
        schema.name(), String.join(", ", usage.tokenised()), usage.describeOthers()));
    out.accept(String.format(Locale.ROOT,
        "          screened: %d suspect rows (flagged by %s)%s; each detector flags %s",
        screening.suspects(), String.join(", ", screening.detectors()),
        quarantine == null ? "" : ", quarantined as " + quarantine.shortHex(),
        String.join(", ", screening.byDetector().entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue()).toList())));
    if (schema.consentColumn().isPresent()) {
      out.accept(String.format(Locale.ROOT,
          "          %d rows excluded: their consent does not cover the purpose '%s'",
          excluded, def.purpose()));
    }
    out.accept("          snapshot " + s + " (encrypted, content-addressed)");
    out.accept("          provenance " + ingestAtt.shortHex() + " signed by ingest");

    // ---- gate: train
    ObjectNode dataEvidence = Json.object();
    ObjectNode data = dataEvidence.putObject("data");
    data.put("rows", screening.kept().rows().size());
    data.put("screened_rows", consented.rows().size());
    data.put("suspect_rows", screening.suspects());
    data.put("quarantined_rows", screening.quarantined().rows().size());
    data.put("quarantined_fraction", consented.rows().isEmpty() ? 0.0
        : (double) screening.quarantined().rows().size() / consented.rows().size());
    data.set("screening", screeningNode);
    data.put("invalid_rows", validation.invalidRows());
    data.put("columns", snapshot.columns().size());
    data.put("schema", schema.digest().toString());
    data.set("tokenised_fields", protectedCols);
    data.set("sensitivity", sensitivityNode);
    data.set("consent", consentNode);
    Digest gTrain = gate(engine, policies, "train", Map.of("snapshot", s), dataEvidence, runId);

    // ---- train (the consumer checks the gate's decision first)
    t0 = Instant.now();
    enforcer.requirePass(gTrain, "train", Map.of("snapshot", s), "trainer", runId);
    stageEvent(EventKind.STAGE_START, "trainer", "train", s.toString(), "ok", runId);
    Table trainInput = readSnapshot(home.store().get(s, "trainer", runId), s);
    TabularModel model = Trainer.train(trainInput, schema, def.train(), usage.tokenised());
    Digest m = home.store().put(model.toBytes(), "model", "trainer", runId);
    Digest trainAtt =
        attest(
            "trainer", "train", runId, "model", m,
            Provenance.stage("train", runId)
                .builder("trainer")
                .input("snapshot", s)
                .input("schema", schemaDigest)
                .input("pipeline", def.digest())
                .parameter("pipeline", def.name())
                .internal("hyperparameters", def.train().toJson())
                .internal("library", "Tribuo " + org.tribuo.Tribuo.VERSION)
                .internal("code", "bastion " + BastionVersion.get())
                .started(t0));
    stageEvent(EventKind.STAGE_END, "trainer", "train", m.toString(), "ok", runId);
    out.accept(String.format(Locale.ROOT,
        "train     logistic regression (Tribuo), %d epochs, seed %d, holdout %.0f%%",
        def.train().epochs(), def.train().seed(), 100 * def.train().holdout()));
    out.accept("          model " + m + " (encrypted)");
    out.accept("          SLSA provenance " + trainAtt.shortHex() + " signed by trainer");

    // ---- gate: evaluate (bounds on hyper-parameters)
    ObjectNode trainEvidence = Json.object();
    trainEvidence.set("train", def.train().toJson());
    trainEvidence.putObject("model").put("digest", m.toString());
    Map<String, Digest> evalInputs = new LinkedHashMap<>();
    evalInputs.put("model", m);
    evalInputs.put("snapshot", s);
    Digest gEval = gate(engine, policies, "evaluate", evalInputs, trainEvidence, runId);

    // ---- evaluate
    t0 = Instant.now();
    enforcer.requirePass(gEval, "evaluate", evalInputs, "trainer", runId);
    stageEvent(EventKind.STAGE_START, "trainer", "evaluate", m.toString(), "ok", runId);
    TabularModel loaded =
        TabularModel.fromBytes(home.store().get(m, "trainer", runId), "model " + m);
    Table evalInput = readSnapshot(home.store().get(s, "trainer", runId), s);
    Trainer.Metrics metrics = Trainer.evaluate(loaded, evalInput, def.train());
    ObjectNode report = Json.object();
    report.put("model", m.toString());
    report.put("snapshot", s.toString());
    ObjectNode mj = report.putObject("metrics");
    mj.put("auc", round(metrics.auc()));
    mj.put("accuracy", round(metrics.accuracy()));
    mj.put("holdout_rows", metrics.holdoutRows());
    Digest r = home.store().put(Json.canonical(report), "evaluation-report", "trainer", runId);
    Digest evalAtt =
        attest(
            "trainer", "evaluate", runId, "report", r,
            Provenance.stage("evaluate", runId)
                .builder("trainer")
                .input("model", m)
                .input("snapshot", s)
                .parameter("pipeline", def.name())
                .internal("split", def.train().toJson())
                .internal("code", "bastion " + BastionVersion.get())
                .started(t0));
    stageEvent(EventKind.STAGE_END, "trainer", "evaluate", r.toString(), "ok", runId);
    out.accept(String.format(Locale.ROOT,
        "evaluate  AUC %.4f, accuracy %.4f on %d holdout rows", metrics.auc(),
        metrics.accuracy(), metrics.holdoutRows()));
    out.accept("          report " + r.shortHex() + ", provenance " + evalAtt.shortHex()
        + " signed by trainer");

    // ---- gate: register
    ObjectNode metricEvidence = Json.object();
    metricEvidence.set("metrics", mj);
    Map<String, Digest> regInputs = new LinkedHashMap<>();
    regInputs.put("model", m);
    regInputs.put("report", r);
    Digest gReg = gate(engine, policies, "register", regInputs, metricEvidence, runId);

    // ---- register: the registry verifies the whole chain itself
    ModelChain chain = new ModelChain(s, m, r, ingestAtt, gTrain, trainAtt, gEval, evalAtt, gReg);
    ModelRegistry.Registration reg =
        home.registry().register(def.modelName(), chain, home.chainVerifier(),
            home.keyring().signer("registry"), runId);
    out.accept("register  " + reg.name() + " v" + reg.version() + " -> " + m.shortHex()
        + "; chain of 6 attestations verified; registration " + reg.registration().shortHex()
        + " signed by registry");
    return new Result(runId, chain, metrics, reg);
  }

  private static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }

  private Table readSnapshot(byte[] bytes, Digest d) throws BadInputException, IOException {
    return new CsvReader().read(
        new StringReader(new String(bytes, StandardCharsets.UTF_8)), "snapshot " + d.shortHex());
  }

  Digest attest(
      String signer, String stage, String runId, String subjectName, Digest subject,
      Provenance provenance) throws BastionException, IOException {
    Statement st =
        Statement.of(subjectName, subject, Provenance.PREDICATE_TYPE,
            provenance.finished(Instant.now()).toPredicate());
    Envelope env = st.sign(home.keyring().signer(signer));
    return home.store().put(env.toJson(), "attestation", signer, runId);
  }

  Digest gate(
      GateEngine engine,
      GatePolicies policies,
      String gate,
      Map<String, Digest> inputs,
      ObjectNode evidence,
      String runId) throws BastionException, IOException {
    GateDecision d = engine.decide(policies, gate, inputs, evidence, runId);
    Statement st = new Statement(inputs, GateDecision.PREDICATE_TYPE, d.toPredicate());
    Envelope env = st.sign(home.keyring().signer("gate"));
    Digest dd = home.store().put(env.toJson(), "gate-decision", "gate", runId);
    home.ledger().append(
        Event.now(EventKind.GATE_DECISION, "gate", gate, dd.toString(),
            d.passed() ? "pass" : "fail", runId,
            Map.of("rule", d.rule(), "policy", d.policyDigest().toString(),
                "inputs", inputs.toString())));
    out.accept(String.format(Locale.ROOT, "gate      %-9s %s  %s  (decision %s signed by gate)",
        gate, d.passed() ? "PASS" : "FAIL", d.rule(), dd.shortHex()));
    if (!d.passed()) {
      throw new GateFailedException(d);
    }
    return dd;
  }

  void stageEvent(
      EventKind kind, String actor, String stage, String object, String outcome, String runId) {
    home.ledger().append(
        Event.now(kind, actor, stage, object, outcome, runId, Map.of()));
  }
}
