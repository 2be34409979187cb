package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.BastionVersion;
import dev.bastion.attest.Provenance;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.policy.GateEngine;
import dev.bastion.policy.GatePolicies;
import dev.bastion.data.Table;
import dev.bastion.registry.ImportChain;
import dev.bastion.registry.ImportedArtifact;
import dev.bastion.registry.ModelRegistry;
import dev.bastion.train.Classifier;
import dev.bastion.train.Trainer;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Registers a model trained elsewhere, as a run of its own: the model artifact (the imported file
 * wrapped with its feature order, labels and profiles: an {@link ImportedArtifact}) and the
 * reference data are stored encrypted; the artifact is loaded here and evaluated on the reference
 * data (so what {@code trainer} signs is an evaluation this class made), the import and the
 * evaluation are attested by {@code trainer}, the {@code register} gate decides on the metrics,
 * and the registry verifies the whole {@link ImportChain} (the artifact's file included) before it
 * records a version.
 */
public final class ModelImport {
  private final Home home;
  private final Consumer<String> out;

  /**
   * @param out receives one line per step, for people
   */
  public ModelImport(Home home, Consumer<String> out) {
    this.home = home;
    this.out = out;
  }

  /** Loads a model artifact into something that predicts (the caller knows the runtime). */
  @FunctionalInterface
  public interface Loader {
    /**
     * @throws BadInputException if the bytes are not a model the runtime serves
     */
    Classifier load(byte[] artifact, String where) throws BadInputException;
  }

  /**
   * What is imported.
   *
   * @param name the model name to register under
   * @param fileName the imported file's name, for the provenance
   * @param artifact the model artifact's bytes ({@link ImportedArtifact})
   * @param reference the reference data: the model's input columns and its label, nothing else
   * @param positiveClass the class whose probability is the risk score, for the AUC
   * @param loader loads {@code artifact}
   * @param runtime what runs the model ("ONNX Runtime 1.28.0"), for the provenance
   * @param parameters what the import was told (labels, schema digest), for the provenance
   */
  public record Request(
      String name,
      String fileName,
      byte[] artifact,
      Table reference,
      String positiveClass,
      Loader loader,
      String runtime,
      Map<String, String> parameters) {
    public Request {
      parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }
  }

  /**
   * What an import produced.
   *
   * @param runId the import run
   * @param chain every link from the file to the gate's decision
   * @param registration the registered version
   */
  public record Result(String runId, ImportChain chain, ModelRegistry.Registration registration) {}

  /**
   * Imports {@code req} as {@code inv} started it: refused and recorded unless through {@code
   * bastion model import} by an allowed runner, with the gate policies as approved.
   *
   * @throws dev.bastion.core.CheckFailedException if an integrity check or the gate fails (nothing
   *     is registered then)
   */
  public Result run(Request req, Integrity.Invocation inv) throws BastionException, IOException {
    Integrity integrity = home.integrity();
    GatePolicies policies = home.approvedPolicies(inv.actor());
    String runId =
        integrity.beginRun(inv, Integrity.IMPORT_ENTRY_POINT, home.allowedRunners(true));
    home.ledger().append(Event.now(EventKind.STAGE_START, inv.actor(), "run",
        "import " + req.name(), "ok", runId,
        Map.of("import", req.name(), "entry_point", inv.entryPoint())));
    boolean ok = false;
    try {
      Result r = run(req, policies, runId);
      ok = true;
      return r;
    } finally {
      integrity.endRun(runId);
      home.ledger().append(Event.now(EventKind.STAGE_END, inv.actor(), "run",
          "import " + req.name(), ok ? "ok" : "failed", runId, Map.of("import", req.name())));
    }
  }

  private Result run(Request req, GatePolicies policies, String runId)
      throws BastionException, IOException {
    Runner steps = new Runner(home, out);
    // Before anything is stored: a trained model's name is not taken over by an import.
    home.registry().checkKind(req.name(), true, home.trust(), "trainer", runId);
    Instant t0 = Instant.now();
    ImportedArtifact artifact = ImportedArtifact.parse(req.artifact(), req.fileName());
    Digest file = artifact.fileDigest();
    steps.stageEvent(EventKind.STAGE_START, "trainer", "import", file.toString(), "ok", runId);
    byte[] referenceCsv = req.reference().toCsv();
    home.store().refuseErased(Digest.of(referenceCsv), "reference data");
    Digest reference = home.store().put(referenceCsv, "reference-data", "trainer", runId);
    Digest m = home.store().put(req.artifact(), "model", "trainer", runId);
    Provenance imp = Provenance.stage("import", runId)
        .builder("trainer")
        .input("file", file)
        .input("reference", reference)
        .parameter("name", req.name())
        .parameter("file", req.fileName())
        .internal("runtime", req.runtime())
        .internal("code", "bastion " + BastionVersion.get())
        .started(t0);
    req.parameters().forEach(imp::parameter);
    Digest importAtt = steps.attest("trainer", "import", runId, "model", m, imp);
    steps.stageEvent(EventKind.STAGE_END, "trainer", "import", m.toString(), "ok", runId);
    out.accept("import    " + req.fileName() + " " + file.shortHex() + " (" + req.runtime()
        + ")");
    out.accept("          model " + m + " (encrypted), reference data " + reference.shortHex());
    out.accept("          SLSA provenance " + importAtt.shortHex() + " signed by trainer");

    // ---- evaluate: the stored artifact, loaded here, on the stored reference data
    t0 = Instant.now();
    Trainer.Metrics metrics =
        evaluate(home.store().get(m, "trainer", runId), req, "model " + m.shortHex());
    ObjectNode report = Json.object();
    report.put("model", m.toString());
    report.put("snapshot", reference.toString());
    ObjectNode mj = report.putObject("metrics");
    mj.put("auc", Math.round(metrics.auc() * 1e6) / 1e6);
    mj.put("accuracy", Math.round(metrics.accuracy() * 1e6) / 1e6);
    mj.put("holdout_rows", metrics.holdoutRows());
    Digest r = home.store().put(Json.canonical(report), "evaluation-report", "trainer", runId);
    Digest evalAtt = steps.attest("trainer", "evaluate", runId, "report", r,
        Provenance.stage("evaluate", runId)
            .builder("trainer")
            .input("model", m)
            .input("snapshot", reference)
            .parameter("reference", "all rows")
            .internal("code", "bastion " + BastionVersion.get())
            .started(t0));
    out.accept(String.format(java.util.Locale.ROOT,
        "evaluate  AUC %.4f, accuracy %.4f on %d reference rows", metrics.auc(),
        metrics.accuracy(), metrics.holdoutRows()));

    ObjectNode evidence = Json.object();
    evidence.set("metrics", mj);
    evidence.put("kind", ImportChain.KIND);
    Map<String, Digest> regInputs = new LinkedHashMap<>();
    regInputs.put("model", m);
    regInputs.put("report", r);
    Digest gReg = steps.gate(new GateEngine(), policies, "register", regInputs, evidence, runId);

    ImportChain chain = new ImportChain(file, reference, m, r, importAtt, evalAtt, gReg);
    ModelRegistry.Registration reg = home.registry().register(req.name(), chain,
        home.chainVerifier(), home.keyring().signer("registry"), runId);
    out.accept("register  " + reg.name() + " v" + reg.version() + " -> " + m.shortHex()
        + "; chain of 3 attestations verified; registration " + reg.registration().shortHex()
        + " signed by registry");
    return new Result(runId, chain, reg);
  }

  /** Loads the artifact and measures it on every reference row. */
  private static Trainer.Metrics evaluate(byte[] artifact, Request req, String where)
      throws BadInputException {
    Classifier model = req.loader().load(artifact, where);
    try {
      Table t = req.reference();
      String label = model.spec().label();
      int labelAt = t.indexOf(label);
      if (labelAt < 0) {
        throw new BadInputException(t.source() + ": has no label column '" + label + "'");
      }
      List<Map<String, String>> instances = new ArrayList<>(t.rows().size());
      List<String> truth = new ArrayList<>(t.rows().size());
      for (Table.Row r : t.rows()) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String c : model.spec().inputColumns()) {
          int at = t.indexOf(c);
          if (at < 0) {
            throw new BadInputException(t.source() + ": has no column '" + c + "'");
          }
          values.put(c, r.cells().get(at));
        }
        instances.add(values);
        truth.add(r.cells().get(labelAt));
      }
      return Trainer.evaluate(model, instances, truth, req.positiveClass(), t.source());
    } finally {
      if (model instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          // Releasing a native session after the evaluation: nothing was lost.
        }
      }
    }
  }
}
