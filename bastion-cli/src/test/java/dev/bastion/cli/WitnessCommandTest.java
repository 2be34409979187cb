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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bastion witness} with {@code bastion audit prove --since} and {@code verify}. */
class WitnessCommandTest {
  @TempDir Path tmp;
  Path home;
  Path w;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private PrintStream stdout;

  record Outcome(int code, String out, String err) {}

  @BeforeEach
  void setUp() {
    home = tmp.resolve("home");
    w = tmp.resolve("witness");
    System.setProperty(Home.PROPERTY, home.toString());
    stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
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

  private String origin() {
    Outcome cp = execute("audit", "checkpoint");
    assertThat(cp.code).isZero();
    return cp.out.lines().findFirst().orElseThrow();
  }

  private void addEntries() {
    assertThat(execute("identity", "issue", "n" + System.nanoTime(), "--role", "predict",
        "--out", tmp.resolve("id").toString()).code).isZero();
  }

  @Test
  void aWitnessCosignsTheLedgerAsItGrowsAndVerifyRequiresItsCosignature() throws Exception {
    Outcome init = execute("witness", "init", w.toString(), "--name", "witness.example/w1");
    assertThat(init.code).isZero();
    assertThat(init.out.strip()).startsWith("witness.example/w1+")
        .isEqualTo(Files.readString(w.resolve("witness.vkey")).strip());
    assertThat(execute("witness", "add-log", w.toString(), "--origin", origin(), "--key",
        home.resolve("keys/ledger.vkey").toString()).code).isZero();

    Path req1 = tmp.resolve("req1");
    assertThat(execute("audit", "prove", "--since-size", "0", "-o", req1.toString()).code)
        .isZero();
    assertThat(Files.readString(req1)).startsWith("old 0\n\n" + origin() + "\n");
    Path c1 = tmp.resolve("c1");
    Outcome cosigned = execute("witness", "cosign", w.toString(), req1.toString(), "-o",
        c1.toString());
    assertThat(cosigned.code).as(cosigned.err).isZero();
    assertThat(cosigned.out).startsWith("cosigned " + origin());

    addEntries();
    Path req2 = tmp.resolve("req2");
    assertThat(execute("audit", "prove", "--since", c1.toString(), "-o", req2.toString()).code)
        .isZero();
    Outcome second = execute("witness", "cosign", w.toString(), req2.toString());
    assertThat(second.code).as(second.err).isZero();
    Path c2 = tmp.resolve("c2");
    Files.writeString(c2, second.out);
    Outcome verified = execute("audit", "verify", "--since", c2.toString(), "--witness-key",
        w.resolve("witness.vkey").toString());
    assertThat(verified.code).as(verified.err).isZero();
    assertThat(verified.out).contains("cosigned by witness witness.example/w1");

    // The same request again: the witness has moved on (409 in the protocol), exit 1.
    Outcome stale = execute("witness", "cosign", w.toString(), req2.toString());
    assertThat(stale.code).isEqualTo(1);
    assertThat(stale.err).contains("witness refuses").contains("prove from that size");
    // A checkpoint the witness never cosigned does not pass as cosigned.
    Path plain = tmp.resolve("plain");
    Files.writeString(plain, execute("audit", "checkpoint").out);
    Outcome uncosigned = execute("audit", "verify", "--since", plain.toString(), "--witness-key",
        w.resolve("witness.vkey").toString());
    assertThat(uncosigned.code).isEqualTo(1);
    assertThat(uncosigned.err).contains("no signature by witness.example/w1");
    // A cosignature changed after the fact does not verify.
    String text = Files.readString(c2);
    int at = text.length() - 10; // inside the last line's Ed25519 signature
    char flipped = text.charAt(at) == 'A' ? 'B' : 'A';
    Files.writeString(c2, text.substring(0, at) + flipped + text.substring(at + 1));
    assertThat(execute("audit", "verify", "--since", c2.toString(), "--witness-key",
        w.resolve("witness.vkey").toString()).code).isEqualTo(1);
  }

  /** A home made anew in place of the old one (a rewritten log, new key) is not cosigned. */
  @Test
  void aReplacedLedgerIsRefusedByTheWitness() throws Exception {
    execute("witness", "init", w.toString(), "--name", "witness.example/w1");
    Path oldKey = tmp.resolve("old.vkey");
    Files.copy(home.resolve("keys/ledger.vkey"), oldKey);
    String origin = origin();
    execute("witness", "add-log", w.toString(), "--origin", origin, "--key", oldKey.toString());
    Path req = tmp.resolve("req");
    execute("audit", "prove", "--since-size", "0", "-o", req.toString());
    Path c1 = tmp.resolve("c1");
    assertThat(execute("witness", "cosign", w.toString(), req.toString(), "-o", c1.toString())
        .code).isZero();

    Path other = tmp.resolve("other");
    System.setProperty(Home.PROPERTY, other.toString());
    assertThat(execute("init").code).isZero();
    // The old cosigned checkpoint is not this ledger's.
    Outcome since = execute("audit", "prove", "--since", c1.toString());
    assertThat(since.code).isEqualTo(1);
    assertThat(since.err).contains("not a checkpoint of this ledger");
    // Submitted as a new log, it is unknown to the witness.
    execute("audit", "prove", "--since-size", "1", "-o", req.toString());
    Outcome refused = execute("witness", "cosign", w.toString(), req.toString());
    assertThat(refused.code).isEqualTo(1);
    assertThat(refused.err).contains("is not one this witness trusts");
  }

  @Test
  void badUsageAndMalformedRequestsExitTwoWithOneLine() throws Exception {
    assertThat(execute("audit", "prove").code).isEqualTo(2);
    assertThat(execute("audit", "prove", "--entry", "0", "--since-size", "0").code).isEqualTo(2);
    Outcome beyond = execute("audit", "prove", "--since-size", "100000");
    assertThat(beyond.code).isEqualTo(2);
    assertThat(beyond.err).contains("not between 0 and");
    Outcome noSince = execute("audit", "verify", "--witness-key", "x");
    assertThat(noSince.code).isEqualTo(2);
    assertThat(noSince.err).contains("give both");
    execute("witness", "init", w.toString(), "--name", "witness.example/w1");
    Outcome twice = execute("witness", "init", w.toString(), "--name", "witness.example/w1");
    assertThat(twice.code).isEqualTo(2);
    assertThat(twice.err).contains("already holds a witness");
    Path bad = tmp.resolve("bad");
    Files.writeString(bad, "old 1\nAAAA\n\nx\n");
    Outcome malformed = execute("witness", "cosign", w.toString(), bad.toString());
    assertThat(malformed.code).isEqualTo(2);
    assertThat(malformed.err.strip()).isEqualTo("bastion: " + bad
        + ": witness request: line 2: not a 32-byte hash in padded base64");
    // The checkpoint part malformed: named by the request file too.
    Path badNote = tmp.resolve("bad-note");
    Files.writeString(badNote, "old 0\n\nnot a note\n");
    Outcome note = execute("witness", "cosign", w.toString(), badNote.toString());
    assertThat(note.code).isEqualTo(2);
    assertThat(note.err).startsWith("bastion: " + badNote + ": signed note: ");
    // A request given where a checkpoint is expected is not a checkpoint: bad input.
    execute("audit", "prove", "--since-size", "0", "-o", tmp.resolve("req").toString());
    Outcome wrongKind = execute("audit", "prove", "--since", tmp.resolve("req").toString());
    assertThat(wrongKind.code).isEqualTo(2);
    assertThat(wrongKind.err).contains("checkpoint: ");
    // A fault in the witness's own files is named by that file, not by the request.
    Files.writeString(w.resolve("logs.json"), "{}");
    Outcome config = execute("witness", "cosign", w.toString(), tmp.resolve("req").toString());
    assertThat(config.code).isEqualTo(2);
    assertThat(config.err.strip()).isEqualTo("bastion: " + w.resolve("logs.json")
        + ": 'logs' must be a list");
    Outcome notWitness = execute("witness", "cosign", tmp.toString(), bad.toString());
    assertThat(notWitness.code).isEqualTo(2);
    assertThat(notWitness.err).contains("not a witness directory");
  }
}
