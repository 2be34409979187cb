package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bastion audit prove} of an entry that is signed but whose stored tree was not yet
 * written out when its writer died: the command catches the tree up itself instead of asking,
 * forever, to try again in a second.
 */
class AuditProveCatchUpTest {
  @TempDir Path tmp;

  @AfterEach
  void restore() {
    System.clearProperty(Home.PROPERTY);
  }

  /** Copies {@code from} (a file or a directory tree) over {@code to}. */
  private static void copy(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  @Test
  void anEntryBeyondTheExportedTreeIsProvenAfterCatchingUp() throws Exception {
    Path homeDir = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, homeDir.toString());
    Path ledger = homeDir.resolve("ledger");
    Path saved = tmp.resolve("saved");
    try (Home h = Home.init(homeDir)) {
      h.ledger().append(Event.now(EventKind.CONFIG_CHANGE, "test", "one", "-", "ok", "t",
          Map.of()));
    }
    // The derived files as they stood, then more entries signed after them.
    copy(ledger.resolve("tree"), saved.resolve("tree"));
    copy(ledger.resolve("checkpoint"), saved.resolve("checkpoint"));
    try (Home h = Home.open(homeDir)) {
      for (int i = 0; i < 5; i++) {
        h.ledger().append(Event.now(EventKind.CONFIG_CHANGE, "test", "more", "-", "ok", "t",
            Map.of()));
      }
    }
    // What a writer killed before its once-a-second write-out leaves: the segments and their
    // signed checkpoint hold every entry, the stored tree and the exported checkpoint do not.
    copy(saved.resolve("tree"), ledger.resolve("tree"));
    copy(saved.resolve("checkpoint"), ledger.resolve("checkpoint"));
    long last = LedgerVerifier.events(ledger).size() - 1;
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
            LedgerVerifier.prove(ledger, Home.ledgerVerifier(homeDir), last))
        .as("the state this test means to build")
        .isInstanceOf(LedgerVerifier.NotYetExported.class);

    var cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    Path proof = tmp.resolve("proof.json");
    int code = cl.execute("audit", "prove", "--entry", Long.toString(last), "-o",
        proof.toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(cl.execute("audit", "verify-proof", proof.toString())).isZero();
  }
}
