package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Json;
import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.registry.ImportChain;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import dev.bastion.serve.onnx.ImportedModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bastion model import}: an ONNX classifier trained elsewhere is checked, evaluated on
 * reference data, gated, registered with a chain of its own, and served by the gateway.
 */
class ModelImportTest {
  static final Path ONNX = Path.of("..", "examples", "tumours", "model.onnx");
  static final Path SCHEMA = Path.of("..", "examples", "tumours", "schema.json");
  static final Path DATA = Path.of("..", "datasets", "breast-cancer.csv");

  /** A malignant tumour, row 1 of the data set. */
  static final String INSTANCE = "{\"instances\":[{\"radius_mean\":17.99,\"texture_mean\":10.38,"
      + "\"perimeter_mean\":122.8,\"area_mean\":1001,\"smoothness_mean\":0.1184,"
      + "\"compactness_mean\":0.2776,\"concavity_mean\":0.3001,\"concave_points_mean\":0.1471,"
      + "\"symmetry_mean\":0.2419,\"fractal_dimension_mean\":0.07871,\"radius_se\":1.095,"
      + "\"texture_se\":0.9053,\"perimeter_se\":8.589,\"area_se\":153.4,"
      + "\"smoothness_se\":0.006399,\"compactness_se\":0.04904,\"concavity_se\":0.05373,"
      + "\"concave_points_se\":0.01587,\"symmetry_se\":0.03003,"
      + "\"fractal_dimension_se\":0.006193,\"radius_worst\":25.38,\"texture_worst\":17.33,"
      + "\"perimeter_worst\":184.6,\"area_worst\":2019,\"smoothness_worst\":0.1622,"
      + "\"compactness_worst\":0.6656,\"concavity_worst\":0.7119,"
      + "\"concave_points_worst\":0.2654,\"symmetry_worst\":0.4601,"
      + "\"fractal_dimension_worst\":0.1189}]}";

  @TempDir Path tmp;
  Path home;
  final PrintStream originalOut = System.out;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @BeforeEach
  void init() throws Exception {
    home = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, home.toString());
    Home.init(home).close();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(originalOut);
    System.clearProperty(Home.PROPERTY);
  }

  private int execute(StringWriter err, String... args) {
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private int importIt(StringWriter err, String... extra) {
    List<String> args = new ArrayList<>(List.of("model", "import", ONNX.toString(), "--name",
        "tumours", "--schema", SCHEMA.toString(), "--reference", DATA.toString(),
        "--positive-class", "malignant"));
    args.addAll(List.of(extra));
    return execute(err, args.toArray(String[]::new));
  }

  @Test
  void anImportedModelIsRegisteredVerifiedAndServed() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(importIt(err, "--labels", "benign,malignant")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("gate      register  PASS", "registered tumours v1");

    // verify-chain walks the import chain
    out.reset();
    assertThat(execute(err, "verify-chain", "tumours", "--json")).as(err.toString()).isZero();
    JsonNode v = Json.parse(out.toByteArray(), "output");
    assertThat(v.toString()).contains("imported file", "reference data", "import provenance",
        "evaluate provenance", "gate register");

    // evidence export verifies offline against the CA alone
    Path exported = tmp.resolve("evidence");
    assertThat(execute(err, "evidence", "export", "tumours", exported.toString()))
        .as(err.toString()).isZero();
    assertThat(execute(err, "verify-chain", "--evidence", exported.toString(), "--trust-root",
        home.resolve("keys").resolve("ca.crt").toString(), "--require-data"))
        .as(err.toString()).isZero();

    try (Home h = Home.open(home)) {
      // as bastion serve does: reads of the store happen in a session, not outside any run
      String session = h.integrity().openSession("serve");
      ServedModel served =
          ServedModel.load("tumours", h.registry(), h.chainVerifier(), h.trust(), session);
      assertThat(served.model()).isInstanceOf(ImportedModel.class);
      try (Gateway g = Gateway.start(new Gateway.Config("127.0.0.1", 0, 1000, 1000, 1 << 16, 5),
          served, h.keyring(), h.trust(), h.ledger())) {
        GatewayClient client = GatewayClient.as(h.keyring(), Keyring.DEMO_CLIENT);
        GatewayClient.Reply r = client.post(g.port(), "/v1/models/tumours:predict", INSTANCE);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"label\":\"malignant\"");
        // the input guard holds it to the schema's ranges, as a trained model
        GatewayClient.Reply refused = client.post(g.port(), "/v1/models/tumours:predict",
            INSTANCE.replace("\"area_mean\":1001", "\"area_mean\":-5"));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("out_of_domain");
        assertThat(g.modelCalls()).isEqualTo(1);
      }
      List<Event> events = LedgerVerifier.events(h.ledger().directory());
      assertThat(events).anyMatch(e -> e.kind() == EventKind.INFERENCE
          && e.object().equals(served.digest().toString()) && e.outcome().equals("ok"));
      assertThat(events).anyMatch(e -> e.kind() == EventKind.STAGE_END
          && e.action().equals("import") && e.outcome().equals("ok"));
      // an import is a run of its own: the registry was not written outside one
      assertThat(events).noneMatch(e -> e.kind() == EventKind.ALERT);
    }
  }

  @Test
  void anImportedVersionIsHotSwappedAndRolledBack() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(importIt(err, "--labels", "benign,malignant")).as(err.toString()).isZero();
    try (Home h = Home.open(home)) {
      h.keyring().issueClient("ops", "admin");
      String session = h.integrity().openSession("serve");
      Gateway.ModelLoader loader =
          ref -> ServedModel.load(ref, h.registry(), h.chainVerifier(), h.trust(), session);
      try (Gateway g = Gateway.start(
          new Gateway.Config("127.0.0.1", 0, 1000, 1000, 1 << 16, 5).withAdminPort(0),
          loader.load("tumours"), loader, h.keyring(), h.trust(), h.ledger())) {
        // v2 is registered while v1 is served
        assertThat(importIt(err, "--labels", "benign,malignant")).as(err.toString()).isZero();
        GatewayClient admin = GatewayClient.as(h.keyring(), "ops");
        GatewayClient client = GatewayClient.as(h.keyring(), Keyring.DEMO_CLIENT);
        int adminPort = g.adminPort().orElseThrow();

        assertThat(admin.post(adminPort, "/v1/admin/models/tumours:reload", "").status())
            .isEqualTo(200);
        assertThat(g.served().version()).isEqualTo(2);
        assertThat(client.post(g.port(), "/v1/models/tumours:predict", INSTANCE).body())
            .contains("\"label\":\"malignant\"");

        assertThat(admin.post(adminPort, "/v1/admin/models/tumours:rollback", "").status())
            .isEqualTo(200);
        assertThat(g.served().version()).isEqualTo(1);
        assertThat(client.post(g.port(), "/v1/models/tumours:predict", INSTANCE).status())
            .isEqualTo(200);
      }
    }
  }

  @Test
  void theGateRefusesAModelThatIsWrongOnTheReferenceData() throws Exception {
    // The same file told its columns the other way round: right about 2% of the time.
    StringWriter err = new StringWriter();
    assertThat(importIt(err, "--labels", "malignant,benign")).isEqualTo(1);
    assertThat(err.toString()).contains("register");
    assertThat(err.toString().lines().count()).isEqualTo(1);
    try (Home h = Home.open(home)) {
      assertThat(h.registry().list()).isEmpty();
    }
  }

  @Test
  void aFileThatIsNotAClassifierIsBadInput() throws Exception {
    Path junk = tmp.resolve("junk.onnx");
    Files.write(junk, "not a model".getBytes(StandardCharsets.US_ASCII));
    StringWriter err = new StringWriter();
    int code = execute(err, "model", "import", junk.toString(), "--name", "junk", "--schema",
        SCHEMA.toString(), "--reference", DATA.toString(), "--positive-class", "malignant");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("junk.onnx").doesNotContain("Exception");
    assertThat(err.toString().lines().count()).isEqualTo(1);
    try (Home h = Home.open(home)) {
      assertThat(h.registry().list()).isEmpty();
    }
  }

  @Test
  void aBadNameIsRefusedBeforeAnythingIsStored() throws Exception {
    StringWriter err = new StringWriter();
    int code = execute(err, "model", "import", ONNX.toString(), "--name", "Tumours!",
        "--schema", SCHEMA.toString(), "--reference", DATA.toString(), "--positive-class",
        "malignant", "--labels", "benign,malignant");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--name 'Tumours!'");
    try (Home h = Home.open(home)) {
      assertThat(LedgerVerifier.events(h.ledger().directory()))
          .noneMatch(e -> e.kind() == EventKind.ARTIFACT_PUT);
    }
  }

  @Test
  void aNameIsNotTakenOverByAModelOfTheOtherKind() throws Exception {
    try (Home h = Home.open(home)) {
      Examples.run(h, Examples.copyCredit(tmp.resolve("credit")));
    }
    long puts = artifactPuts();
    StringWriter err = new StringWriter();
    int code = execute(err, "model", "import", ONNX.toString(), "--name", "credit-risk",
        "--schema", SCHEMA.toString(), "--reference", DATA.toString(), "--positive-class",
        "malignant", "--labels", "benign,malignant");
    assertThat(code).as(err.toString()).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo("bastion: model 'credit-risk' v1 is a trained"
        + " model; an import needs a name of its own");
    assertThat(artifactPuts()).as("nothing stored").isEqualTo(puts);
    // Nor the reverse: a pipeline registering under an imported model's name stops at ingest.
    assertThat(importIt(err, "--labels", "benign,malignant")).as(err.toString()).isZero();
    try (Home h = Home.open(home)) {
      Path def = Examples.copyCredit(tmp.resolve("credit2"));
      Path renamed = Files.writeString(def, Files.readString(def)
          .replace("model: credit-risk", "model: tumours")
          .replace("name: credit-risk", "name: credit-as-tumours"));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Examples.run(h, renamed))
          .hasMessageContaining("model 'tumours' v1 is an imported model");
    }
    try (Home h = Home.open(home)) {
      assertThat(h.registry().list()).extracting(r -> r.name() + " v" + r.version())
          .containsExactlyInAnyOrder("credit-risk v1", "tumours v1");
    }
  }

  private long artifactPuts() throws Exception {
    try (Home h = Home.open(home)) {
      return LedgerVerifier.events(h.ledger().directory()).stream()
          .filter(e -> e.kind() == EventKind.ARTIFACT_PUT).count();
    }
  }

  @Test
  void referenceDataThatFailsTheSchemaStopsTheImport() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(DATA));
    lines.set(3, lines.get(3).replaceFirst("^[^,]+,", "-1,"));
    Path bad = tmp.resolve("bad.csv");
    Files.write(bad, lines);
    StringWriter err = new StringWriter();
    int code = execute(err, "model", "import", ONNX.toString(), "--name", "tumours", "--schema",
        SCHEMA.toString(), "--reference", bad.toString(), "--positive-class", "malignant",
        "--labels", "benign,malignant");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("bad.csv: row 3", "radius_mean");
    assertThat(err.toString().lines().count()).isEqualTo(1);
  }

  @Test
  void aSchemaThatProtectsAColumnIsRefused() throws Exception {
    // Protection and consent belong to a pipeline's ingest: an import does not store such data.
    String schema = Files.readString(SCHEMA).replaceFirst("\"name\" : \"texture_mean\",",
        "\"name\" : \"texture_mean\", \"sensitivity\" : \"encrypt\",");
    Path protectedSchema = tmp.resolve("schema.json");
    Files.writeString(protectedSchema, schema);
    StringWriter err = new StringWriter();
    int code = execute(err, "model", "import", ONNX.toString(), "--name", "tumours", "--schema",
        protectedSchema.toString(), "--reference", DATA.toString(), "--positive-class",
        "malignant", "--labels", "benign,malignant");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("column 'texture_mean' is encrypt");
    try (Home h = Home.open(home)) {
      assertThat(LedgerVerifier.events(h.ledger().directory()))
          .noneMatch(e -> e.kind() == EventKind.ARTIFACT_PUT);
    }
  }

  @Test
  void aSwappedModelArtifactIsRefusedAtLoad() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(importIt(err, "--labels", "benign,malignant")).as(err.toString()).isZero();
    try (Home h = Home.open(home)) {
      var reg = h.registry().latest("tumours").orElseThrow();
      ImportChain chain = (ImportChain) h.registry().chainOf(reg, h.trust(), "test", "t");
      EndToEndTest.flipByte(h.store().pathOf(chain.model()), 60);
      org.assertj.core.api.Assertions.assertThatThrownBy(() ->
          ServedModel.load("tumours", h.registry(), h.chainVerifier(), h.trust(), "t"))
          .isInstanceOf(dev.bastion.core.VerificationException.class)
          .hasMessageContaining(chain.model().toString());
    }
  }

  @Test
  void aProducersModelSignatureIsCheckedAndRecorded() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.KeyPair kp = g.generateKeyPair();
    Path key = tmp.resolve("producer.key");
    Path pub = tmp.resolve("producer.pub");
    Files.writeString(key, dev.bastion.crypto.Pem.encode("PRIVATE KEY",
        kp.getPrivate().getEncoded()));
    Files.writeString(pub, dev.bastion.crypto.Pem.encode("PUBLIC KEY",
        kp.getPublic().getEncoded()));
    Path copy = tmp.resolve("model.onnx");
    Files.copy(ONNX, copy);
    Path sig = tmp.resolve("model.sig");
    StringWriter err = new StringWriter();
    assertThat(execute(err, "model", "sign", copy.toString(), "--private-key", key.toString(),
        "--signature", sig.toString())).as(err.toString()).isZero();

    String[] base = {"model", "import", copy.toString(), "--name", "tumours", "--schema",
        SCHEMA.toString(), "--reference", DATA.toString(), "--positive-class", "malignant",
        "--labels", "benign,malignant"};
    // a key without a signature, and a signature without a key, are usage errors
    assertThat(execute(err, concat(base, "--public-key", pub.toString()))).isEqualTo(2);
    assertThat(execute(err, concat(base, "--signature", sig.toString()))).isEqualTo(2);

    out.reset();
    assertThat(execute(err, concat(base, "--signature", sig.toString(), "--public-key",
        pub.toString()))).as(err.toString()).isZero();
    try (Home h = Home.open(home)) {
      var reg = h.registry().latest("tumours").orElseThrow();
      ImportChain chain = (ImportChain) h.registry().chainOf(reg, h.trust(), "test", "t");
      var env = dev.bastion.attest.Envelope.parse(
          h.store().get(chain.importation(), "test", "t"), "import provenance");
      assertThat(new String(env.payload(), StandardCharsets.UTF_8)).contains("oms_signer");
    }

    // the same signature over a file that changed afterwards: refused, nothing more registered
    Files.write(copy, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
    StringWriter refused = new StringWriter();
    assertThat(execute(refused, concat(base, "--signature", sig.toString(), "--public-key",
        pub.toString()))).isEqualTo(1);
    assertThat(refused.toString().lines().count()).as(refused.toString()).isEqualTo(1);
    try (Home h = Home.open(home)) {
      assertThat(h.registry().list()).hasSize(1);
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
