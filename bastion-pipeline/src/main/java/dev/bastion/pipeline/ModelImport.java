package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.BastionVersion;
import dev.bastion.attest.Provenance;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.policy.GateEngine;
import dev.bastion.policy.GatePolicies;
import dev.bastion.registry.ImportChain;
import dev.bastion.registry.ModelRegistry;
import dev.bastion.train.Trainer;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Registers a model trained elsewhere, as a run of its own: the model artifact (the imported file
 * wrapped with its feature order, labels and profiles) and the reference data are stored
 * encrypted, the import and the evaluation on the reference data are attested by {@code trainer},
 * the {@code register} gate decides on the metrics as it does for a trained model, and the
 * registry verifies the whole {@link ImportChain} before it records a version. The caller (which
 * can run the model) builds the artifact and measures the metrics.
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

  /**
   * What is imported.
   *
   * @param name the model name to register under
   * @param file the imported file's digest, as read
   * @param fileName the imported file's name, for the provenance
   * @param model the model artifact's bytes
   * @param reference the reference data (CSV), as read
   * @param metrics the model's metrics on the reference data
   * @param runtime what runs the model ("ONNX Runtime 1.28.0"), for the provenance
   * @param parameters what the import was told (labels, positive class, schema digest)
   */
  public record Request(
      String name,
      Digest file,
      String fileName,
      byte[] model,
      byte[] reference,
      Trainer.Metrics metrics,
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
    String runId = integrity.beginRun(inv, home.allowedRunners(true));
    home.ledger().append(Event.now(EventKind.STAGE_START, inv.actor(), "run",
        req.file().toString(), "ok", runId,
        Map.of("import", req.name(), "entry_point", inv.entryPoint())));
    boolean ok = false;
    try {
      Result r = run(req, policies, runId);
      ok = true;
      return r;
    } finally {
      integrity.endRun(runId);
      home.ledger().append(Event.now(EventKind.STAGE_END, inv.actor(), "run",
          req.file().toString(), ok ? "ok" : "failed", runId, Map.of("import", req.name())));
    }
  }

  private Result run(Request req, GatePolicies policies, String runId)
      throws BastionException, IOException {
    Runner steps = new Runner(home, out);
    Instant t0 = Instant.now();
    steps.stageEvent(EventKind.STAGE_START, "trainer", "import", req.file().toString(), "ok",
        runId);
    Digest reference = home.store().put(req.reference(), "reference-data", "trainer", runId);
    Digest m = home.store().put(req.model(), "model", "trainer", runId);
    Provenance imp = Provenance.stage("import", runId)
        .builder("trainer")
        .input("file", req.file())
        .input("reference", reference)
        .parameter("name", req.name())
        .parameter("file", req.fileName())
        .internal("runtime", req.runtime())
        .internal("code", "bastion " + BastionVersion.get())
        .started(t0);
    req.parameters().forEach(imp::parameter);
    Digest importAtt = steps.attest("trainer", "import", runId, "model", m, imp);
    steps.stageEvent(EventKind.STAGE_END, "trainer", "import", m.toString(), "ok", runId);
    out.accept("import    " + req.fileName() + " " + req.file().shortHex() + " (" + req.runtime()
        + ")");
    out.accept("          model " + m + " (encrypted), reference data " + reference.shortHex());
    out.accept("          SLSA provenance " + importAtt.shortHex() + " signed by trainer");

    t0 = Instant.now();
    ObjectNode report = Json.object();
    report.put("model", m.toString());
    report.put("snapshot", reference.toString());
    ObjectNode mj = report.putObject("metrics");
    mj.put("auc", Math.round(req.metrics().auc() * 1e6) / 1e6);
    mj.put("accuracy", Math.round(req.metrics().accuracy() * 1e6) / 1e6);
    mj.put("holdout_rows", req.metrics().holdoutRows());
    Digest r = home.store().put(Json.canonical(report), "evaluation-report", "trainer", runId);
    Digest evalAtt = steps.attest("trainer", "evaluate", runId, "report", r,
        Provenance.stage("evaluate", runId)
            .builder("trainer")
            .input("model", m)
            .input("snapshot", reference)
            .parameter("reference", "all rows")
            .started(t0));
    out.accept(String.format(java.util.Locale.ROOT,
        "evaluate  AUC %.4f, accuracy %.4f on %d reference rows", req.metrics().auc(),
        req.metrics().accuracy(), req.metrics().holdoutRows()));

    ObjectNode evidence = Json.object();
    evidence.set("metrics", mj);
    Map<String, Digest> regInputs = new LinkedHashMap<>();
    regInputs.put("model", m);
    regInputs.put("report", r);
    Digest gReg = steps.gate(new GateEngine(), policies, "register", regInputs, evidence, runId);

    ImportChain chain = new ImportChain(req.file(), reference, m, r, importAtt, evalAtt, gReg);
    ModelRegistry.Registration reg = home.registry().register(req.name(), chain,
        home.chainVerifier(), home.keyring().signer("registry"), runId);
    out.accept("register  " + reg.name() + " v" + reg.version() + " -> " + m.shortHex()
        + "; chain of 3 attestations verified; registration " + reg.registration().shortHex()
        + " signed by registry");
    return new Result(runId, chain, reg);
  }
}
