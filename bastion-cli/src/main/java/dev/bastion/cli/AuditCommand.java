package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "audit", description = "The tamper-evident ledger.", subcommands = {
    AuditCommand.Verify.class, AuditCommand.Tail.class})
final class AuditCommand {
  @Command(
      name = "verify",
      description = "Recompute every entry's hash and the Merkle root and check the signed head."
          + " Exit 0 when the ledger holds, 1 when it does not.")
  static final class Verify implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Path home = Home.defaultDir();
      // Only public material is needed: the CA and the identities' certificates.
      LedgerVerifier.Result r =
          LedgerVerifier.verify(home.resolve("ledger"), Keyring.publicTrust(home.resolve("keys")));
      System.out.println("ledger ok: " + r.size() + " entries, root " + r.root()
          + ", head signed by ledger");

      return 0;
    }
  }

  @Command(name = "tail", description = "List ledger events.")
  static final class Tail implements Callable<Integer> {
    @Option(names = "--kind", description = "only events of this kind (e.g. gate_decision)")
    String kind;

    @Option(names = "--since", description = "only events at or after this ISO-8601 instant")
    String since;

    @Option(names = {"-n", "--lines"}, defaultValue = "50", description = "last N events")
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
          throw new BadInputException("--kind '" + kind + "' is not an event kind");
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
      List<Event> events =
          LedgerVerifier.events(Home.defaultDir().resolve("ledger")).stream()
              .filter(e -> fk == null || e.kind() == fk)
              .filter(e -> ff == null || !e.time().isBefore(ff))
              .toList();
      for (Event e : events.subList(Math.max(0, events.size() - lines), events.size())) {
        if (json) {
          System.out.println(Json.canonicalString(e.toJson()));
        } else {
          System.out.printf("%s  %-14s %-10s %-24s %-8s %s%n", e.time(), e.kind().wireName(),
              e.actor(), e.action(), e.outcome(), e.object());
        }
      }
      return 0;
    }
  }
}
