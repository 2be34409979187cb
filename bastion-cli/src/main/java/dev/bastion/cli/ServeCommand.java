package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.ExtractionPolicy;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.InputGuard;
import dev.bastion.serve.OutputPolicy;
import dev.bastion.serve.ServedModel;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    description = "Serve a registered model after verifying its whole chain: TLS 1.3, a client"
        + " certificate or bearer token on every request, per-identity rate limits and daily"
        + " query budgets (kept in BASTION_HOME/gateway/budgets.json across restarts), bounded"
        + " concurrency, an input guard against the model's training profile.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "credit-risk",
      description = "registered model: NAME (its newest version) or NAME@VERSION"
          + " (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--port", defaultValue = "8443",
      description = "port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--rate", defaultValue = "20",
      description = "requests per second per identity (default: ${DEFAULT-VALUE})")
  long rate;

  @Option(names = "--budget", defaultValue = "10000",
      description = "predictions per identity per UTC day (default: ${DEFAULT-VALUE})")
  long budget;

  @Option(names = "--max-concurrent", defaultValue = "16",
      description = "requests served at once; more get 503 (default: ${DEFAULT-VALUE})")
  int maxConcurrent;

  @Option(names = "--output", paramLabel = "ROLE=POLICY",
      description = "what callers of ROLE see of a prediction: label, top-k:K or"
          + " probabilities:N (N decimals); repeatable (default: every probability, 6 decimals)")
  java.util.List<String> outputs = new java.util.ArrayList<>();

  @Option(names = "--ood", defaultValue = "flag",
      description = "an instance unlike the model's training data: flag (answer, count, record)"
          + " or reject (400) (default: ${DEFAULT-VALUE}); values outside the schema's ranges are"
          + " always refused")
  String ood;

  @Option(names = "--timeout", defaultValue = "10",
      description = "seconds a request may take, body included; also the idle timeout"
          + " (default: ${DEFAULT-VALUE})")
  long timeout;

  @Option(names = "--on-extraction", defaultValue = "suspend",
      description = "what an identity whose queries look like model extraction gets, besides a"
          + " ledger alert: suspend (403 until an admin reinstates it), throttle (1 request/s,"
          + " of one instance: a batch is refused) or alert (nothing more) (default:"
          + " ${DEFAULT-VALUE})")
  String onExtraction;

  @Option(names = "--auth-failures", paramLabel = "N", defaultValue = "600",
      description = "failed authentications (TLS handshakes, 401s) one client address may make in"
          + " a minute before it is banned for five minutes (connections closed unanswered, one"
          + " ledger entry when the ban starts and one when it ends); 0 for no bans, as behind a"
          + " proxy (default: ${DEFAULT-VALUE})")
  int authFailures;

  @Option(names = "--admin-port",
      description = "open the admin listener (reload, rollback; role admin) on this port of"
          + " 127.0.0.1; closed by default")
  Integer adminPort; // null: closed

  @Override
  public Integer call() throws Exception {
    if (rate < 1 || budget < 1 || maxConcurrent < 1 || maxConcurrent > 1024) {
      throw new BadInputException("--rate and --budget must be positive, --max-concurrent 1 to"
          + " 1024");
    }
    if (timeout < 1 || timeout > 300) {
      throw new BadInputException("--timeout must be 1 to 300 seconds");
    }
    if (authFailures < 0) {
      throw new BadInputException("--auth-failures must be 0 (no bans) or more");
    }
    if (port < 0 || port > 65535) {
      throw new BadInputException("--port " + port + ": expected a port from 1 to 65535 (0: any"
          + " free one)");
    }
    if (adminPort != null && (adminPort < 1 || adminPort > 65535 || adminPort == port)) {
      throw new BadInputException("--admin-port must be a port from 1 to 65535 other than"
          + " --port");
    }
    Gateway.Config config = Gateway.Config.defaults().withPort(port).withRate(rate, 2 * rate)
        .withRequestTimeout(java.time.Duration.ofSeconds(timeout))
        .withMaxConcurrent(maxConcurrent).withOod(InputGuard.Policy.parse(ood))
        .withAdminPort(adminPort == null ? -1 : adminPort)
        .withExtraction(ExtractionPolicy.parse(onExtraction))
        .withAuthFailuresPerMinute(authFailures);
    // Each role once: of two policies for one role, which the operator meant is not for the
    // gateway to guess (the last one would silently win).
    java.util.Set<String> given = new java.util.HashSet<>();
    for (String o : outputs) {
      int eq = o.indexOf('=');
      if (eq < 0) {
        throw new BadInputException("--output " + o + ": expected ROLE=POLICY");
      }
      String role = o.substring(0, eq);
      if (!IdentityCommand.ROLES.contains(role)) {
        throw new BadInputException("--output " + role + "=...: expected a role: "
            + String.join(", ", IdentityCommand.ROLES));
      }
      if (!given.add(role)) {
        throw new BadInputException("--output " + role + "=...: given more than once; give"
            + " each role one policy");
      }
      OutputPolicy policy;
      try {
        policy = OutputPolicy.parse(o.substring(eq + 1));
      } catch (BadInputException e) {
        throw new BadInputException("--output " + o + ": " + e.getMessage(), e);
      }
      config = config.withOutput(role, policy);
    }
    // A port already taken is found now, not after the chain's verification has run.
    checkListenable("--port", port);
    if (adminPort != null) {
      checkListenable("--admin-port", adminPort);
    }
    CountDownLatch homeClosed = new CountDownLatch(1);
    try (Home home = Home.open(Home.defaultDir())) {
      String session = home.integrity().openSession("serve");
      ServedModel served =
          ServedModel.load(model, home.registry(), home.chainVerifier(), home.trust(), session);
      // A swap or a rollback loads the version as the start did: the whole chain verified.
      Gateway.ModelLoader loader = ref ->
          ServedModel.load(ref, home.registry(), home.chainVerifier(), home.trust(), session);
      Gateway started;
      try {
        started = Gateway.start(config.withBudget(budget, Optional.of(home.dir()
                .resolve("gateway").resolve("budgets.json"))), served, loader,
            home.keyring(), home.trust(), home.ledger());
      } catch (java.io.IOException e) {
        throw listenFailure(e);
      }
      // SIGTERM or Ctrl-C: the gateway closes as it would on any other stop (bans cut short
      // and the last budgets written, on the ledger), and the JVM waits until the home, and
      // with it the ledger, is closed too.
      Thread hook = new Thread(() -> {
        try {
          started.close();
          homeClosed.await(30, TimeUnit.SECONDS);
        } catch (java.io.IOException e) {
          System.err.println("bastion: " + e.getMessage());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "bastion-serve-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try (Gateway g = started) {
        System.out.println("serving " + served.name() + " v" + served.version() + " ("
            + served.digest() + ") on https://127.0.0.1:" + g.port()
            + " (TLS 1.3; client certificate or bearer token required)"
            + (g.adminPort().isPresent()
                ? "; admin listener on https://127.0.0.1:" + g.adminPort().getAsInt() : ""));
        g.join();
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // The JVM is shutting down: the hook runs and waits for the home below.
        }
        home.integrity().closeSession(session);
      }
    } finally {
      homeClosed.countDown();
    }
    return 0;
  }

  /**
   * Refuses, as bad usage, a port on 127.0.0.1 that cannot be listened on right now (taken, or not
   * allowed); the gateway still binds it itself later, and reports a port taken in between.
   */
  static void checkListenable(String option, int port) throws BadInputException {
    if (port == 0) {
      return;
    }
    try (var probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
    } catch (java.io.IOException e) {
      String why = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
      throw new BadInputException(option + " " + port + ": cannot listen there" + why, e);
    }
  }

  /**
   * A port that cannot be listened on (in use, or not allowed) as one line; any other failure to
   * start as it was.
   */
  static Exception listenFailure(java.io.IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException || t instanceof java.net.SocketException) {
        String why = t.getMessage() == null ? "" : " (" + t.getMessage() + ")";
        String m = String.valueOf(e.getMessage());
        return new BadInputException(m.startsWith("cannot start the gateway")
            ? m.replaceFirst(": .*", "") + ": cannot listen there" + why
            : "cannot listen" + why, e);
      }
    }
    return e;
  }
}
