package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.attest.Provenance;
import dev.bastion.core.BadInputException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.data.Table;
import dev.bastion.policy.GateEngine;
import dev.bastion.registry.ImportChain;
import dev.bastion.registry.ImportedArtifact;
import dev.bastion.train.Classifier;
import dev.bastion.train.FeatureSpec;
import dev.bastion.train.InputProfile;
import dev.bastion.train.OutputProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An import is a run of its own whose chain the registry verifies link by link, the model artifact
 * bound to the file its provenance names. The model here is a stand-in (no ONNX Runtime in this
 * module): "yes" when x is positive.
 */
class ImportTamperTest {
  @TempDir static Path tmp;
  static Home home;
  static ModelImport.Result result;

  /** Predicts "yes" with probability sigmoid(x). */
  static final class Sign implements Classifier {
    final FeatureSpec spec = new FeatureSpec("y", "yes", Map.of("x", new double[] {0, 1}),
        Map.of(), List.of());

    @Override
    public FeatureSpec spec() {
      return spec;
    }

    @Override
    public List<String> classes() {
      return List.of("no", "yes");
    }

    @Override
    public Optional<InputProfile> inputProfile() {
      return Optional.empty();
    }

    @Override
    public Optional<OutputProfile> outputProfile() {
      return Optional.empty();
    }

    @Override
    public Result predict(Map<String, String> instance, String where) throws BadInputException {
      double p = 1 / (1 + Math.exp(-Double.parseDouble(instance.get("x"))));
      Map<String, Double> scores = new LinkedHashMap<>();
      scores.put("no", 1 - p);
      scores.put("yes", p);
      return new Result(p > 0.5 ? "yes" : "no", scores);
    }
  }

  static byte[] artifact(String file) throws BadInputException {
    return ImportedArtifact.pack(Json.object(), file.getBytes(StandardCharsets.UTF_8));
  }

  static Table reference() {
    List<Table.Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      double x = (i - 100) / 10.0;
      // one row in ten labelled against the sign, so the metrics are not trivially perfect
      boolean yes = (x > 0) != (i % 10 == 0);
      rows.add(new Table.Row(i + 2, List.of(Double.toString(x), yes ? "yes" : "no")));
    }
    return new Table("reference.csv", List.of("x", "y"), rows);
  }

  static ModelImport.Request request(String name, byte[] artifact) {
    return new ModelImport.Request(name, "sign.bin", artifact, reference(), "yes",
        (bytes, where) -> {
          ImportedArtifact.parse(bytes, where);
          return new Sign();
        }, "test runtime", Map.of());
  }

  @BeforeAll
  static void importOnce() throws Exception {
    home = Home.init(tmp.resolve("home"));
    result = new ModelImport(home, line -> { })
        .run(request("sign", artifact("the file")), Integrity.Invocation.modelImport());
  }

  @AfterAll
  static void close() throws IOException {
    home.close();
  }

  @Test
  void theImportIsRegisteredWithMetricsMeasuredHere() throws Exception {
    assertThat(result.registration().version()).isEqualTo(1);
    assertThat(result.chain().source())
        .isEqualTo(Digest.of("the file".getBytes(StandardCharsets.UTF_8)));
    byte[] report = home.store().get(result.chain().report(), "test", "t");
    var metrics = Json.parse(report, "report").path("metrics");
    assertThat(metrics.path("accuracy").asDouble()).isEqualTo(0.9);
    assertThat(metrics.path("holdout_rows").asInt()).isEqualTo(200);
    assertThat(home.chainVerifier().verify(result.chain(), "test", "t"))
        .isEqualTo(home.store().get(result.chain().model(), "test", "t"));
  }

  @Test
  void anImportStartedAsAPipelineRunIsRefused() {
    assertThatThrownBy(() -> new ModelImport(home, line -> { })
        .run(request("other", artifact("x")), Integrity.Invocation.bastionRun()))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("'bastion model import'");
  }

  static Stream<Arguments> brokenChains() {
    return Stream.of(
        broken("the file's digest replaced", c -> with(c, "source", c.model())),
        broken("the reference data replaced by the report", c -> with(c, "reference", c.report())),
        broken("the model replaced by the reference data", c -> with(c, "model", c.reference())),
        broken("the report replaced by the model", c -> with(c, "report", c.model())),
        broken("import provenance replaced by evaluate's",
            c -> with(c, "importation", c.evaluate())),
        broken("evaluate provenance replaced by import's",
            c -> with(c, "evaluate", c.importation())),
        broken("register gate replaced by the import provenance",
            c -> with(c, "gateRegister", c.importation())));
  }

  static Arguments broken(String name, UnaryOperator<ImportChain> f) {
    return Arguments.of(name, f);
  }

  static ImportChain with(ImportChain c, String field, Digest d) {
    Map<String, Digest> m = new java.util.HashMap<>();
    m.put("source", c.source());
    m.put("reference", c.reference());
    m.put("model", c.model());
    m.put("report", c.report());
    m.put("importation", c.importation());
    m.put("evaluate", c.evaluate());
    m.put("gateRegister", c.gateRegister());
    m.put(field, d);
    return new ImportChain(m.get("source"), m.get("reference"), m.get("model"), m.get("report"),
        m.get("importation"), m.get("evaluate"), m.get("gateRegister"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenChains")
  void theRegistryRefusesAnImportChainWithOneWrongLink(String name,
      UnaryOperator<ImportChain> f) throws Exception {
    int before = home.registry().list().size();
    ImportChain chain = f.apply(result.chain());
    assertThatThrownBy(() -> home.registry().register("tampered", chain, home.chainVerifier(),
        home.keyring().signer("registry"), "test"))
        .as(name).isInstanceOf(VerificationException.class);
    assertThat(home.registry().list()).hasSize(before);
  }

  @Test
  void anArtifactWrappingAnotherFileIsRefusedThoughEveryLinkIsSigned() throws Exception {
    // Every attestation well signed, but the model artifact wraps other bytes than the file the
    // import provenance names: only the binding check can catch it.
    ImportChain c = result.chain();
    Runner steps = new Runner(home, line -> { });
    Digest swapped = home.store().put(artifact("another file"), "model", "trainer", "t");
    Digest imp = steps.attest("trainer", "import", "t", "model", swapped,
        Provenance.stage("import", "t").builder("trainer").input("file", c.source())
            .input("reference", c.reference()).started(java.time.Instant.now()));
    Digest report = home.store().put(Json.canonical(Json.object().put("model", swapped
        .toString())), "evaluation-report", "trainer", "t");
    Digest eval = steps.attest("trainer", "evaluate", "t", "report", report,
        Provenance.stage("evaluate", "t").builder("trainer").input("model", swapped)
            .input("snapshot", c.reference()).started(java.time.Instant.now()));
    var evidence = Json.object();
    evidence.putObject("metrics").put("auc", 0.99).put("accuracy", 0.99)
        .put("holdout_rows", 200);
    Map<String, Digest> inputs = new LinkedHashMap<>();
    inputs.put("model", swapped);
    inputs.put("report", report);
    Digest gate = steps.gate(new GateEngine(), home.approvedPolicies("test"), "register",
        inputs, evidence, "t");
    ImportChain forged = new ImportChain(c.source(), c.reference(), swapped, report, imp, eval,
        gate);

    assertThatThrownBy(() -> home.registry().register("forged", forged, home.chainVerifier(),
        home.keyring().signer("registry"), "test"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("wraps the file");
  }
}
