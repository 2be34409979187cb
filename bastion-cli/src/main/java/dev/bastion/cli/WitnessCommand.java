package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.InputFiles;
import dev.bastion.ledger.tlog.AddCheckpoint;
import dev.bastion.ledger.tlog.Checkpoint;
import dev.bastion.ledger.tlog.Witness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "witness",
    description = {
      "A witness for Bastion ledgers (and any C2SP checkpoint log), to run on another machine:"
          + " it cosigns a checkpoint only if it extends the one it cosigned before"
          + " (c2sp.org/tlog-witness checks, cosignature/v1).",
      "A witness directory needs no Bastion home."
    },
    subcommands = {WitnessCommand.Init.class, WitnessCommand.AddLog.class,
        WitnessCommand.Cosign.class})
final class WitnessCommand {
  private WitnessCommand() {}

  @Command(name = "init",
      description = "Make a witness in DIR with a new Ed25519 key; prints its cosigner verifier"
          + " key (also in DIR/witness.vkey), for 'bastion audit verify --witness-key'.")
  static final class Init implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Option(names = "--name", required = true, paramLabel = "NAME",
        description = "the witness's key name, e.g. witness.example.org/w1")
    String name;

    @Override
    public Integer call() throws Exception {
      Witness w = Witness.create(dir, name);
      System.out.println(w.cosignerVerifier().verifierKey());
      return 0;
    }
  }

  @Command(name = "add-log",
      description = "Trust a log: its checkpoint origin (the first line of 'bastion audit"
          + " checkpoint') and its verifier key (keys/ledger.vkey of its home).")
  static final class AddLog implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Option(names = "--origin", required = true, paramLabel = "ORIGIN",
        description = "the log's checkpoint origin")
    String origin;

    @Option(names = "--key", required = true, paramLabel = "VKEY_FILE",
        description = "the log's verifier key file")
    Path keyFile;

    @Override
    public Integer call() throws Exception {
      Witness w = Witness.open(dir);
      boolean added = w.trust(origin, AuditCommand.key(keyFile));
      System.out.println((added ? "trusting " : "already trusted: ") + origin);
      return 0;
    }
  }

  @Command(name = "cosign",
      description = {
        "Check a request from 'bastion audit prove --since' (a c2sp.org/tlog-witness"
            + " add-checkpoint body: old size, consistency proof, checkpoint) and cosign its"
            + " checkpoint: the log's signature must verify, the old size must be the size this"
            + " witness last cosigned for the log (0 the first time), and the proof must show the"
            + " new tree extends that one. Writes the cosigned checkpoint, and records it before.",
        "Exit 0 when cosigned, 1 when refused (the reason, and for a wrong old size the size to"
            + " prove from), 2 when the request is malformed."
      })
  static final class Cosign implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Parameters(index = "1", paramLabel = "REQUEST_FILE")
    Path request;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
        description = "where to write the cosigned checkpoint; - or none: standard output")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (out != null && out.toString().equals("-")) {
        out = null;
      }
      if (out != null) {
        OutputFile.check(out, request);
      }
      Witness w = Witness.open(dir);
      byte[] bytes = InputFiles.read(request, "witness request", AddCheckpoint.MAX_BYTES);
      AddCheckpoint req;
      try {
        req = AddCheckpoint.parse(bytes);
        Checkpoint.ofNote(req.checkpoint());
      } catch (BadInputException e) {
        // The request's format or its checkpoint's: named by the file, as the refusals are not.
        throw new BadInputException(request + ": " + e.getMessage(), e);
      }
      byte[] cosigned = w.addCheckpoint(req, Instant.now().getEpochSecond());
      if (out == null) {
        System.out.write(cosigned);
        System.out.flush();
      } else {
        OutputFile.write(out, cosigned);
        String[] lines = new String(cosigned, StandardCharsets.UTF_8).split("\n", 3);
        System.out.println("cosigned " + lines[0] + " at " + lines[1] + " entries, written to "
            + out);
      }
      return 0;
    }
  }
}
