package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.ledger.tlog.AddCheckpoint;
import dev.bastion.ledger.tlog.NoteVerifier;
import dev.bastion.pipeline.Home;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "audit", description = "The tamper-evident ledger.", subcommands = {
    AuditCommand.Verify.class, AuditCommand.Tail.class, AuditCommand.Alerts.class,
    AuditCommand.Checkpoint.class, AuditCommand.Prove.class, AuditCommand.VerifyProof.class,
    AuditCommand.Repair.class})
final class AuditCommand {
  private AuditCommand() {}

  /** The largest checkpoint file read. */
  static final long MAX_CHECKPOINT_BYTES = 64 << 10;

  /** The verifier key: from --key, or the one the home publishes. */
  static NoteVerifier key(Path keyFile) throws Exception {
    if (keyFile == null) {
      return Home.ledgerVerifier(Home.defaultDir());
    }
    byte[] b = InputFiles.read(keyFile, "verifier key file", 4096);
    try {
      return NoteVerifier.parse(new String(b, StandardCharsets.UTF_8).strip());
    } catch (dev.bastion.core.BadInputException e) {
      // Named by its file; what the file holds is not echoed back.
      throw new dev.bastion.core.BadInputException(keyFile
          + ": not a verifier key (a C2SP note verifier key: NAME+HASH+KEY)", e);
    }
  }

  /**
   * The ledger of the home, which must have one: listing events of a home without a ledger (or
   * one whose segments are gone) would look like a ledger with nothing on it.
   */
  static Path ledgerDir() throws Exception {
    Path dir = Home.defaultDir().resolve("ledger");
    if (!java.nio.file.Files.isDirectory(dir)) {
      throw new BadInputException(Home.defaultDir() + ": no ledger here; not a Bastion home, or"
          + " run 'bastion init'");
    }
    if (LedgerVerifier.latestCheckpoint(dir) == null) {
      throw new dev.bastion.core.VerificationException(dir + ": no signed checkpoint (the"
          + " ledger's segments are missing or empty); 'bastion audit verify' checks it");
    }
    checkExports(dir, Home.ledgerVerifier(Home.defaultDir()));
    return dir;
  }

  /**
   * With BASTION_CHECKPOINT_DIR set, the ledger must not be cut or rewritten behind its newest
   * export there: no listing, proof or checkpoint is handed out from such a log.
   */
  static void checkExports(Path ledger, NoteVerifier key) throws Exception {
    if (Home.checkpointExportDir().isPresent()) {
      LedgerVerifier.checkExport(ledger, key, Home.checkpointExportDir().get());
    }
  }

  @Command(
      name = "verify",
      description = {
        "Recompute the Merkle tree from every entry and check every signed checkpoint (C2SP,"
            + " Ed25519), then the stored tree and offsets that proofs are read from. Exit 0 when"
            + " the ledger holds, 1 when it does not, naming the first bad entry or the damaged"
            + " file ('bastion audit repair' rebuilds those).",
        "The local copy ledger/checkpoint, when signed by the ledger's key, is checked as"
            + " --since would be: a log cut or rewritten behind it fails.",
        "With --since, also prove that the log only grew since an earlier exported checkpoint:"
            + " catches a truncated or rewritten history, even one re-signed with a new key."
      })
  static final class Verify implements Callable<Integer> {
    @Option(names = "--since", paramLabel = "CHECKPOINT_FILE",
        description = "a checkpoint exported earlier (bastion audit checkpoint, or the export"
            + " directory); default: the newest that verifies in"
            + " BASTION_CHECKPOINT_DIR, when it is set")
    Path since;

    @Option(names = "--key", paramLabel = "VKEY_FILE",
        description = "the ledger's verifier key (default: keys/ledger.vkey of BASTION_HOME)")
    Path keyFile;

    @Option(names = "--witness-key", paramLabel = "WITNESS_VKEY_FILE",
        description = "with --since: the earlier checkpoint must carry a valid cosignature by"
            + " this witness ('bastion witness cosign'); its cosigner verifier key")
    Path witnessKeyFile;

    @Override
    public Integer call() throws Exception {
      Path home = Home.defaultDir();
      if (witnessKeyFile != null && since == null) {
        throw new BadInputException("audit verify: --witness-key checks the checkpoint given"
            + " with --since; give both");
      }
      NoteVerifier witness = null;
      if (witnessKeyFile != null) {
        witness = key(witnessKeyFile);
        if (!witness.isCosigner()) {
          throw new BadInputException(witnessKeyFile + ": a note key, not a witness's cosigner"
              + " verifier key (DIR/witness.vkey of 'bastion witness init')");
        }
      }
      NoteVerifier key = key(keyFile);
      if (since == null && Home.checkpointExportDir().isPresent()) {
        // Exports are the copy kept elsewhere: the log must have only grown since the newest.
        dev.bastion.ledger.Ledger.Export newest =
            dev.bastion.ledger.Ledger.newestExport(Home.checkpointExportDir().get(), key);
        since = newest == null ? null : newest.file();
      }
      byte[] earlier = since == null ? null
          : InputFiles.read(since, "checkpoint file", MAX_CHECKPOINT_BYTES);
      String cosigned = "";
      if (witness != null) {
        try {
          long at = witness.verifyCosignature(earlier);
          cosigned = ", cosigned by witness " + witness.name() + " at "
              + Instant.ofEpochSecond(at);
        } catch (BadInputException e) {
          throw new BadInputException(since + ": " + e.getMessage(), e);
        } catch (dev.bastion.core.VerificationException e) {
          throw new dev.bastion.core.VerificationException(since + ": " + e.getMessage()
              + " (required by --witness-key)", e);
        }
      }
      // Only public material is needed: the verifier key.
      LedgerVerifier.Result r;
      try {
        r = LedgerVerifier.verify(home.resolve("ledger"), key, earlier);
      } catch (dev.bastion.core.BadInputException e) {
        throw new dev.bastion.core.BadInputException(
            e.getMessage().replace("the earlier checkpoint", String.valueOf(since)), e);
      } catch (dev.bastion.core.VerificationException e) {
        throw new dev.bastion.core.VerificationException(since == null ? e.getMessage()
            : e.getMessage().replace("the earlier checkpoint", "the earlier checkpoint " + since),
            e);
      }
      System.out.println("ledger ok: " + r.size() + " entries, root " + r.root() + ", "
          + r.checkpoints() + " checkpoints signed by " + key.name()
          + (since == null ? "" : "; grew from the " + r.since() + " entries of " + since)
          + cosigned);
      return 0;
    }
  }

  @Command(name = "checkpoint",
      description = "Print the latest signed checkpoint (a C2SP signed note), to keep a copy"
          + " outside this machine, once its signature verifies against the ledger's key"
          + " (keys/ledger.vkey). Exit 1 when it does not, or when the log holds fewer entries"
          + " than the local copy of a later checkpoint.")
  static final class Checkpoint implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Path home = Home.defaultDir();
      Path dir = home.resolve("ledger");
      // A trust anchor that does not verify would only mislead whoever keeps it.
      byte[] note = LedgerVerifier.latestCheckpoint(dir, Home.ledgerVerifier(home));
      if (note == null) {
        throw new BadInputException(dir + ": no ledger here; run 'bastion init'");
      }
      checkExports(dir, Home.ledgerVerifier(home));
      System.out.print(new String(note, StandardCharsets.UTF_8));
      System.out.flush();
      return 0;
    }
  }

  @Command(name = "prove",
      description = {
        "With --entry: write an offline-verifiable inclusion proof of one entry, with the signed"
            + " checkpoint it is proven against.",
        "With --since or --since-size: write a consistency proof from an earlier tree to the"
            + " latest signed checkpoint, as a c2sp.org/tlog-witness add-checkpoint request (old"
            + " size, proof hashes, checkpoint), for 'bastion witness cosign'."
      })
  static final class Prove implements Callable<Integer> {
    @Option(names = "--entry", paramLabel = "N", description = "the entry index")
    Long entry;

    @Option(names = "--since", paramLabel = "CHECKPOINT_FILE",
        description = "prove from this earlier checkpoint (signed by the ledger's key; e.g. the"
            + " last one a witness cosigned); fails if the log was rewritten since")
    Path since;

    @Option(names = "--since-size", paramLabel = "N",
        description = "prove from the tree of the first N entries (0: a witness's first request)")
    Long sinceSize;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
        description = "where to write the proof; - or none: standard output")
    Path out;

    @Override
    public Integer call() throws Exception {
      int given = (entry != null ? 1 : 0) + (since != null ? 1 : 0) + (sinceSize != null ? 1 : 0);
      if (given != 1) {
        throw new BadInputException("audit prove: give one of --entry N, --since CHECKPOINT_FILE"
            + " and --since-size N");
      }
      if (out != null && out.toString().equals("-")) {
        out = null;
      }
      if (out != null) {
        if (since != null) {
          OutputFile.check(out, since);
        } else {
          OutputFile.check(out);
        }
      }
      Path home = Home.defaultDir();
      byte[] bytes;
      String said;
      if (entry != null) {
        ObjectNode proof = inclusion(home, entry);
        bytes = (Json.pretty(proof) + "\n").getBytes(StandardCharsets.UTF_8);
        said = "proof of entry " + entry + " in the tree of " + proof.get("tree_size").asLong()
            + " entries";
      } else {
        long from;
        byte[] fromRoot = null;
        if (since != null) {
          byte[] earlier = InputFiles.read(since, "checkpoint file", MAX_CHECKPOINT_BYTES);
          dev.bastion.ledger.tlog.Checkpoint cp;
          try {
            // Not a signed checkpoint at all is bad input; one this ledger did not sign, a check.
            dev.bastion.ledger.tlog.Checkpoint.ofNote(earlier);
            cp = dev.bastion.ledger.tlog.Checkpoint.parse(
                Home.ledgerVerifier(home).verify(earlier));
          } catch (BadInputException e) {
            throw new BadInputException(since + ": " + e.getMessage(), e);
          } catch (dev.bastion.core.VerificationException e) {
            throw new dev.bastion.core.VerificationException(since + ": " + e.getMessage()
                + " (not a checkpoint of this ledger)", e);
          }
          from = cp.size();
          fromRoot = cp.rootHash();
        } else {
          from = sinceSize;
        }
        AddCheckpoint request = consistency(home, from, fromRoot);
        bytes = request.format();
        said = "consistency proof from " + from + " entries to the checkpoint of "
            + dev.bastion.ledger.tlog.Checkpoint.ofNote(request.checkpoint()).size()
            + " entries";
      }
      if (out == null) {
        System.out.write(bytes);
        System.out.flush();
      } else {
        OutputFile.write(out, bytes);
        System.out.println(said + " written to " + out);
      }
      return 0;
    }

    private static ObjectNode inclusion(Path home, long entry) throws Exception {
      checkExports(home.resolve("ledger"), Home.ledgerVerifier(home));
      try {
        return LedgerVerifier.prove(home.resolve("ledger"), Home.ledgerVerifier(home), entry);
      } catch (LedgerVerifier.NotYetExported | LedgerVerifier.DerivedFilesShort e) {
        catchUp(home);
        return LedgerVerifier.prove(home.resolve("ledger"), Home.ledgerVerifier(home), entry);
      }
    }

    private static AddCheckpoint consistency(Path home, long from, byte[] fromRoot)
        throws Exception {
      Path dir = home.resolve("ledger");
      checkExports(dir, Home.ledgerVerifier(home));
      try {
        return LedgerVerifier.consistency(dir, Home.ledgerVerifier(home), from, fromRoot);
      } catch (LedgerVerifier.NotYetExported | LedgerVerifier.DerivedFilesShort e) {
        catchUp(home);
        return LedgerVerifier.consistency(dir, Home.ledgerVerifier(home), from, fromRoot);
      }
    }

    /**
     * No live writer caught the tree up (one was killed, say), or the derived files were lost:
     * opening the ledger rebuilds them from the segments and exports its checkpoint on close, as
     * after a crash.
     */
    private static void catchUp(Path home) throws Exception {
      try (Home h = Home.open(home)) {
        h.ledger().size();
      }
    }
  }

  @Command(name = "verify-proof",
      description = "Check a proof from 'bastion audit prove', offline: the checkpoint's signature,"
          + " the entry's hash and its inclusion. Exit 0 when it holds, 1 when not.")
  static final class VerifyProof implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROOF_FILE")
    Path proof;

    @Option(names = "--key", paramLabel = "VKEY_FILE",
        description = "the ledger's verifier key (default: keys/ledger.vkey of BASTION_HOME)")
    Path keyFile;

    @Override
    public Integer call() throws Exception {
      byte[] b = InputFiles.read(proof, "proof file", LedgerVerifier.MAX_PROOF_BYTES);
      Event e = LedgerVerifier.verifyProof(b, proof.toString(), key(keyFile));
      System.out.println("proof ok: " + e.kind().wireName() + " by " + e.actor() + " at "
          + e.time() + " is in the signed log");
      return 0;
    }
  }

  @Command(name = "repair",
      description = "Rebuild the ledger's derived files (the stored tree that proofs are read"
          + " from, and the entry offsets) from the entries, once every entry and checkpoint"
          + " verifies; for what 'bastion audit verify' reports damaged. A running gateway may"
          + " keep writing: its batches wait for the rebuild. Exit 0 when rebuilt, 1 when the"
          + " entries themselves do not verify (nothing is rebuilt then).")
  static final class Repair implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Path home = Home.defaultDir();
      Path dir = ledgerDir();
      long n = dev.bastion.ledger.Ledger.repair(dir, Home.ledgerVerifier(home));
      System.out.println("rebuilt the stored tree and the offsets of " + n + " entries in "
          + dir);
      return 0;
    }
  }

  @Command(name = "alerts", description = "List the alerts the pipeline raised about itself, each"
      + " once the signed checkpoint after it verifies (exit 1 at the first entry that does not;"
      + " nothing after it is listed).")
  static final class Alerts implements Callable<Integer> {
    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Override
    public Integer call() throws Exception {
      // Each alert is shown once the signed checkpoint after it verified (an alert someone
      // edited away does not read as "no alerts": the listing stops there, exit 1).
      long[] n = {0};
      LedgerVerifier.forEachVerifiedEvent(ledgerDir(), key(null), e -> {
        if (e.kind() != EventKind.ALERT) {
          return;
        }
        n[0]++;
        if (json) {
          Tail.print(e, true);
        } else {
          System.out.println(e.time() + "  " + e.action() + "  by " + e.actor() + " in "
              + e.runId() + ": " + e.details().getOrDefault("message", e.object()));
        }
      });
      if (n[0] == 0 && !json) {
        System.err.println("no alerts");
      }
      return 0;
    }
  }

  @Command(name = "tail", description = "List ledger events, once every entry verifies against"
      + " the signed checkpoints (exit 1 when one does not, and nothing is listed).")
  static final class Tail implements Callable<Integer> {
    @Option(names = "--kind", description = "only events of this kind (e.g. gate_decision)")
    String kind;

    @Option(names = "--since", description = "only events at or after this ISO-8601 instant")
    String since;

    @Option(names = {"-n", "--lines"}, defaultValue = "50",
        description = "the last N matching events (default: ${DEFAULT-VALUE})")
    int lines;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Override
    public Integer call() throws Exception {
      EventKind k = null;
      if (kind != null) {
        try {
          k = EventKind.fromWire(kind);
        } catch (IllegalArgumentException e) {
          throw new BadInputException("--kind '" + kind + "' is not an event kind (kinds: "
              + java.util.Arrays.stream(EventKind.values()).map(EventKind::wireName)
                  .collect(java.util.stream.Collectors.joining(", ")) + ")");
        }
      }
      Instant from = null;
      if (since != null) {
        try {
          from = Instant.parse(since);
        } catch (DateTimeParseException e) {
          throw new BadInputException("--since '" + since + "' is not an ISO-8601 instant");
        }
      }
      final EventKind fk = k;
      final Instant ff = from;
      if (lines < 1) {
        throw new BadInputException("-n " + lines + ": must be at least 1");
      }
      // The last N matching events, without holding the whole log; shown only once every
      // entry holds against the signed checkpoints (an edited entry is not listed as true).
      ArrayDeque<Event> events = new ArrayDeque<>();
      LedgerVerifier.forEachVerifiedEvent(ledgerDir(), key(null), e -> {
        if ((fk == null || e.kind() == fk) && (ff == null || !e.time().isBefore(ff))) {
          events.addLast(e);
          if (events.size() > lines) {
            events.removeFirst();
          }
        }
      });
      for (Event e : events) {
        print(e, json);
      }
      return 0;
    }

    static void print(Event e, boolean json) {
      if (json) {
        System.out.println(Json.canonicalString(e.toJson()));
      } else {
        System.out.printf("%s  %-14s %-10s %-24s %-8s %s%n", e.time(), e.kind().wireName(),
            e.actor(), e.action(), e.outcome(), e.object());
      }
    }
  }
}
