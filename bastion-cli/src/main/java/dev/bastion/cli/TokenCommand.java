package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.crypto.BearerTokens;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "token",
    description = "Bearer tokens for clients that cannot do mutual TLS.",
    subcommands = {TokenCommand.Issue.class})
final class TokenCommand {
  private TokenCommand() {}

  @Command(
      name = "issue",
      description = "Print a signed bearer token (JWT, ES256, signed by the gateway's key) for"
          + " identity NAME with ROLE, for 'Authorization: Bearer TOKEN'. At most 15 minutes."
          + " The identity is issued if it does not exist, so 'bastion identity revoke NAME'"
          + " also refuses its tokens. On the ledger (a digest, never the token).")
  static final class Issue implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "the identity's name")
    String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "predict, admin or auditor")
    String role;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "15m",
        description = "how long it is valid: Ns or Nm, at most 15m (default: ${DEFAULT-VALUE})")
    String ttl;

    @Option(names = "--audience", paramLabel = "AUD", defaultValue = BearerTokens.GATEWAY_AUDIENCE,
        description = "who it is for (default: ${DEFAULT-VALUE}, the inference gateway)")
    String audience;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (!IdentityCommand.ROLES.contains(role)) {
        throw new BadInputException("--role " + role + ": expected one of "
            + String.join(", ", IdentityCommand.ROLES));
      }
      Duration lifetime = duration(ttl);
      try (Home home = Home.open(Home.defaultDir())) {
        String token = home.keyring().issueToken(name, role, audience, lifetime);
        home.ledger().append(Event.now(EventKind.KEY_OPERATION, Integrity.currentUser(),
            "token-issue", Digest.of(token.getBytes(StandardCharsets.US_ASCII)).toString(), "ok",
            "identity-" + name, Map.of("identity", name, "role", role, "audience", audience,
                "expires", Instant.now().plus(lifetime).toString())));
        PrintWriter pw = spec.commandLine().getOut();
        pw.println(token);
        pw.flush();
      }
      return 0;
    }

    static Duration duration(String s) throws BadInputException {
      if (s.matches("[1-9][0-9]{0,5}[sm]")) {
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        Duration d = s.endsWith("m") ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
        if (d.compareTo(BearerTokens.MAX_LIFETIME) <= 0) {
          return d;
        }
      }
      throw new BadInputException("--ttl " + s + ": expected Ns or Nm, at most 15m");
    }
  }
}
