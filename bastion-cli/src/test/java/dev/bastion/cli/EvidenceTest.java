package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import dev.bastion.registry.EvidenceDirectory;
import dev.bastion.registry.ModelChain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code bastion evidence export} and {@code bastion verify-chain --evidence}: the chain checked
 * on "another machine", with no home, against a trust root given separately.
 */
class EvidenceTest {
  @TempDir static Path tmp;
  static Path home;
  static Path other;
  static ModelChain chain;
  static Path exported;
  static Path exportedWithoutData;

  final PrintStream originalOut = System.out;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  @TempDir Path work;

  @BeforeAll
  static void runAndExport() throws Exception {
    home = tmp.resolve("home");
    other = tmp.resolve("other");
    try (Home h = Home.init(home)) {
      chain = Examples.run(h, Examples.copyCredit(tmp.resolve("credit"))).chain();
    }
    try (Home h = Home.init(other)) {
      // Another deployment: its own CA and identities.
    }
    System.setProperty(Home.PROPERTY, home.toString());
    exported = tmp.resolve("export");
    exportedWithoutData = tmp.resolve("export-nodata");
    StringWriter err = new StringWriter();
    assertThat(execute(err, "evidence", "export", "credit-risk", exported.toString()))
        .as(err.toString()).isZero();
    assertThat(execute(err, "evidence", "export", "credit-risk@1",
        exportedWithoutData.toString(), "--without-data")).as(err.toString()).isZero();
    // Verification below must not need a home: point BASTION_HOME at nothing.
    System.setProperty(Home.PROPERTY, tmp.resolve("no-home-here").toString());
  }

  @AfterAll
  static void clear() {
    System.clearProperty(Home.PROPERTY);
  }

  @BeforeEach
  void captureOut() {
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreOut() {
    System.setOut(originalOut);
  }

  static int execute(StringWriter err, String... args) {
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private int verify(StringWriter err, Path dir, Path root, String... more) {
    String[] args = Stream.concat(
        Stream.of("verify-chain", "--evidence", dir.toString(), "--trust-root", root.toString()),
        Stream.of(more)).toArray(String[]::new);
    return execute(err, args);
  }

  static Path ourRoot() {
    return home.resolve("keys").resolve("ca.crt");
  }

  static Path artifact(Path dir, Digest d) {
    return dir.resolve(EvidenceDirectory.ARTIFACTS).resolve(EvidenceDirectory.fileName(d));
  }

  private Path copy(Path from) throws IOException {
    Path to = work.resolve("copy");
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return to;
  }

  @Test
  void anExportOrAHomeUnderAFileIsOneLine() throws Exception {
    Path file = Files.writeString(work.resolve("afile"), "x");
    System.setProperty(Home.PROPERTY, home.toString());
    try {
      StringWriter err = new StringWriter();
      assertThat(execute(err, "evidence", "export", "credit-risk",
          file.resolve("sub").toString())).isEqualTo(2);
      assertThat(err.toString().strip()).isEqualTo("bastion: " + file.resolve("sub")
          + ": cannot write the evidence there (Not a directory)");
      System.setProperty(Home.PROPERTY, file.resolve("sub").toString());
      err = new StringWriter();
      assertThat(execute(err, "init")).isEqualTo(2);
      assertThat(err.toString().strip()).isEqualTo("bastion: " + file.resolve("sub")
          + ": cannot create the home (Not a directory)");
    } finally {
      System.setProperty(Home.PROPERTY, tmp.resolve("no-home-here").toString());
    }
  }

  @Test
  void anExportVerifiesWithNoHomeAgainstTheTrustRoot() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(verify(err, exported, ourRoot(), "--json")).as(err.toString()).isZero();
    JsonNode o = Json.parse(out.toByteArray(), "output");
    assertThat(o.path("verified").asBoolean()).isTrue();
    assertThat(o.path("contents_checked").asBoolean()).isTrue();
    assertThat(o.path("name").asText()).isEqualTo("credit-risk");
    assertThat(o.path("links").get(0).path("link").asText()).isEqualTo("source data");
    assertThat(o.toString()).contains("gate train", "gate evaluate", "gate register",
        chain.snapshot().toString(), chain.model().toString());
    assertThat(Files.exists(tmp.resolve("no-home-here"))).isFalse();

    for (String ref : new String[] {"credit-risk", "credit-risk@1", chain.model().toString()}) {
      out.reset();
      assertThat(verify(err, exported, ourRoot(), ref)).as(ref + err).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("verified", "digest checked")
          .doesNotContain("not checked");
    }
  }

  @Test
  void theExportHoldsTheChainTheCertificatesAndAWarningButNotTheCa() throws Exception {
    for (Digest d : List.of(chain.snapshot(), chain.model(), chain.report(), chain.ingest(),
        chain.gateTrain(), chain.train(), chain.gateEvaluate(), chain.evaluate(),
        chain.gateRegister())) {
      assertThat(artifact(exported, d)).exists();
    }
    try (Stream<Path> s = Files.list(exported.resolve("certs"))) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("gate.crt", "ingest.crt", "registry.crt", "trainer.crt");
    }
    assertThat(Files.readString(exported.resolve("README.txt"))).contains("IN CLEAR");
    JsonNode c = Json.parse(Files.readAllBytes(exported.resolve("chain.json")), "chain.json");
    assertThat(c.path("chain")).isEqualTo(chain.toJson());
    assertThat(c.path("version").asInt()).isEqualTo(1);
  }

  @Test
  void anExportWithoutDataVerifiesAndSaysWhatWasNotChecked() throws Exception {
    assertThat(artifact(exportedWithoutData, chain.snapshot())).doesNotExist();
    assertThat(artifact(exportedWithoutData, chain.model())).doesNotExist();
    assertThat(artifact(exportedWithoutData, chain.report())).exists();
    assertThat(Files.readString(exportedWithoutData.resolve("README.txt")))
        .contains("--without-data").doesNotContain("IN CLEAR");

    StringWriter err = new StringWriter();
    assertThat(verify(err, exportedWithoutData, ourRoot())).as(err.toString()).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("not checked: the contents of the snapshot and the model");
    out.reset();
    assertThat(verify(err, exportedWithoutData, ourRoot(), "--json")).isZero();
    JsonNode o = Json.parse(out.toByteArray(), "output");
    assertThat(o.path("contents_checked").asBoolean()).isFalse();
    assertThat(o.path("not_checked").path("model").asText()).isEqualTo(chain.model().toString());
    assertThat(o.path("not_checked").path("snapshot").asText())
        .isEqualTo(chain.snapshot().toString());
  }

  /** A change to the evidence, and what the refusal must name. */
  record Tamper(String name, Function<Path, Path> apply, String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  interface IoAction {
    void run(Path dir) throws Exception;
  }

  static Function<Path, Path> onDir(IoAction a) {
    return dir -> {
      try {
        a.run(dir);
      } catch (Exception e) {
        throw new IllegalStateException("tampering failed", e);
      }
      return ourRoot();
    };
  }

  static Stream<Arguments> tampering() {
    return Stream.of(
        new Tamper("a byte of an attestation flipped", onDir(dir -> EndToEndTest.flipByte(
            artifact(dir, chain.gateEvaluate()), 40)), "gateEvaluate"),
        new Tamper("a byte of the model flipped", onDir(dir -> EndToEndTest.flipByte(
            artifact(dir, chain.model()), 10)), "model"),
        new Tamper("a byte of the registration flipped", onDir(dir -> {
          String reg = Json.parse(Files.readAllBytes(dir.resolve("chain.json")), "chain.json")
              .path("registration").asText();
          EndToEndTest.flipByte(artifact(dir, Digest.parse(reg)), 30);
        }), "registration"),
        new Tamper("an attestation deleted", onDir(dir -> Files.delete(
            artifact(dir, chain.train()))), "train"),
        new Tamper("two attestations swapped", onDir(dir -> {
          Path a = artifact(dir, chain.gateTrain());
          Path b = artifact(dir, chain.gateEvaluate());
          Path t = dir.resolve("swap");
          Files.move(a, t);
          Files.move(b, a);
          Files.move(t, b);
        }), "gateTrain"),
        new Tamper("a certificate from another deployment", onDir(dir -> Files.copy(
            other.resolve("keys/identities/gate.crt"), dir.resolve("certs/gate.crt"),
            StandardCopyOption.REPLACE_EXISTING)), "not issued by the trust root"),
        new Tamper("another deployment's CA as trust root",
            dir -> other.resolve("keys/ca.crt"), "not issued by the trust root"),
        new Tamper("a certificate missing", onDir(dir -> Files.delete(
            dir.resolve("certs/trainer.crt"))), "train"),
        new Tamper("a certificate that is not one", onDir(dir -> Files.writeString(
            dir.resolve("certs/registry.crt"), "hello\n")), "registry.crt"),
        new Tamper("a certificate emptied", onDir(dir -> Files.writeString(
            dir.resolve("certs/gate.crt"), "")), "gate.crt"),
        new Tamper("relabelled as an export without data, data removed", onDir(dir -> {
          Path f = dir.resolve("chain.json");
          Files.writeString(f, Files.readString(f).replace("\"all\"", "\"without-data\""));
          Files.delete(artifact(dir, chain.model()));
          Files.delete(artifact(dir, chain.snapshot()));
        }), "signed index"),
        new Tamper("the signed index of the export without data", onDir(dir -> Files.copy(
            exportedWithoutData.resolve("export.json"), dir.resolve("export.json"),
            StandardCopyOption.REPLACE_EXISTING)), "signed index"),
        new Tamper("a byte of the signed index flipped", onDir(dir -> EndToEndTest.flipByte(
            dir.resolve("export.json"), 200)), "export.json"),
        new Tamper("the signed index deleted", onDir(dir -> Files.delete(
            dir.resolve("export.json"))), "signed index is missing"),
        new Tamper("a file added", onDir(dir -> Files.writeString(
            dir.resolve("artifacts").resolve("sha256-" + "0".repeat(64)), "x")),
            "not in the signed index"),
        new Tamper("chain.json's registration time changed", onDir(dir -> {
          Path f = dir.resolve("chain.json");
          Files.writeString(f, Files.readString(f).replaceFirst(
              "\"registered_at\"\\s*:\\s*\"[^\"]+\"",
              "\"registered_at\":\"2020-01-01T00:00:00Z\""));
        }), "by the signed registration"),
        new Tamper("chain.json pointing at another chain", onDir(dir -> {
          Path f = dir.resolve("chain.json");
          Files.writeString(f, Files.readString(f).replace(chain.gateTrain().toString(),
              chain.gateEvaluate().toString()));
        }), "chain.json"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tampering")
  void tamperedEvidenceExitsOneNamingWhatIsWrong(Tamper t) throws Exception {
    Path dir = copy(exported);
    Path root = t.apply().apply(dir);
    StringWriter err = new StringWriter();
    assertThat(verify(err, dir, root)).as(err.toString()).isEqualTo(1);
    String expected = switch (t.expected()) {
      case "gateEvaluate" -> chain.gateEvaluate().toString();
      case "gateTrain" -> chain.gateTrain().toString();
      case "train" -> chain.train().toString();
      case "model" -> chain.model().toString();
      case "registration" -> "registration";
      default -> t.expected();
    };
    assertThat(err.toString()).contains(expected).doesNotContain("internal error");
    assertThat(err.toString().lines().count()).isEqualTo(1);
  }

  @Test
  void requireDataRefusesAnExportWithoutData() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(verify(err, exported, ourRoot(), "--require-data")).as(err.toString()).isZero();
    err = new StringWriter();
    assertThat(verify(err, exportedWithoutData, ourRoot(), "--require-data")).isEqualTo(1);
    assertThat(err.toString()).contains("exported without the snapshot and the model",
        "--require-data");
    assertThat(err.toString().lines().count()).isEqualTo(1);
    err = new StringWriter();
    assertThat(execute(err, "verify-chain", "credit-risk", "--require-data")).isEqualTo(2);
  }

  @Test
  void missingEvidenceIsBadUsageMalformedIsAFailedCheck() throws Exception {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "verify-chain", "--evidence", exported.toString())).isEqualTo(2);
    assertThat(verify(err, work.resolve("nothing"), ourRoot())).isEqualTo(2);
    assertThat(verify(err, exported, work.resolve("no-root.pem"))).isEqualTo(2);
    Path dir = copy(exported);
    Files.delete(dir.resolve("chain.json"));
    assertThat(verify(err, dir, ourRoot())).isEqualTo(2);
    assertThat(execute(err, "verify-chain")).isEqualTo(2);
    assertThat(err.toString()).doesNotContain("internal error");
    // A chain.json that is there but malformed was changed: a failed check, as any other edit.
    Path edited = copy(exported);
    String chain = Files.readString(edited.resolve("chain.json"));
    Files.writeString(edited.resolve("chain.json"), chain.replace("\"gate_train\"",
        "\"gate_trian\""));
    err = new StringWriter();
    assertThat(verify(err, edited, ourRoot())).as(err.toString()).isEqualTo(1);
    Files.writeString(edited.resolve("chain.json"), "{");
    assertThat(verify(err, edited, ourRoot())).as(err.toString()).isEqualTo(1);
  }

  @Test
  void evidenceOfAnotherModelThanTheOneNamedFails() {
    StringWriter err = new StringWriter();
    assertThat(verify(err, exported, ourRoot(), "credit-risk@2")).isEqualTo(1);
    assertThat(err.toString()).contains("not credit-risk@2");
  }

  @Test
  void exportRefusesANonEmptyDirectoryAndABrokenChain() throws Exception {
    System.setProperty(Home.PROPERTY, home.toString());
    try {
      StringWriter err = new StringWriter();
      assertThat(execute(err, "evidence", "export", "credit-risk", exported.toString()))
          .isEqualTo(2);
      assertThat(err.toString()).contains("not empty");

      Path blob;
      try (Home h = Home.open(home)) {
        blob = h.store().pathOf(chain.gateRegister());
      }
      byte[] original = Files.readAllBytes(blob);
      Path target = work.resolve("broken");
      try {
        EndToEndTest.flipByte(blob, original.length / 2);
        err = new StringWriter();
        assertThat(execute(err, "evidence", "export", "credit-risk", target.toString()))
            .isEqualTo(1);
        assertThat(err.toString()).contains(chain.gateRegister().toString());
        assertThat(target).doesNotExist();
        try (Stream<Path> s = Files.list(work)) {
          assertThat(s.filter(p -> p.getFileName().toString().contains("export")).toList())
              .isEmpty();
        }
      } finally {
        Files.write(blob, original);
      }
    } finally {
      System.setProperty(Home.PROPERTY, tmp.resolve("no-home-here").toString());
    }
  }
}
