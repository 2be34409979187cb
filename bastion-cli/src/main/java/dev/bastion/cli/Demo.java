package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BastionException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Json;
import dev.bastion.crypto.Keyring;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Table;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The credit-risk example end to end: init, run the pipeline, serve the model, one authenticated
 * prediction, one request without a certificate refused, and the ledger verified.
 */
public final class Demo {
  private final Path homeDir;
  private final Path pipeline;
  private final PrintStream out;

  public Demo(Path homeDir, Path pipeline, PrintStream out) {
    this.homeDir = homeDir;
    this.pipeline = pipeline;
    this.out = out;
  }

  /** Runs the demo; returns normally only when every step held. */
  public void run() throws BastionException, IOException, InterruptedException {
    long t0 = System.nanoTime();
    out.println("Bastion demo: the credit-risk pipeline, every stage gated, signed and logged");
    out.println("BASTION_HOME " + homeDir);
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    try (Home home = Home.init(homeDir)) {
      step(1, "init");
      if (home.created().isEmpty()) {
        out.println("  already initialised: keys, CA and policies unchanged");
      } else {
        home.created().forEach(c -> out.println("  created " + c));
      }
      out.println("  gate policies " + home.policies().digest());

      step(2, "run " + def.name() + " (" + pipeline.getFileName() + ", " + def.digest().shortHex()
          + ")");
      Runner.Result result = approveAndRun(home, pipeline, def, line -> out.println("  " + line));

      step(3, "serve");
      Keyring keys = home.keyring();
      ServedModel served =
          ServedModel.load(def.modelName(), home.registry(), home.chainVerifier(), home.trust(),
              home.integrity().openSession("serve"));
      out.println("  loaded " + served.name() + " v" + served.version() + " " + served.digest());
      out.println("  after verifying its signed registration and all 6 attestations of its chain");
      try (Gateway g =
          Gateway.start(Gateway.Config.defaults().withPort(0), served, keys, home.trust(),
              home.ledger())) {
        out.println("  gateway on https://127.0.0.1:" + g.port()
            + " (TLS 1.3 only; a client certificate from the local CA, or a signed bearer"
            + " token, on every request)");
        String body = exampleRequest(def);
        String path = "/v1/models/" + served.name() + ":predict";
        GatewayClient.Reply reply =
            GatewayClient.as(keys, Keyring.DEMO_CLIENT).post(g.port(), path, body);
        out.println("  POST " + path + " as " + Keyring.DEMO_CLIENT + " (role predict)");
        out.println("    request  " + body);
        out.println("    response " + reply.status() + " " + reply.body());
        if (reply.status() != 200) {
          throw new CheckFailedException("the authenticated prediction failed: " + reply.body());
        }
        out.println("  POST " + path + " without a client certificate or token");
        long calls = g.modelCalls();
        GatewayClient.Reply anon = GatewayClient.anonymous(keys).post(g.port(), path, body);
        if (anon.status() != 401 || g.modelCalls() != calls) {
          throw new CheckFailedException(
              "a request without a client certificate or token was answered: " + anon.status());
        }
        out.println("    response " + anon.status() + " " + anon.body()
            + "; the model was not called");
      }

      step(4, "audit verify");
      LedgerVerifier.Result ledger =
          LedgerVerifier.verify(homeDir.resolve("ledger"), Home.ledgerVerifier(homeDir));
      out.println("  ledger ok: " + ledger.size() + " entries, Merkle root " + ledger.root()
          + ", " + ledger.checkpoints() + " signed checkpoints");
      out.println("  every step above is on it: 'bastion audit tail -n " + ledger.size()
          + "' lists them");
      out.printf(Locale.ROOT, "done in %.1f s: model %s v%d, AUC %.3f, run %s%n",
          (System.nanoTime() - t0) / 1e9, result.registration().name(),
          result.registration().version(), result.metrics().auc(), result.runId());
    }
  }

  /**
   * Approves {@code def} if this is its first run in {@code home} (signed by gate, as {@code
   * bastion approve} does), then runs it as {@code bastion run} does; progress goes to {@code log}.
   */
  static Runner.Result approveAndRun(
      Home home, Path pipeline, PipelineDefinition def, Consumer<String> log)
      throws BastionException, IOException {
    if (home.integrity().approveIfFirst(pipeline, "pipeline", def.name(),
        Integrity.currentUser())) {
      log.accept("approved the definition " + def.digest().shortHex()
          + " (first run; signed by gate, as 'bastion approve' does)");
    }
    return new Runner(home, log).run(def, Integrity.Invocation.bastionRun());
  }

  private void step(int n, String what) {
    out.println();
    out.println("[" + n + "/4] " + what);
  }

  /** The first row of the example data, without its label, as a predict request. */
  static String exampleRequest(PipelineDefinition def)
      throws BastionException, IOException {
    Table t = new CsvReader(CsvReader.Options.DEFAULT.withDelimiter(def.delimiter()))
        .read(def.data());
    Table.Row row = t.rows().get(0);
    ObjectNode inst = Json.object();
    String label = dev.bastion.data.Schema.load(def.schema()).label();
    for (int i = 0; i < t.columns().size(); i++) {
      String c = t.columns().get(i);
      if (c.equals(label)) {
        continue;
      }
      String v = row.cells().get(i);
      if (v.matches("-?[0-9]+")) {
        inst.put(c, Long.parseLong(v));
      } else {
        inst.put(c, v);
      }
    }
    ObjectNode req = Json.object();
    req.putArray("instances").add(inst);
    return Json.canonicalString(req);
  }
}
