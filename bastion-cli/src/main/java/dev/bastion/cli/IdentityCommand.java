package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.crypto.Identity;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "identity",
    description = "Client identities: certificates from the deployment's CA.",
    subcommands = {IdentityCommand.Issue.class, IdentityCommand.Revoke.class})
final class IdentityCommand {
  /** The roles a client identity may have. */
  static final List<String> ROLES = dev.bastion.serve.Gateway.ROLES;

  private IdentityCommand() {}

  @Command(
      name = "issue",
      description = "Issue a client certificate with a role (a fresh P-256 key) and write NAME.crt,"
          + " NAME.key (PKCS#8 PEM, owner-only) and ca.crt to DIR, for mutual TLS:"
          + " curl --cert NAME.crt --key NAME.key --cacert ca.crt. Issuing a NAME again revokes"
          + " its earlier certificates (and so their tokens). On the ledger.")
  static final class Issue implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "the identity's name")
    String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "predict, admin or auditor")
    String role;

    @Option(names = "--model", paramLabel = "NAME",
        description = "limit the role to this registered model; repeatable (default: every"
            + " model)")
    java.util.List<String> models = new java.util.ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "where to write the files (created if missing; its parent must exist)")
    Path out;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (!ROLES.contains(role)) {
        throw new BadInputException("--role " + role + ": expected one of "
            + String.join(", ", ROLES));
      }
      dev.bastion.crypto.Keyring.checkClientName(name);
      if (Files.exists(out) && !Files.isDirectory(out)) {
        throw new BadInputException(out + ": exists and is not a directory");
      }
      // The directory is made (its parent must exist: a mistyped path is not created) and found
      // writable before anything is issued; made here and nothing issued, it is removed again.
      boolean made = false;
      if (!Files.isDirectory(out)) {
        try {
          Files.createDirectory(out);
          made = true;
        } catch (java.io.IOException e) {
          Path parent = out.toAbsolutePath().normalize().getParent();
          throw new BadInputException(out + ": cannot create the directory ("
              + (parent == null || !Files.isDirectory(parent) ? "no such directory " + parent
                  : OutputFile.why(e)) + ")", e);
        }
      }
      try {
        if (!Files.isWritable(out)) {
          throw new BadInputException(out + ": cannot write there");
        }
        for (String f : new String[] {name + ".crt", name + ".key", "ca.crt"}) {
          Path p = out.resolve(f);
          if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              && !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInputException(p + ": exists and is not a regular file (a directory, a"
                + " link or a device), which writing would replace; nothing was issued");
          }
        }
        return issue();
      } catch (Exception e) {
        if (made) {
          try (var left = Files.list(out)) {
            if (left.findAny().isEmpty()) {
              Files.delete(out);
            }
          } catch (java.io.IOException ignored) {
            // best effort: the error below is what the user needs
          }
        }
        throw e;
      }
    }

    private int issue() throws Exception {
      try (Home home = Home.open(Home.defaultDir())) {
        // A model not registered yet is allowed (an identity may be issued ahead of its model),
        // but said, since a misspelt name would give an identity that reaches nothing.
        java.util.Set<String> registered = new java.util.HashSet<>();
        for (var r : home.registry().list()) {
          registered.add(r.name());
        }
        for (String m : models) {
          if (!registered.contains(m)) {
            spec.commandLine().getErr().println("note: no model named '" + m + "' is registered"
                + " yet; " + name + " reaches it only once one is");
          }
        }
        // Issuing a name again revokes its earlier certificates (the keyring does it first,
        // under its lock), those only the ledger names too.
        dev.bastion.crypto.Keyring.Issued issued = home.keyring().issueClient(name, role,
            java.time.Duration.ofDays(397), models, serialsOnLedger(home, name));
        Identity id = issued.identity();
        List<String> superseded = issued.revoked().stream().map(b -> b.toString(16)).toList();
        // On the ledger as soon as it exists, whatever happens to the copies written out.
        Map<String, String> details = new java.util.LinkedHashMap<>();
        details.put("identity", name);
        details.put("role", role);
        details.put("models", models.isEmpty() ? "*" : String.join(",", models));
        details.put("certificate", Digest.of(id.certificate().getEncoded()).toString());
        if (!superseded.isEmpty()) {
          details.put("revoked", String.join(",", superseded));
        }
        home.ledger().append(Event.now(EventKind.KEY_OPERATION, Integrity.currentUser(),
            "identity-issue", "cert:" + id.certificate().getSerialNumber().toString(16), "ok",
            "identity-" + name,
            details));
        try {
          home.keyring().exportIdentity(name, out);
        } catch (java.io.IOException e) {
          // Whatever was written goes: a private key left beside a failure would outlive the
          // revocation the message asks for.
          for (String f : new String[] {name + ".key", name + ".crt"}) {
            try {
              Files.deleteIfExists(out.resolve(f));
            } catch (java.io.IOException ignored) {
              // best effort; the message below still says what to do
            }
          }
          throw new BadInputException("issued " + name + " (on the ledger), but its files cannot"
              + " be written to " + out + " (" + OutputFile.why(e) + "); revoke it with 'bastion"
              + " identity revoke " + name + "' and issue it again", e);
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.println("issued " + name + " (role " + role
            + (models.isEmpty() ? "" : " for " + String.join(", ", models)) + "): "
            + out.resolve(name + ".crt") + ", "
            + out.resolve(name + ".key") + " (keep it secret), " + out.resolve("ca.crt"));
        if (!superseded.isEmpty()) {
          pw.println("revoked " + name + "'s earlier " + (superseded.size() == 1
              ? "certificate, serial " : superseded.size() + " certificates, serials ")
              + String.join(", ", superseded) + " (" + home.keyring().crlFile() + " updated)");
        }
        pw.flush();
      }
      return 0;
    }
  }

  /**
   * For an identity issued before its record of serials was kept, the certificates issued to
   * it that only the ledger names (its 'identity-issue' entries); empty otherwise.
   */
  static java.util.Set<java.math.BigInteger> serialsOnLedger(Home home, String name)
      throws Exception {
    java.util.Set<java.math.BigInteger> onLedger = new java.util.LinkedHashSet<>();
    if (home.keyring().issuedRecordPartial(name)) {
      dev.bastion.ledger.LedgerVerifier.forEachEvent(home.dir().resolve("ledger"), e -> {
        if (e.kind() == EventKind.KEY_OPERATION && e.action().equals("identity-issue")
            && name.equals(e.details().get("identity"))
            && e.object().matches("cert:[0-9a-f]{1,40}")) {
          onLedger.add(new java.math.BigInteger(e.object().substring(5), 16));
        }
      });
    }
    return onLedger;
  }

  @Command(
      name = "revoke",
      description = "Revoke an identity: every certificate issued to NAME (a re-issued"
          + " identity's earlier ones too). The CA signs a new revocation list (keys/ca.crl) that"
          + " a running gateway picks up at its next request, no restart. On the ledger.")
  static final class Revoke implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "the identity's name")
    String name;

    @Option(names = "--reason", defaultValue = "", description = "why (recorded on the ledger)")
    String reason;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      try (Home home = Home.open(Home.defaultDir())) {
        java.util.Set<java.math.BigInteger> onLedger = serialsOnLedger(home, name);
        Identity id = home.keyring().revoke(name, onLedger);
        java.util.Set<java.math.BigInteger> all =
            new java.util.LinkedHashSet<>(home.keyring().issuedSerials(name));
        all.addAll(onLedger);
        all.add(id.certificate().getSerialNumber());
        List<String> serials = all.stream().map(b -> b.toString(16)).toList();
        home.ledger().append(Event.now(EventKind.KEY_OPERATION, Integrity.currentUser(),
            "identity-revoke", "cert:" + id.certificate().getSerialNumber().toString(16), "ok",
            "identity-" + name,
            Map.of("identity", name, "reason", reason, "certificates", String.join(",", serials),
                "crl", Digest.of(Files.readAllBytes(home.keyring().crlFile())).toString())));
        PrintWriter pw = spec.commandLine().getOut();
        pw.println("revoked " + name + " (" + (serials.size() == 1 ? "certificate serial "
            : serials.size() + " certificates, serials ") + String.join(", ", serials) + "); "
            + home.keyring().crlFile() + " updated");
        pw.flush();
      }
      return 0;
    }
  }
}
