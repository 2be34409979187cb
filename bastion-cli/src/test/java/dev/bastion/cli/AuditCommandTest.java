package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.pipeline.Home;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bastion audit} and {@code bastion approve} through the command line. */
class AuditCommandTest {
  @TempDir Path tmp;
  Path home;
  Path pipeline;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private PrintStream stdout;

  record Outcome(int code, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    home = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, home.toString());
    stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    pipeline = Examples.copyCredit(tmp.resolve("credit"));
    assertThat(execute("init").code).isZero();
  }

  @AfterEach
  void tearDown() {
    System.setOut(stdout);
    System.clearProperty(Home.PROPERTY);
  }

  private Outcome execute(String... args) {
    out.reset();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString());
  }

  @Test
  void anUnapprovedPipelineIsRefusedThenRunsOnceApprovedAndTheAlertIsListed() {
    Outcome refused = execute("run", pipeline.toString());
    assertThat(refused.code).isEqualTo(1);
    assertThat(refused.err).contains("is not signed").contains("bastion approve");
    assertThat(execute("approve", pipeline.toString()).code).isZero();
    assertThat(execute("run", pipeline.toString()).code).isZero();
    Outcome alerts = execute("audit", "alerts");
    assertThat(alerts.code).isZero();
    assertThat(alerts.out.lines().toList()).singleElement()
        .satisfies(l -> assertThat(l).contains("pipeline-unsigned"));
    Outcome json = execute("audit", "alerts", "--json");
    assertThat(json.out).contains("\"kind\":\"alert\"").contains("\"action\":\"pipeline-unsigned\"");
  }

  @Test
  void anEditedEntryIsNotListedAsTrue() throws Exception {
    assertThat(execute("run", pipeline.toString()).code).isEqualTo(1); // alert: unsigned
    assertThat(execute("audit", "alerts").out).contains("pipeline-unsigned");
    // Someone turns the alert into an inference, to hide it from the operators' view.
    Path segment = home.resolve("ledger/segments/00000000000000000000.jsonl");
    String text = Files.readString(segment);
    assertThat(text).contains("\"kind\":\"alert\"");
    Files.writeString(segment, text.replace("\"kind\":\"alert\"", "\"kind\":\"inference\""));
    for (String[] cmd : new String[][] {{"audit", "alerts"}, {"audit", "alerts", "--json"},
        {"audit", "tail", "--kind", "alert"}, {"audit", "tail", "-n", "1"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(1);
      assertThat(o.out).as(String.join(" ", cmd)).isEmpty();
      assertThat(o.err.strip()).startsWith("bastion: ledger entr").contains("changed")
          .doesNotContain("\n");
    }
    Files.writeString(segment, text);
    assertThat(execute("audit", "tail", "--kind", "alert").out).contains("pipeline-unsigned");
    // The last checkpoint line removed: the entries before it have no signature left, and are
    // not quietly passed over as a batch still being written.
    String cut = text.substring(0, text.lastIndexOf("{\"checkpoint\":"));
    Files.writeString(segment, cut);
    for (String[] cmd : new String[][] {{"audit", "alerts"}, {"audit", "tail", "-n", "1"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(1);
      assertThat(o.err).as(String.join(" ", cmd)).contains("not covered by a signed checkpoint");
    }
  }

  @Test
  void aDeviceGivenAsAFileIsReadUpToItsLimit() {
    // /dev/zero has no size and no end: refused at the limit, not read until the heap is gone.
    for (String[] cmd : new String[][] {{"audit", "verify", "--since", "/dev/zero"},
        {"audit", "verify-proof", "/dev/zero"}, {"audit", "prove", "--since", "/dev/zero"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(2);
      assertThat(o.err.strip()).as(String.join(" ", cmd))
          .startsWith("bastion: /dev/zero: more than the limit of ");
    }
  }

  @Test
  void aLogCutBehindTheNewestExportFailsVerifyAndNoWriterGoesOnFromIt() throws Exception {
    Path exports = tmp.resolve("exports");
    System.setProperty(Home.CHECKPOINT_DIR_PROPERTY, exports.toString());
    try {
      assertThat(execute("approve", "--policies").code).isZero();
      System.clearProperty(Home.CHECKPOINT_DIR_PROPERTY);
      Path newest = dev.bastion.ledger.Ledger.newestExport(exports, Home.ledgerVerifier(home))
          .file();
      assertThat(newest).isNotNull();
      byte[] evidence = Files.readAllBytes(newest);
      // The last batch cut, and the local copy of its checkpoint removed to match.
      Path segment = home.resolve("ledger/segments/00000000000000000000.jsonl");
      List<String> lines = Files.readAllLines(segment);
      int keep = lines.size() - 2; // the last line is the last batch's checkpoint
      while (!lines.get(keep).startsWith("{\"checkpoint\":")) {
        keep--;
      }
      Files.write(segment, lines.subList(0, keep + 1));
      Files.delete(home.resolve("ledger/checkpoint"));
      assertThat(execute("audit", "verify").code).isZero(); // as far as the home itself shows
      System.setProperty(Home.CHECKPOINT_DIR_PROPERTY, exports.toString());
      Outcome verify = execute("audit", "verify");
      assertThat(verify.code).isEqualTo(1);
      assertThat(verify.err).contains(newest.toString());
      // Nothing is handed out from the cut log either: no listing, proof or checkpoint, even
      // with junk put in the export directory under a larger name.
      Files.writeString(exports.resolve("checkpoint-99999999999999999999"), "junk\n");
      for (String[] cmd : new String[][] {{"audit", "tail", "-n", "1"}, {"audit", "alerts"},
          {"audit", "prove", "--entry", "1"}, {"audit", "prove", "--since-size", "1"},
          {"audit", "checkpoint"}, {"audit", "verify"}}) {
        Outcome o = execute(cmd);
        assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(1);
        assertThat(o.err.strip()).as(String.join(" ", cmd)).contains(newest.toString())
            .doesNotContain("\n");
      }
      Outcome write = execute("approve", "--policies");
      assertThat(write.code).isEqualTo(1);
      assertThat(write.err.strip()).contains("the log was truncated").doesNotContain("\n");
      assertThat(Files.readAllBytes(newest)).isEqualTo(evidence);
    } finally {
      System.clearProperty(Home.CHECKPOINT_DIR_PROPERTY);
    }
  }

  @Test
  void aFileThatCannotBeWrittenIsOneLineNotAnInternalError() throws Exception {
    Path notADirectory = Files.writeString(tmp.resolve("exports"), "a file");
    System.setProperty(Home.CHECKPOINT_DIR_PROPERTY, notADirectory.toString());
    try {
      Outcome o = execute("approve", "--policies");
      assertThat(o.code).isEqualTo(2);
      assertThat(o.err.strip())
          .startsWith("bastion: the ledger in " + home.resolve("ledger"))
          .contains("latest checkpoint could not be exported")
          .contains(notADirectory.toString())
          .doesNotContain("internal error").doesNotContain("\n");
    } finally {
      System.clearProperty(Home.CHECKPOINT_DIR_PROPERTY);
    }
  }

  @Test
  void approveNeedsExactlyOneTarget() {
    assertThat(execute("approve").code).isEqualTo(2);
    assertThat(execute("approve", pipeline.toString(), "--policies").code).isEqualTo(2);
    assertThat(execute("approve", "--policies").code).isZero();
  }

  @Test
  void checkpointProveVerifyProofAndVerifySinceWorkTogether() throws Exception {
    Outcome cp = execute("audit", "checkpoint");
    assertThat(cp.code).isZero();
    List<String> lines = cp.out.lines().toList();
    assertThat(lines.get(0)).startsWith("bastion/ledger/");
    assertThat(lines.get(1)).matches("[0-9]+");
    assertThat(lines.get(4)).startsWith("\u2014 bastion-ledger ");
    Path earlier = tmp.resolve("cp");
    Files.writeString(earlier, cp.out);

    assertThat(execute("approve", pipeline.toString()).code).isZero();
    assertThat(execute("run", pipeline.toString()).code).isZero();
    Outcome since = execute("audit", "verify", "--since", earlier.toString());
    assertThat(since.code).isZero();
    assertThat(since.out).contains("grew from the " + lines.get(1) + " entries");

    Path proof = tmp.resolve("proof.json");
    assertThat(execute("audit", "prove", "--entry", "3", "-o", proof.toString()).code).isZero();
    Outcome ok = execute("audit", "verify-proof", proof.toString());
    assertThat(ok.code).isZero();
    assertThat(ok.out).contains("proof ok");
    String text = Files.readString(proof);
    String moved = text.replaceFirst("\"index\"\\s*:\\s*3", "\"index\":4");
    assertThat(moved).isNotEqualTo(text);
    Files.writeString(proof, moved);
    Outcome bad = execute("audit", "verify-proof", proof.toString());
    assertThat(bad.code).isEqualTo(1);
    assertThat(bad.err).contains("entry 4");

    Outcome dash = execute("audit", "prove", "--entry", "3", "-o", "-");
    assertThat(dash.code).isZero();
    assertThat(dash.out).isEqualTo(text);
    assertThat(Path.of("-")).doesNotExist();
    assertThat(execute("audit", "prove", "--help").out).contains("- or none: standard output");
    assertThat(execute("audit", "prove", "--entry", "99999").code).isEqualTo(2);
    Outcome garbage = execute("audit", "verify", "--since", pipeline.toString());
    assertThat(garbage.code).isEqualTo(2);
    assertThat(garbage.err).doesNotContain("Exception").startsWith("bastion: " + pipeline);
    Outcome key = execute("audit", "verify", "--key", pipeline.toString());
    assertThat(key.code).isEqualTo(2);
    assertThat(key.err.strip())
        .isEqualTo("bastion: " + pipeline + ": not a verifier key (a C2SP note verifier key:"
            + " NAME+HASH+KEY)");
  }

  @Test
  void verifySinceCatchesATruncatedLog() throws Exception {
    assertThat(execute("approve", pipeline.toString()).code).isZero();
    assertThat(execute("run", pipeline.toString()).code).isZero();
    Outcome cp = execute("audit", "checkpoint");
    Path earlier = tmp.resolve("cp");
    Files.writeString(earlier, cp.out);
    // Cut the log back to its first checkpoint: still a valid, signed log of fewer entries.
    Path segment = home.resolve("ledger/segments/00000000000000000000.jsonl");
    String text = Files.readString(segment);
    int firstCheckpoint = text.indexOf("{\"checkpoint\":");
    int end = text.indexOf('\n', text.indexOf("{\"checkpoint\":", firstCheckpoint + 1));
    Files.writeString(segment, text.substring(0, end + 1));
    Files.delete(home.resolve("ledger/offsets.bin"));
    // Removing the local copy of the latest checkpoint too leaves only the exported one.
    Files.delete(home.resolve("ledger/checkpoint"));
    assertThat(execute("audit", "verify").code).isZero();
    Outcome since = execute("audit", "verify", "--since", earlier.toString());
    assertThat(since.code).isEqualTo(1);
    assertThat(since.err).contains("truncated");
  }

  @Test
  void aCleanTruncationFailsVerifyAndNoWriterOverwritesTheLocalCheckpoint() throws Exception {
    assertThat(execute("approve", pipeline.toString()).code).isZero();
    assertThat(execute("run", pipeline.toString()).code).isZero();
    Path local = home.resolve("ledger/checkpoint");
    byte[] evidence = Files.readAllBytes(local);
    long size = Long.parseLong(Files.readAllLines(local).get(1));
    // Cut after the checkpoint line of 3 entries: line 0 is the checkpoint of 0, entry k is on
    // line 2k+1 and the checkpoint of k+1 entries on line 2k+2.
    Path segment = home.resolve("ledger/segments/00000000000000000000.jsonl");
    List<String> lines = Files.readAllLines(segment);
    assertThat(lines.get(6)).startsWith("{\"checkpoint\":");
    Files.write(segment, lines.subList(0, 7));
    Outcome v = execute("audit", "verify");
    assertThat(v.code).isEqualTo(1);
    assertThat(v.err.strip()).isEqualTo("bastion: ledger entry 3: missing; " + local
        + ", signed, covers " + size + " entries: the log was truncated");
    assertThat(execute("audit", "checkpoint").code).as("no anchor of the cut log").isEqualTo(1);
    Outcome prove = execute("audit", "prove", "--entry", "1");
    assertThat(prove.code).as("no proof from the cut log").isEqualTo(1);
    assertThat(prove.err).contains("the log was truncated");
    assertThat(execute("audit", "prove", "--since-size", "1").code).isEqualTo(1);
    Outcome writer = execute("approve", pipeline.toString());
    assertThat(writer.code).isEqualTo(1);
    assertThat(writer.err).contains("the log was truncated").doesNotContain("internal error");
    assertThat(Files.readAllBytes(local)).isEqualTo(evidence);
    assertThat(execute("audit", "verify").code).isEqualTo(1);
  }

  @Test
  void aLedgerFileOfTheWrongTypeIsOneLineExitOneAndRepairReplacesADerivedOne() throws Exception {
    Path ledger = home.resolve("ledger");
    Path offsets = ledger.resolve("offsets.bin");
    Files.delete(offsets);
    Files.createDirectory(offsets);
    for (String[] cmd : new String[][] {{"audit", "verify"}, {"audit", "prove", "--entry", "1"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(1);
      assertThat(o.err.strip()).as(String.join(" ", cmd)).doesNotContain("\n")
          .contains(offsets + " is not a regular file, so it is damaged; 'bastion audit"
              + " repair' rebuilds it");
    }
    assertThat(execute("audit", "repair").code).isZero();
    assertThat(execute("audit", "prove", "--entry", "1").code).isZero();

    Path tree = ledger.resolve("tree");
    try (var files = Files.list(tree)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(tree);
    Files.writeString(tree, "x");
    Outcome p = execute("audit", "prove", "--entry", "1");
    assertThat(p.code).isEqualTo(1);
    assertThat(p.err.strip()).isEqualTo("bastion: " + tree + " is not a directory, so the"
        + " stored tree is damaged; 'bastion audit repair' rebuilds it");
    assertThat(execute("audit", "repair").code).isZero();
    Path level0 = tree.resolve("level-00.bin");
    Files.delete(level0);
    Files.createDirectory(level0);
    assertThat(execute("audit", "verify").err).contains(level0 + " is not a regular file");
    assertThat(execute("audit", "repair").code).isZero();
    assertThat(execute("audit", "verify").code).isZero();

    Path segment = ledger.resolve("segments/00000000000000000000.jsonl");
    Files.move(segment, tmp.resolve("segment"));
    Files.createDirectory(segment);
    for (String[] cmd : new String[][] {{"audit", "verify"}, {"audit", "tail"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(1);
      assertThat(o.err.strip()).as(String.join(" ", cmd)).isEqualTo("bastion: " + segment
          + ": not a regular file (a link, a directory); a segment holds the entries"
          + " themselves, so the ledger was damaged or tampered with");
    }
  }

  @Test
  void checkpointRefusesANoteThatDoesNotVerify() throws Exception {
    Path segment = home.resolve("ledger/segments/00000000000000000000.jsonl");
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(segment));
    String last = lines.get(lines.size() - 1);
    String size = execute("audit", "checkpoint").out.lines().toList().get(1);
    String edited = last.replaceFirst("\\\\n" + size + "\\\\n", "\\\\n999\\\\n");
    assertThat(edited).isNotEqualTo(last);
    lines.set(lines.size() - 1, edited);
    Files.write(segment, lines);
    Outcome o = execute("audit", "checkpoint");
    assertThat(o.code).isEqualTo(1);
    assertThat(o.out).isEmpty();
    assertThat(o.err.strip()).startsWith("bastion: the latest checkpoint in "
        + home.resolve("ledger/segments") + ": ").contains("invalid signature")
        .doesNotContain("\n");
  }

  @Test
  void tailJsonIsOneObjectALineAndKindFilters() {
    Outcome all = execute("audit", "tail", "--json", "-n", "5");
    assertThat(all.code).isZero();
    assertThat(all.out.lines().toList()).hasSize(5).allMatch(l -> l.startsWith("{\"action\":"));
    Outcome keys = execute("audit", "tail", "--kind", "config_change", "--json");
    assertThat(keys.out.lines().toList()).isNotEmpty()
        .allMatch(l -> l.contains("\"kind\":\"config_change\""));
    assertThat(execute("audit", "tail", "--kind", "nonsense").code).isEqualTo(2);
  }

  @Test
  void listingAHomeWithoutALedgerIsAnErrorNotAnEmptyList() throws Exception {
    System.setProperty(Home.PROPERTY, tmp.resolve("nowhere").toString());
    for (String[] cmd : new String[][] {{"audit", "tail"}, {"audit", "alerts"},
        {"audit", "alerts", "--json"}, {"audit", "repair"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(String.join(" ", cmd)).isEqualTo(2);
      assertThat(o.err.strip()).startsWith("bastion: " + tmp.resolve("nowhere")
          + ": no ledger here");
      assertThat(o.out).isEmpty();
    }
    System.setProperty(Home.PROPERTY, home.toString());
    Files.delete(home.resolve("ledger").resolve("segments").resolve(
        Files.list(home.resolve("ledger").resolve("segments")).findFirst().orElseThrow()
            .getFileName().toString()));
    Outcome o = execute("audit", "tail");
    assertThat(o.code).isEqualTo(1);
    assertThat(o.err).contains("no signed checkpoint");
  }

  @Test
  void aDamagedStoredTreeFailsVerifyUntilARepair() throws Exception {
    assertThat(execute("approve", pipeline.toString()).code).isZero();
    assertThat(execute("run", pipeline.toString()).code).isZero();
    Path level0 = home.resolve("ledger").resolve("tree").resolve("level-00.bin");
    byte[] b = Files.readAllBytes(level0);
    b[5] ^= 1;
    Files.write(level0, b);
    Outcome v = execute("audit", "verify");
    assertThat(v.code).isEqualTo(1);
    assertThat(v.err.strip()).contains("entries and their checkpoints hold, but " + level0
        + " is damaged: the stored hash of entry 0").contains("'bastion audit repair'")
        .doesNotContain("\n");
    Outcome p = execute("audit", "prove", "--entry", "0");
    assertThat(p.code).isEqualTo(1);
    assertThat(p.err).contains("'bastion audit repair'");
    Outcome r = execute("audit", "repair");
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).startsWith("rebuilt the stored tree and the offsets of ");
    assertThat(execute("audit", "verify").code).isZero();
    assertThat(execute("audit", "prove", "--entry", "0").code).isZero();
  }

  @Test
  void proveRebuildsMissingOrShortDerivedFilesAndVerifyAgreesWithIt() throws Exception {
    assertThat(execute("approve", pipeline.toString()).code).isZero();
    assertThat(execute("run", pipeline.toString()).code).isZero();
    Path ledger = home.resolve("ledger");
    Path tree = ledger.resolve("tree");
    Path offsets = ledger.resolve("offsets.bin");
    Path level0 = tree.resolve("level-00.bin");
    // Missing: not damage (a writer lags behind its entries); prove rebuilds them.
    try (var files = Files.list(tree)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(tree);
    assertThat(execute("audit", "verify").code).isZero();
    Outcome p = execute("audit", "prove", "--entry", "20");
    assertThat(p.code).as(p.err).isZero();
    Files.delete(offsets);
    assertThat(execute("audit", "verify").code).isZero();
    p = execute("audit", "prove", "--entry", "20");
    assertThat(p.code).as(p.err).isZero();
    // Cut inside a value: damage for verify; prove rebuilds all the same.
    for (Path f : List.of(offsets, level0)) {
      try (var ch = java.nio.channels.FileChannel.open(f,
          java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(f.equals(offsets) ? 101 : 100);
      }
      Outcome v = execute("audit", "verify");
      assertThat(v.code).isEqualTo(1);
      assertThat(v.err.strip()).contains(f + " is damaged: its ").doesNotContain("\n");
      p = execute("audit", "prove", "--entry", "20");
      assertThat(p.code).as(p.err).isZero();
      assertThat(execute("audit", "verify").code).isZero();
    }
  }

  @Test
  void policiesWithoutARunsGateAreNotApproved() throws Exception {
    Path gates = home.resolve("policies").resolve("gates.json");
    byte[] before = Files.readAllBytes(gates);
    Files.writeString(gates, "{\"gates\": []}");
    Outcome o = execute("approve", "--policies");
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip()).isEqualTo("bastion: " + gates + ": no 'train' gate; a run decides"
        + " at train, evaluate, register, so each needs a rule");
    Files.write(gates, before);
    assertThat(execute("approve", "--policies").code).isZero();
  }

  @Test
  void initDoesNotPutDefaultsInPlaceOfApprovedPolicies() throws Exception {
    Path gates = home.resolve("policies").resolve("gates.json");
    Files.delete(gates);
    Outcome o = execute("init");
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip()).startsWith("bastion: " + gates + ": missing from this home;");
    assertThat(gates).doesNotExist();
  }

  @Test
  void initReportsADamagedKeyDirectoryAndLeavesItAsItWas() throws Exception {
    Path id = home.resolve("keys").resolve("home.id");
    byte[] before = Files.readAllBytes(id);
    Files.delete(id);
    Outcome o = execute("init");
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip()).isEqualTo("bastion: " + id + ": missing from a key directory that"
        + " holds keys; restore it (it names the master key file) or set"
        + " BASTION_MASTER_KEY_FILE; if a PKCS#11 token or a KMS key seals them, set"
        + " BASTION_PKCS11_CONFIG or BASTION_KMS_KEY_URI");
    assertThat(id).doesNotExist();
    Files.write(id, before);
    Path gateKey = home.resolve("keys").resolve("identities").resolve("gate.key.enc");
    Files.delete(gateKey);
    o = execute("init");
    assertThat(o.code).isEqualTo(1);
    assertThat(o.err.strip()).isEqualTo("bastion: " + gateKey
        + ": missing beside gate's certificate; restore keys/ from a backup");
    assertThat(gateKey).doesNotExist();
  }

  @Test
  void aRemovedRegistryIsNotQuietlyReplacedByAnEmptyOne() throws Exception {
    Path db = home.resolve("bastion.db");
    Files.delete(db);
    for (String[] cmd : new String[][] {{"registry", "list"}, {"init"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(cmd[0]).isEqualTo(1);
      assertThat(o.err.strip()).isEqualTo("bastion: " + db + ": missing from this home; the"
          + " registry was removed (restore it from a backup); init creates it only in a new"
          + " home");
      assertThat(db).doesNotExist();
    }
  }

  @Test
  void aRemovedLedgerIsNotQuietlyReplacedByAnEmptyOne() throws Exception {
    // Moved aside whole: a new, empty ledger would forget every approval a run checks against.
    Path ledger = home.resolve("ledger");
    Path aside = home.resolveSibling("ledger-aside");
    Files.move(ledger, aside);
    Path segments = ledger.resolve("segments");
    for (String[] cmd : new String[][] {{"registry", "list"}, {"init"}}) {
      Outcome o = execute(cmd);
      assertThat(o.code).as(cmd[0]).isEqualTo(1);
      assertThat(o.err.strip()).isEqualTo("bastion: " + segments + ": no ledger segments in"
          + " this home; the ledger was removed (restore it from a backup); init creates one"
          + " only in a new home");
      assertThat(ledger).doesNotExist();
    }
    Files.move(aside, ledger);
    assertThat(execute("registry", "list").code).isZero();
  }

  @Test
  void tailSaysItsDefault() {
    Outcome help = execute("audit", "tail", "--help");
    assertThat(help.out).contains("the last N matching events (default: 50)");
  }
}
