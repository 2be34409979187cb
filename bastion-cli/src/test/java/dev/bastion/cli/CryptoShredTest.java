package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bastion data erase}: GDPR erasure by destroying the snapshot's keys. */
class CryptoShredTest {
  @TempDir Path tmp;
  Path home;
  Runner.Result result;
  final PrintStream originalOut = System.out;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @BeforeEach
  void run() throws Exception {
    home = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, home.toString());
    try (Home h = Home.init(home)) {
      result =
          Examples.run(h, Examples.copyCredit(tmp.resolve("credit")));
    }
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(originalOut);
    System.clearProperty(Home.PROPERTY);
  }

  private static int execute(StringWriter err, String... args) {
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void anErasedSnapshotCanNeverBeReadAgainAndItsModelsAreListed() throws Exception {
    String snapshot = result.chain().snapshot().toString();
    byte[] backup;
    try (Home h = Home.open(home)) {
      backup = Files.readAllBytes(h.store().pathOf(result.chain().snapshot()));
    }
    StringWriter err = new StringWriter();
    int code = execute(err, "data", "erase", snapshot, "--reason", "GDPR Art. 17 request 42",
        "--actor", "dpo-alice");
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("erased " + snapshot)
        .contains("credit-risk v1");

    try (Home h = Home.open(home)) {
      Path blob = h.store().pathOf(result.chain().snapshot());
      assertThat(blob).doesNotExist();
      // A backup copy of the blob is no use: its data key was wrapped by a destroyed KEK.
      Files.createDirectories(blob.getParent());
      Files.write(blob, backup);
      assertThatThrownBy(() -> h.store().get(result.chain().snapshot(), "test", "t"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining(snapshot);
      Files.delete(blob);
      // Everything else is still readable under the new KEK.
      assertThat(h.store().get(result.chain().model(), "test", "t")).isNotEmpty();
      LedgerVerifier.verify(home.resolve("ledger"), Home.ledgerVerifier(home));
      assertThat(LedgerVerifier.events(home.resolve("ledger")))
          .anyMatch(e -> e.kind().wireName().equals("artifact_erase")
              && e.object().equals(snapshot)
              // Who ran it is the actor; who asked is what they said, with the reason.
              && e.actor().equals(dev.bastion.pipeline.Integrity.currentUser())
              && e.details().get("reason")
                  .equals("GDPR Art. 17 request 42 (asked by dpo-alice)"));
    }
    // The model's full chain can no longer be proved: the evidence is gone, and it says which.
    StringWriter verifyErr = new StringWriter();
    assertThat(execute(verifyErr, "verify-chain", "credit-risk")).isEqualTo(1);
    assertThat(verifyErr.toString()).contains("artifact " + snapshot + " was erased (by ")
        .contains(": GDPR Art. 17 request 42 (asked by dpo-alice))");
    // Nor is the model served: the gateway's load walks the same chain (without reading the
    // snapshot) and finds it gone.
    try (Home h = Home.open(home)) {
      assertThatThrownBy(() -> dev.bastion.serve.ServedModel.load("credit-risk", h.registry(),
          h.chainVerifier(), h.trust(), "t"))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("artifact " + snapshot + " was erased (by ");
    }
    // Its evidence is still exported without the data, and checks offline as such; with the
    // data it cannot be.
    Path export = tmp.resolve("evidence");
    StringWriter exportErr = new StringWriter();
    assertThat(execute(exportErr, "evidence", "export", "credit-risk", export.toString(),
        "--without-data")).as(exportErr.toString()).isZero();
    StringWriter checkErr = new StringWriter();
    assertThat(execute(checkErr, "verify-chain", "--evidence", export.toString(),
        "--trust-root", home.resolve("keys").resolve("ca.crt").toString()))
        .as(checkErr.toString()).isZero();
    assertThat(execute(new StringWriter(), "evidence", "export", "credit-risk",
        tmp.resolve("evidence-with-data").toString())).isEqualTo(1);
    // The same data run again (its source still holds what was erased) is refused before
    // anything is stored: the erasure is not undone, and the model stays unservable.
    try (Home h = Home.open(home)) {
      long puts = LedgerVerifier.events(home.resolve("ledger")).stream()
          .filter(e -> e.kind().wireName().equals("artifact_put")).count();
      assertThatThrownBy(() -> Examples.run(h, tmp.resolve("credit").resolve("pipeline.yaml")))
          .isInstanceOf(dev.bastion.core.CheckFailedException.class)
          .hasMessageStartingWith("snapshot " + snapshot + " is data that was erased: artifact "
              + snapshot + " was erased (by ");
      assertThat(LedgerVerifier.events(home.resolve("ledger")).stream()
          .filter(e -> e.kind().wireName().equals("artifact_put")).count())
          .as("nothing stored").isEqualTo(puts);
      assertThat(h.store().contains(result.chain().snapshot())).isFalse();
    }
    StringWriter again = new StringWriter();
    assertThat(execute(again, "data", "erase", snapshot, "--reason", "twice")).isEqualTo(2);
    assertThat(again.toString().strip()).startsWith("bastion: artifact " + snapshot
        + " was erased (by ")
        .endsWith(": GDPR Art. 17 request 42 (asked by dpo-alice)); nothing to erase");
  }

  @Test
  void badRequestsChangeNothing() {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "data", "erase", result.chain().snapshot().toString())).isEqualTo(2);
    assertThat(execute(err, "data", "erase", "sha256:" + "0".repeat(64), "--reason", "x"))
        .isEqualTo(2);
    assertThat(execute(err, "data", "erase", "nonsense", "--reason", "x")).isEqualTo(2);
    assertThat(execute(err, "data", "erase", result.chain().snapshot().toString(), "--reason",
        " ")).isEqualTo(2);
  }

  @Test
  void onlyDataIsErasedNeverAModelOrItsEvidence() {
    StringWriter err = new StringWriter();
    assertThat(execute(err, "data", "erase", result.registration().model().toString(),
        "--reason", "x")).isEqualTo(2);
    assertThat(err.toString()).contains("is a model, not data");
    StringWriter verifyErr = new StringWriter();
    assertThat(execute(verifyErr, "verify-chain", "credit-risk")).as(verifyErr.toString())
        .isZero();
  }

  @Test
  void aDamagedArtifactElsewhereStopsTheErasureBeforeAnythingIsDestroyed() throws Exception {
    java.nio.file.Path report;
    dev.bastion.core.Digest other;
    byte[] kekBefore;
    try (Home h = Home.open(home)) {
      other = h.store().put("an unrelated note".getBytes(StandardCharsets.UTF_8), "note",
          "operator", "test");
      report = h.store().pathOf(other);
      kekBefore = Files.readAllBytes(home.resolve("keys").resolve("kek.json"));
    }
    byte[] bytes = Files.readAllBytes(report);
    bytes[10] ^= 0x01; // inside the wrapped data key at the blob's front
    Files.write(report, bytes);
    String snapshot = result.chain().snapshot().toString();

    StringWriter err = new StringWriter();
    assertThat(execute(err, "data", "erase", snapshot, "--reason", "request 7")).isEqualTo(1);
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString())
        .contains(other.toString())
        .contains("does not unwrap")
        .contains("nothing was erased");
    try (Home h = Home.open(home)) {
      assertThat(h.store().contains(result.chain().snapshot())).isTrue();
    }
    assertThat(Files.readAllBytes(home.resolve("keys").resolve("kek.json")))
        .isEqualTo(kekBefore);

    StringWriter rotateErr = new StringWriter();
    assertThat(execute(rotateErr, "keys", "rotate")).isEqualTo(1);
    assertThat(rotateErr.toString()).contains("nothing was rotated");
    assertThat(Files.readAllBytes(home.resolve("keys").resolve("kek.json")))
        .isEqualTo(kekBefore);
  }

  @Test
  void theRowsTheSameIngestQuarantinedAreErasedWithTheSnapshot() throws Exception {
    Path other = tmp.resolve("dup-home");
    Path pipeline = Examples.copyCredit(tmp.resolve("dup"));
    Path csv = pipeline.getParent().resolve("credit-g.csv");
    java.util.List<String> lines = new java.util.ArrayList<>(Files.readAllLines(csv));
    for (int i = 1; i <= 12; i++) {
      lines.add(lines.get(i)); // exact duplicates: the default screen quarantines them
    }
    Files.write(csv, lines);
    dev.bastion.core.Digest snapshot;
    dev.bastion.core.Digest quarantine;
    try (Home h = Home.init(other)) {
      Runner.Result r = Examples.run(h, pipeline);
      snapshot = r.chain().snapshot();
      String run = h.integrity().openSession("test");
      quarantine = dev.bastion.core.Digest.parse(dev.bastion.core.Json.parse(
          dev.bastion.attest.Envelope.parse(h.store().get(r.chain().ingest(), "t", run), "ingest")
              .payload(), "ingest").path("predicate").path("buildDefinition")
          .path("internalParameters").path("screening").path("quarantine").asText());
      assertThat(h.store().contains(quarantine)).isTrue();
    }
    System.setProperty(Home.PROPERTY, other.toString());
    StringWriter err = new StringWriter();
    assertThat(execute(err, "data", "erase", snapshot.toString(), "--reason", "request 9"))
        .as(err.toString()).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("erased with it " + quarantine + ": the rows its ingest quarantined");
    try (Home h = Home.open(other)) {
      assertThat(h.store().contains(snapshot)).isFalse();
      assertThat(h.store().contains(quarantine)).isFalse();
    }
    StringWriter again = new StringWriter();
    assertThat(execute(again, "data", "erase", quarantine.toString(), "--reason", "x"))
        .isEqualTo(2);
  }
}
