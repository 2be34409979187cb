package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.KekRotation;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.pipeline.Home;
import dev.bastion.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "data", description = "Data sets: profiles, schemas, validation, poisoning scans,"
    + " lineage, erasure.",
    subcommands = {DataCommand.Erase.class, DataLineageCommand.class, DataProfileCommand.class,
        DataSuggestSchemaCommand.class, DataValidateCommand.class, DataScanCommand.class})
final class DataCommand {
  @Command(
      name = "erase",
      description = "Crypto-shred a snapshot (GDPR erasure): its data key is destroyed and the"
          + " key-encryption key rotated, so no copy of the blob can be read again; the ledger"
          + " records who, when and why; every model trained on it is listed as affected.")
  static final class Erase implements Callable<Integer> {
    /** What the store records data as: ingested snapshots, quarantined rows, reference data. */
    static final java.util.Set<String> DATA_KINDS =
        new java.util.TreeSet<>(List.of("snapshot", "quarantine", "reference-data"));

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "the snapshot's sha256:...")
    String snapshot;

    @Option(names = "--reason", required = true, description = "why (recorded on the ledger)")
    String reason;

    @Option(names = "--actor", paramLabel = "WHO",
        description = "who asked for the erasure (recorded with the reason; the entries' actor is"
            + " the operating-system user running this)")
    String requester;

    @Override
    public Integer call() throws Exception {
      if (reason.isBlank()) {
        throw new BadInputException("--reason must say why the data is erased");
      }
      Digest d;
      try {
        d = Digest.parse(snapshot);
      } catch (IllegalArgumentException e) {
        throw new BadInputException("'" + snapshot + "' is not a sha256 digest");
      }
      // Who erased is who ran this, not a name given on the command line.
      String actor = dev.bastion.pipeline.Integrity.currentUser();
      if (requester != null) {
        if (requester.isBlank()) {
          throw new BadInputException("--actor must name who asked for the erasure");
        }
        reason = reason + " (asked by " + dev.bastion.core.Text.clip(requester) + ")";
      }
      try (Home home = Home.open(Home.defaultDir())) {
        String run = home.integrity().openSession("erase");
        if (!home.store().contains(d)) {
          throw new BadInputException(home.store().whyAbsent(d) + "; nothing to erase");
        }
        // Only data is erased: what the store recorded it as, on the ledger, says which.
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        // The rows an ingest quarantined hold the same people's data as its snapshot: they go
        // with it (the ingest's end on the ledger names both).
        java.util.Set<String> quarantines = new java.util.TreeSet<>();
        dev.bastion.ledger.LedgerVerifier.forEachEvent(home.ledger().directory(), e -> {
          if (e.kind() == EventKind.ARTIFACT_PUT && e.object().equals(d.toString())) {
            kinds.add(e.details().getOrDefault("kind", "unknown"));
          }
          if (e.kind() == EventKind.STAGE_END && e.object().equals(d.toString())
              && !e.details().getOrDefault("quarantine", "").isEmpty()) {
            quarantines.add(e.details().get("quarantine"));
          }
        });
        if (kinds.isEmpty() || !DATA_KINDS.containsAll(kinds)) {
          throw new BadInputException(d + " is " + (kinds.isEmpty() ? "not recorded as data"
              : kinds.stream().map(k -> (k.matches("[aeiou].*") ? "an " : "a ") + k)
                  .collect(java.util.stream.Collectors.joining(" and "))) + ", not data: only "
              + String.join(", ", DATA_KINDS) + " artifacts are erased");
        }
        // Which models came from it, found while their evidence can still be read.
        List<String> affected = new ArrayList<>();
        for (ModelRegistry.Registration r : home.registry().list()) {
          if (home.registry().chainOf(r, home.trust(), actor, run).data().equals(d)) {
            affected.add(r.name() + " v" + r.version() + " (" + r.model() + ")");
          }
        }
        List<Digest> alongside = new ArrayList<>();
        for (String q : quarantines) {
          Digest qd;
          try {
            qd = Digest.parse(q);
          } catch (IllegalArgumentException e) {
            throw new VerificationException("the ledger names quarantined rows of " + d
                + " by something that is not a digest; run 'bastion audit verify'");
          }
          if (!qd.equals(d) && home.store().contains(qd)) {
            alongside.add(qd);
          }
        }
        java.util.Set<Digest> erased = new java.util.HashSet<>(alongside);
        erased.add(d);
        // The rotation that completes the erasure must not stop halfway: every other data key
        // is checked first, and nothing is destroyed if one does not unwrap.
        try {
          home.store().checkKeys(erased);
        } catch (VerificationException e) {
          throw new VerificationException(e.getMessage() + "; nothing was erased (restore that"
              + " artifact from a backup first)", e);
        }
        home.store().erase(d, actor, run, reason);
        for (Digest q : alongside) {
          home.store().erase(q, actor, run, reason + " (rows quarantined by the ingest of " + d
              + ")");
        }
        KekRotation rotation = home.keyring().beginKekRotation();
        long n = home.store().rewrapAll(rotation, actor, run);
        int retired = home.keyring().retire(rotation);
        home.ledger().append(Event.now(EventKind.KEY_OPERATION, actor, "kek-retire",
            "kek:" + rotation.newKeyId(), "ok", run,
            Map.of("destroyed_keys", Integer.toString(retired), "artifacts", Long.toString(n),
                "after", "erase " + d)));
        System.out.println("erased " + d + ": data key destroyed, key-encryption key rotated ("
            + n + " other data keys re-wrapped, " + retired + " old key(s) destroyed)");
        for (Digest q : alongside) {
          System.out.println("erased with it " + q + ": the rows its ingest quarantined");
        }
        if (affected.isEmpty()) {
          System.out.println("no registered model was trained or evaluated on it");
        } else {
          System.out.println("affected models (their chains can no longer be fully verified:"
              + " they are not served, nor exported with their data, again; evidence without"
              + " the data still exports):");
          affected.forEach(a -> System.out.println("  " + a));
        }
      }
      return 0;
    }
  }
}
