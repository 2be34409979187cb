package dev.bastion.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.FieldTokenizer;
import dev.bastion.crypto.Identity;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Trust;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import dev.bastion.serve.guard.ExtractionDetector;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The inference gateway: HTTPS (TLS 1.3 only) on loopback; every request authenticated by a
 * client certificate from the deployment's CA or a bearer token, not revoked (the CA's CRL,
 * re-read as it changes), its role (and the models it is limited to) checked; per-identity rate
 * limits and daily budgets, bounded concurrency, a request timeout; the input guard, the output
 * policy, the behaviour monitor and the extraction detector around one model, loaded after its
 * whole chain verified and swapped only for another that verifies.
 *
 * <p>Endpoints (TF Serving / KServe v1): {@code POST /v1/models/NAME:predict} with {@code
 * {"instances":[{...}]}} answering {@code {"predictions":[...]}}; {@code GET /v1/models/NAME};
 * {@code GET /healthz}; {@code GET /metrics} (Prometheus text, roles auditor and admin); on the
 * admin listener, when open, reload, rollback and reinstatement (role admin). Errors are {@code
 * {"error":CODE,"message":TEXT}}. Every request, refused or not, goes on the ledger with digests
 * of its input and output (never the values) before its answer leaves. See docs/gateway.md.
 */
public final class Gateway implements AutoCloseable {
  /**
   * Requests a second allowed to an identity throttled for suspected extraction; each may carry
   * one instance only (a batch is refused, 429), so it gets at most this many predictions a
   * second.
   */
  public static final long THROTTLED_RATE = 1;

  /** How long a request may take, unless configured otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** Failed authentications a client address may make in a minute before it is banned. */
  public static final int DEFAULT_AUTH_FAILURES = 600;

  /** The role a client certificate needs to call predict. */
  public static final String PREDICT_ROLE = "predict";

  /** The roles with access to the gateway: predict; auditor (metrics); admin. */
  public static final List<String> ROLES = List.of(PREDICT_ROLE, "admin", "auditor");

  /**
   * Listener and limits.
   *
   * @param host the address to bind (loopback by default)
   * @param port the port, 0 for any free one
   * @param ratePerSecond requests each identity may make per second, sustained
   * @param burst requests each identity may make at once
   * @param maxBodyBytes largest request body accepted
   * @param maxInstances most instances in one request
   * @param dailyBudget predictions each identity may ask of the model per UTC day
   * @param maxConcurrent requests served at once; more are answered 503 with Retry-After
   * @param budgetFile where the budgets' counts are kept across restarts, or empty
   * @param outputs what each role sees of a prediction (a role not listed: every probability)
   * @param ood what an instance unlike the model's training data gets
   * @param adminPort the admin listener's port: -1 closed (the default), 0 any free one
   * @param requestTimeout how long a request may take, body included (default 10 s); also the
   *     connections' idle timeout
   * @param extraction what an identity suspected of model extraction gets (default: suspended)
   * @param maxConcurrentPerIdentity see {@link #withMaxConcurrentPerIdentity}
   * @param authFailuresPerMinute see {@link #withAuthFailuresPerMinute}
   */
  public record Config(
      String host, int port, long ratePerSecond, long burst, int maxBodyBytes, int maxInstances,
      long dailyBudget, int maxConcurrent, Optional<Path> budgetFile,
      Map<String, OutputPolicy> outputs, InputGuard.Policy ood, int adminPort,
      Duration requestTimeout, ExtractionPolicy extraction, int maxConcurrentPerIdentity,
      int authFailuresPerMinute) {
    public Config {
      if (authFailuresPerMinute < 0) {
        throw new IllegalArgumentException("authFailuresPerMinute must be 0 (no bans) or more");
      }
      if (maxConcurrentPerIdentity < 0 || maxConcurrentPerIdentity > maxConcurrent) {
        throw new IllegalArgumentException(
            "maxConcurrentPerIdentity must be 0 (the default) to maxConcurrent");
      }
      java.util.Objects.requireNonNull(extraction, "extraction");
      if (dailyBudget < 1 || maxConcurrent < 1) {
        throw new IllegalArgumentException("dailyBudget and maxConcurrent must be positive");
      }
      outputs = Map.copyOf(outputs);
      java.util.Objects.requireNonNull(ood, "ood");
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive");
      }
      if (adminPort < -1 || adminPort > 65535) {
        throw new IllegalArgumentException("adminPort must be -1 (off), 0 (any) or a port");
      }
    }

    /**
     * Limits with the default budget (10,000 a day) and concurrency (16), counts not kept, every
     * probability shown, out-of-distribution instances flagged.
     */
    public Config(
        String host, int port, long ratePerSecond, long burst, int maxBodyBytes,
        int maxInstances) {
      this(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances, 10_000, 16,
          Optional.empty(), Map.of(), InputGuard.Policy.FLAG, -1, DEFAULT_TIMEOUT,
          ExtractionPolicy.SUSPEND, 0, DEFAULT_AUTH_FAILURES);
    }

    public static Config defaults() {
      return new Config("127.0.0.1", 8443, 20, 40, 1 << 20, 1000);
    }

    /** What callers of {@code role} see of a prediction (others: every probability). */
    public Config withOutput(String role, OutputPolicy policy) {
      Map<String, OutputPolicy> m = new java.util.HashMap<>(outputs);
      m.put(role, policy);
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, m, ood, adminPort, requestTimeout, extraction,
          maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    public Config withPort(int p) {
      return new Config(host, p, ratePerSecond, burst, maxBodyBytes, maxInstances, dailyBudget,
          maxConcurrent, budgetFile, outputs, ood, adminPort, requestTimeout, extraction,
          maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    public Config withRate(long rate, long b) {
      return new Config(host, port, rate, b, maxBodyBytes, maxInstances, dailyBudget,
          maxConcurrent, budgetFile, outputs, ood, adminPort, requestTimeout, extraction,
          maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    /** {@code perDay} predictions per identity per day, counted in {@code file}. */
    public Config withBudget(long perDay, Optional<Path> file) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances, perDay,
          maxConcurrent, file, outputs, ood, adminPort, requestTimeout, extraction,
          maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    public Config withMaxConcurrent(int n) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, n, budgetFile, outputs, ood, adminPort, requestTimeout, extraction,
          Math.min(maxConcurrentPerIdentity, n), authFailuresPerMinute);
    }

    /** What an instance unlike the training data gets. */
    public Config withOod(InputGuard.Policy policy) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, outputs, policy, adminPort, requestTimeout,
          extraction, maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    /**
     * Opens the admin listener (reload, roll back; role admin) on {@code port} of the same
     * host, 0 for any free one; -1, the default, keeps it closed.
     */
    public Config withAdminPort(int port) {
      return new Config(host, this.port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, outputs, ood, port, requestTimeout, extraction,
          maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    /** How long a request may take from its arrival to its answer (408 or 503 after). */
    public Config withRequestTimeout(Duration timeout) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, outputs, ood, adminPort, timeout, extraction,
          maxConcurrentPerIdentity, authFailuresPerMinute);
    }

    /**
     * Requests one identity may have in flight at once: 0, the default, for three quarters of
     * {@code maxConcurrent} (at least 1), so that one client, slow or many-threaded, cannot take
     * every permit.
     */
    public Config withMaxConcurrentPerIdentity(int n) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, outputs, ood, adminPort, requestTimeout,
          extraction, n, authFailuresPerMinute);
    }

    /**
     * Failed authentications (TLS handshakes, 401s) one client address may make in a minute
     * before it is banned for five minutes (its connections closed unanswered, only counted; see
     * {@code AddressGuard}); 0 for no bans, as behind a proxy where every client has the proxy's
     * address. Default {@value Gateway#DEFAULT_AUTH_FAILURES}.
     */
    public Config withAuthFailuresPerMinute(int n) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, outputs, ood, adminPort, requestTimeout,
          extraction, maxConcurrentPerIdentity, n);
    }

    /** The per-identity limit in force (see {@link #withMaxConcurrentPerIdentity}). */
    public int perIdentityLimit() {
      return maxConcurrentPerIdentity > 0 ? maxConcurrentPerIdentity
          : Math.max(1, maxConcurrent - Math.max(1, maxConcurrent / 4));
    }

    /** What the gateway does to an identity whose queries look like model extraction. */
    public Config withExtraction(ExtractionPolicy policy) {
      return new Config(host, port, ratePerSecond, burst, maxBodyBytes, maxInstances,
          dailyBudget, maxConcurrent, budgetFile, outputs, ood, adminPort, requestTimeout,
          policy, maxConcurrentPerIdentity, authFailuresPerMinute);
    }
  }

  /**
   * Loads a verified version of the served model for a hot swap or a rollback.
   */
  @FunctionalInterface
  public interface ModelLoader {
    /**
     * Loads {@code ref}: {@code NAME} (the newest version) or {@code NAME@VERSION}, its whole
     * chain verified as {@link ServedModel#load} does.
     *
     * @throws VerificationException if any link does not verify
     * @throws BadInputException if nothing is registered under {@code ref}
     */
    ServedModel load(String ref) throws BastionException, IOException;
  }

  /**
   * The extraction detector's settings under {@code config}. Its volume signal counts instances,
   * and fires only beyond the instances the rate limit lets a client send in the detector's
   * window (requests allowed, burst included, times the instances a request may carry), so a
   * client within its rate limit is never suspended for volume alone. When that is more than
   * the detector keeps (10,000 timestamps per client), as under the defaults (20 requests a
   * second of up to 1000 instances), the volume signal is off: the rate limit and the budget are
   * what bound volume.
   */
  static ExtractionDetector.Settings detectorSettings(Config config) {
    ExtractionDetector.Settings d = ExtractionDetector.Settings.DEFAULT;
    long seconds = d.volumeWindowNanos() / 1_000_000_000L;
    long requests = Math.addExact(Math.multiplyExact(config.ratePerSecond(), seconds),
        config.burst());
    long perWindow = Math.multiplyExact(requests, (long) config.maxInstances());
    if (perWindow >= MAX_VOLUME_LIMIT) {
      return d.withVolume(0, d.volumeWindowNanos());
    }
    int limit = (int) Math.max(d.maxQueriesPerWindow(), perWindow);
    return d.withVolume(limit, d.volumeWindowNanos());
  }

  /** The most instances a minute the detector's volume signal watches for (its memory). */
  static final int MAX_VOLUME_LIMIT = 10_000;

  /** Memory the extraction detector may keep for all clients together. */
  static final long DETECTOR_MEMORY = 64L << 20;

  /**
   * {@code settings} with as many clients tracked as {@link #DETECTOR_MEMORY} holds for vectors
   * of {@code dimension} coordinates (at least 64, at most the default): beyond them the client
   * seen least recently is forgotten (a suspension already made is kept apart and stays).
   */
  static ExtractionDetector.Settings bounded(ExtractionDetector.Settings settings,
      int dimension) {
    long perClient = (long) settings.maxKept() * dimension * Double.BYTES
        + (long) settings.maxQueriesPerWindow() * Long.BYTES
        + (long) settings.window() * Double.BYTES * 2
        + (long) ExtractionDetector.COVERAGE_WINDOW * Double.BYTES;
    int clients = (int) Math.max(64, Math.min(settings.maxClients(),
        DETECTOR_MEMORY / Math.max(1, perClient)));
    return settings.withLimits(settings.maxKept(), clients);
  }

  private final Server server;
  private final ServerConnector connector;
  private final ServerConnector adminConnector;
  /** The model served, its guards and monitors, and the versions served before. */
  private final ModelSlot slot;
  /** Identities suspended or throttled for suspected extraction, until an admin reinstates them. */
  private final Suspensions suspensions;
  private final AtomicLong modelCalls = new AtomicLong();
  private final PrometheusMeterRegistry metrics =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private final QueryBudgets budgets;

  private final AddressGuard guard;
  private final Ledger guardLedger;
  /**
   * Housekeeping on a timer: tells the ledger of bans that are over (every 5 s) and writes the
   * budget counts (every second); stopped by {@link #close}.
   */
  private final java.util.concurrent.ScheduledExecutorService housekeeping;

  /** Set by the first {@link #close}; later ones do nothing. */
  private boolean closed;

  private Gateway(Server server, ServerConnector connector, ServerConnector adminConnector,
      ModelSlot slot, QueryBudgets budgets, Suspensions suspensions, AddressGuard guard,
      Ledger ledger) {
    this.guard = guard;
    this.guardLedger = ledger;
    this.housekeeping = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bastion-gateway-housekeeping");
      t.setDaemon(true);
      return t;
    });
    this.suspensions = suspensions;
    this.server = server;
    this.connector = connector;
    this.adminConnector = adminConnector;
    this.slot = slot;
    this.budgets = budgets;
  }

  /**
   * Starts the gateway serving {@code served}, which the caller loaded with {@link
   * ServedModel#load}. Once started, the gateway owns the model: {@link #close} releases it (if
   * the start fails, the caller still owns it).
   */
  public static Gateway start(
      Config config, ServedModel served, Keyring keyring, Trust trust, Ledger ledger)
      throws BastionException, IOException {
    if (config.adminPort() != -1) {
      throw new IllegalArgumentException("the admin listener needs a model loader");
    }
    return start(config, served, ref -> {
      throw new BadInputException("this gateway cannot load models");
    }, keyring, trust, ledger);
  }

  /**
   * The gateway's side of TLS: its certificate and key (under a fresh random password), TLS 1.3
   * only, no client authentication yet (the gateway adds it).
   */
  public static SslContextFactory.Server serverTls(Keyring keyring)
      throws BastionException, IOException {
    char[] password = new char[24];
    SecureRandom rnd = new SecureRandom();
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('a' + rnd.nextInt(26));
    }
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStore(keyring.keyStore("gateway", password));
    ssl.setKeyStorePassword(new String(password));
    ssl.setIncludeProtocols("TLSv1.3");
    return ssl;
  }

  /**
   * Starts the gateway serving {@code served}, which the caller loaded with {@link
   * ServedModel#load}; {@code loader} loads the versions an admin swaps to or rolls back to.
   */
  public static Gateway start(
      Config config, ServedModel served, ModelLoader loader, Keyring keyring, Trust trust,
      Ledger ledger) throws BastionException, IOException {
    SslContextFactory.Server ssl = serverTls(keyring);
    ssl.setTrustStore(keyring.trustStore());
    // A client certificate is asked for but may be missing: such a client must then bring a
    // bearer token, checked for every request before anything else happens.
    ssl.setWantClientAuth(true);
    ssl.setEndpointIdentificationAlgorithm(null);

    QueuedThreadPool pool = new QueuedThreadPool(32, 4);
    pool.setName("bastion-gateway");
    Server server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    SecureRequestCustomizer src = new SecureRequestCustomizer();
    src.setSniHostCheck(false);
    http.addCustomizer(src);
    AddressGuard guard = new AddressGuard(config.authFailuresPerMinute());
    ServerConnector connector =
        connector(server, ssl, http, ledger, guard, config.host(), config.port());
    // The admin listener has no bans: a flood of failures from an address the operators share
    // (loopback, by default) must not lock them out. Its failures still go on the ledger.
    ServerConnector admin = config.adminPort() < 0 ? null
        : connector(server, ssl, http, ledger, new AddressGuard(0), config.host(),
            config.adminPort());
    connector.setIdleTimeout(config.requestTimeout().toMillis());
    if (admin != null) {
      admin.setIdleTimeout(config.requestTimeout().toMillis());
    }
    // Counted per model name, so a swap or a rollback grants nobody a fresh budget.
    QueryBudgets budgets = new QueryBudgets(config.dailyBudget(), served.name(),
        config.budgetFile(), java.time.Clock.systemUTC());
    Gateway g;
    try {
      // Kept beside the budgets, so a restart lifts no suspension.
      Suspensions suspensions = Suspensions.open(
          config.budgetFile().map(f -> f.resolveSibling("suspended.json")));
      g = new Gateway(server, connector, admin,
          new ModelSlot(served, loader, ledger, config.ood(), detectorSettings(config),
              config.requestTimeout().plusSeconds(5)),
          budgets, suspensions, guard, ledger);
    } catch (Exception e) {
      closeQuietly(budgets, e); // another start may have the file
      throw e;
    }
    server.setErrorHandler(new GatewayErrors(ledger, () -> g.served().digest().toString()));
    server.setHandler(
        g.new Api(config, new Authenticator(trust, keyring.revocations(), keyring,
            keyring.identity("gateway").certificate().getPublicKey()), ledger,
            keyring.tokenizer()));
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception stop) {
        e.addSuppressed(stop);
      }
      closeQuietly(budgets, e);
      throw new IOException(
          "cannot start the gateway on " + config.host() + ":" + config.port()
              + (admin == null ? "" : " (admin " + config.adminPort() + ")") + ": "
              + e.getMessage(), e);
    }
    g.housekeeping.scheduleWithFixedDelay(() -> {
      try {
        g.tellEndedBans(false);
      } catch (Throwable t) {
        // Kept running whatever happened (a task that throws is never run again); the ban
        // itself held, and the next sweep tells it.
      }
    }, 5, 5, java.util.concurrent.TimeUnit.SECONDS);
    // A model whose data was erased in another process stops being served within a second.
    g.housekeeping.scheduleWithFixedDelay(() -> {
      try {
        g.slot.checkData();
      } catch (Throwable t) {
        // Kept running; the next check decides.
      }
    }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
    // Counts taken in a burst reach the disk within a second even when no request follows: a
    // crash then loses at most the last second's (the predict path writes them too, when due).
    g.housekeeping.scheduleWithFixedDelay(() -> {
      try {
        g.budgets.flush();
      } catch (Throwable t) {
        // Kept running; the next prediction's own write fails closed (503) if the disk does.
      }
    }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
    return g;
  }

  /** Closes {@code budgets} after a failed start; a failure to do so is added to {@code e}. */
  private static void closeQuietly(QueryBudgets budgets, Exception e) {
    try {
      budgets.close();
    } catch (IOException | RuntimeException c) {
      e.addSuppressed(c);
    }
  }

  /**
   * A TLS listener whose failed handshakes go on the ledger and count against their address,
   * and which closes a banned address's connections before any handshake.
   */
  private static ServerConnector connector(Server server, SslContextFactory.Server ssl,
      HttpConfiguration http, Ledger ledger, AddressGuard guard, String host, int port) {
    SslConnectionFactory tls = new SslConnectionFactory(ssl, "http/1.1");
    tls.addBean(
        new SslHandshakeListener() {
          @Override
          public void handshakeFailed(Event event, Throwable failure) {
            java.net.SocketAddress remote = event.getEndPoint().getRemoteSocketAddress();
            failedAuthentication(guard, ledger, remote);
            String peer = String.valueOf(remote);
            // Queued, not waited for: no answer waits on it, and a server thread held for a
            // force per failed handshake would let a flood of them starve the requests.
            try {
              ledger.appendAsync(
                  dev.bastion.ledger.Event.now(
                      EventKind.ACCESS_DENIED, "unauthenticated", "tls-handshake", peer, "denied",
                      "conn-" + UUID.randomUUID(),
                      Map.of("reason", String.valueOf(failure.getMessage()))));
            } catch (RuntimeException e) {
              // The ledger is closed or broken: the connection is refused all the same.
            }
          }
        });
    ServerConnector connector =
        new ServerConnector(server, tls, new HttpConnectionFactory(http));
    connector.addBean(
        new org.eclipse.jetty.io.Connection.Listener() {
          @Override
          public void onOpened(org.eclipse.jetty.io.Connection c) {
            // Every connection of the chain is told (TLS, then HTTP inside it): the TLS one is
            // the connection as accepted, and is closed before any handshake.
            if (c instanceof org.eclipse.jetty.io.ssl.SslConnection
                && guard.refuse(AddressGuard.of(c.getEndPoint().getRemoteSocketAddress()))) {
              c.getEndPoint().close(); // counted by the guard, told when the ban ends
            }
          }

          @Override
          public void onClosed(org.eclipse.jetty.io.Connection c) {}
        });
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    return connector;
  }

  /** The port it listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The admin listener's port; absent when it is closed. */
  public java.util.OptionalInt adminPort() {
    return adminConnector == null ? java.util.OptionalInt.empty()
        : java.util.OptionalInt.of(adminConnector.getLocalPort());
  }

  /** The model being served now. */
  public ServedModel served() {
    return slot.current().model();
  }

  /** How many times the model was called (for tests and metrics). */
  public long modelCalls() {
    return modelCalls.get();
  }

  /**
   * Whether a raw (still encoded) request path has a "." or ".." segment, with or without path
   * parameters ("/a/..;x/b").
   */
  static boolean hasDotSegment(String rawPath) {
    if (rawPath == null) {
      return false;
    }
    int start = 0;
    while (start <= rawPath.length()) {
      int end = rawPath.indexOf('/', start);
      if (end < 0) {
        end = rawPath.length();
      }
      int semi = rawPath.indexOf(';', start);
      int stop = semi >= 0 && semi < end ? semi : end;
      int len = stop - start;
      if ((len == 1 || len == 2) && rawPath.startsWith(len == 1 ? "." : "..", start)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Blocks until the server stops. */
  public void join() throws InterruptedException {
    server.join();
  }

  /**
   * Counts a failed authentication from {@code remote} and, if that starts a ban, puts the ban on
   * the ledger (queued: no answer waits on it).
   */
  private static void failedAuthentication(AddressGuard guard, Ledger ledger,
      java.net.SocketAddress remote) {
    guard.failed(AddressGuard.of(remote)).ifPresent(ban -> {
      try {
        ledger.appendAsync(dev.bastion.ledger.Event.now(EventKind.ACCESS_DENIED,
            "unauthenticated", "address-banned", AddressGuard.describe(ban.address()), "denied",
            "ban-" + UUID.randomUUID(),
            Map.of("failures", Integer.toString(ban.failures()),
                "window_s", Long.toString(AddressGuard.WINDOW.toSeconds()),
                "ban_s", Long.toString(AddressGuard.BAN.toSeconds()))));
      } catch (RuntimeException e) {
        // The ledger is closed or broken: the ban holds all the same.
      }
    });
  }

  /** Puts the bans that are over (all of them, at shutdown) on the ledger with their counts. */
  private void tellEndedBans(boolean all) {
    for (AddressGuard.Ended e : guard.ended(all)) {
      try {
        guardLedger.appendAsync(dev.bastion.ledger.Event.now(EventKind.ACCESS_DENIED,
            "unauthenticated", all ? "address-ban-cut-short" : "address-ban-ended",
            AddressGuard.describe(e.address()), "denied", "ban-" + UUID.randomUUID(),
            Map.of("refused", Long.toString(e.refused()))));
      } catch (RuntimeException x) {
        // The ledger is closed or broken; nothing else to tell it with.
      }
    }
  }

  @Override
  public synchronized void close() throws IOException {
    // Idempotent: a shutdown hook and the code that started the gateway may both close it.
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.stop();
    } catch (Exception e) {
      throw new IOException("cannot stop the gateway: " + e.getMessage(), e);
    } finally {
      // Once nothing more is accepted: every ban started is then told with its count.
      housekeeping.shutdownNow();
      tellEndedBans(true);
      try {
        budgets.close();
      } finally {
        slot.close();
      }
    }
  }

  /** Random bytes for identifiers. */
  private static final class SecureRandomHolder {
    private static final SecureRandom RANDOM = new SecureRandom();

    static byte[] bytes(int n) {
      byte[] b = new byte[n];
      RANDOM.nextBytes(b);
      return b;
    }
  }

  private final class Api extends Handler.Abstract {
    private final Config config;
    private final Authenticator auth;
    private final Ledger ledger;
    private final FieldTokenizer tokenizer;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Semaphore inFlight;
    private final Timer latency;
    private final String predictPath;
    private final String modelPath;
    private final java.util.concurrent.Executor pool;
    /** Answers of ledger batches, sent in bursts by at most one pool task per core. */
    private final AnswerQueue answers;
    private final String requestPrefix =
        "req-" + java.util.HexFormat.of().formatHex(SecureRandomHolder.bytes(6)) + "-";
    private final AtomicLong requestCounter = new AtomicLong();
    /** Requests each identity has in flight (bounded by the identities our CA issued). */
    private final Map<String, AtomicInteger> perIdentity = new ConcurrentHashMap<>();

    Api(Config config, Authenticator auth, Ledger ledger, FieldTokenizer tokenizer) {
      this.auth = auth;
      this.inFlight = new Semaphore(config.maxConcurrent());
      this.latency = Timer.builder("bastion.gateway.request.latency")
          .description("time from the request to its answer, ledger entry included")
          .publishPercentiles(0.5, 0.99)
          .register(metrics);
      FunctionCounter.builder("bastion.gateway.model.calls", modelCalls, AtomicLong::get)
          .description("instances given to the model").register(metrics);
      Gauge.builder("bastion.gateway.in.flight", inFlight,
              sem -> config.maxConcurrent() - sem.availablePermits())
          .description("requests being served").register(metrics);
      this.config = config;
      this.ledger = ledger;
      this.tokenizer = tokenizer;
      Gauge.builder("bastion.gateway.drift.psi", slot, sl -> sl.current().monitor().predictionPsi())
          .tag("signal", "prediction")
          .description("PSI of the predicted classes against the evaluation baseline")
          .register(metrics);
      Gauge.builder("bastion.gateway.drift.psi", slot, sl -> sl.current().monitor().confidencePsi())
          .tag("signal", "confidence")
          .description("PSI of the confidence against the evaluation baseline")
          .register(metrics);
      Gauge.builder("bastion.gateway.latency.ratio", slot,
              sl -> sl.current().monitor().latencyRatio())
          .description("median latency of the last window over the first window's")
          .register(metrics);
      this.modelPath = "/v1/models/" + served().name();
      this.pool = server.getThreadPool();
      this.answers =
          new AnswerQueue(pool, Math.max(1, Runtime.getRuntime().availableProcessors()));
      this.predictPath = modelPath + ":predict";
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      boolean admin = adminConnector != null
          && request.getConnectionMetaData().getConnector() == adminConnector;
      if (!admin && guard.refuse(
          AddressGuard.of(request.getConnectionMetaData().getRemoteSocketAddress()))) {
        // A request on a connection opened before its address was banned: refused, counted, and
        // told with the ban's end, like the connections closed unanswered.
        send(response, callback, 429, BANNED, AddressGuard.BAN.toSeconds());
        return true;
      }
      if (admin) {
        // The admin listener is not counted against predictions' concurrency: a flood of
        // predictions must not lock the operators out.
        try {
          serve(request, response, callback, true, () -> { });
        } catch (RuntimeException e) {
          sendInternal(response, callback);
        }
        return true;
      }
      if (!inFlight.tryAcquire()) {
        // Full: refuse at once rather than queue without bound. The refusal is on the ledger
        // like every request; who asked is not known yet (nothing was authenticated).
        metrics.counter("bastion.gateway.requests", "outcome", "refused", "status", "503")
            .increment();
        String path = Request.getPathInContext(request);
        Event refused = Event.now(EventKind.INFERENCE, "unauthenticated",
            request.getMethod() + " " + (path.length() > 200 ? path.substring(0, 200) : path),
            served().digest().toString(), "refused", nextRequestId(),
            Map.of("error", "unavailable", "peer",
                String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress())));
        byte[] busy = ("{\"error\":\"unavailable\",\"message\":\"the gateway is at its limit"
            + " of concurrent requests; retry\"}").getBytes(StandardCharsets.UTF_8);
        try {
          ledger.appendAsync(refused).whenComplete((index, failure) ->
              onPool(callback, () -> { }, () -> {
                if (failure != null) {
                  sendInternal(response, callback);
                } else {
                  send(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, busy, 1);
                }
              }));
        } catch (RuntimeException e) {
          sendInternal(response, callback);
        }
        return true;
      }
      java.util.concurrent.atomic.AtomicBoolean released =
          new java.util.concurrent.atomic.AtomicBoolean();
      Runnable done = () -> {
        if (released.compareAndSet(false, true)) {
          inFlight.release();
        }
      };
      try {
        serve(request, response, callback, false, done);
      } catch (RuntimeException e) {
        // Fail closed: an answer leaves only after its ledger entry is written. The caller sees no
        // detail of what went wrong inside.
        done.run();
        sendInternal(response, callback);
      }
      return true;
    }

    /**
     * A request ID unique to this gateway's life: a random prefix drawn at start and a counter
     * (the ID only ties ledger entries together; a UUID's secure random would cost more).
     */
    private String nextRequestId() {
      return requestPrefix + Long.toString(requestCounter.incrementAndGet(), 36);
    }

    private void sendInternal(Response response, Callback callback) {
      send(response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500,
          "{\"error\":\"internal\",\"message\":\"the request could not be served\"}"
              .getBytes(StandardCharsets.UTF_8), 0);
    }

    /**
     * Serves one request, then answers it once its ledger entry is durable: the entry is queued
     * for the ledger's group commit and the answer sent from its completion, on the server's
     * pool, so no thread waits for the disk and more requests share each fsync. {@code done}
     * runs when the answer has been handed over (or cannot be).
     */
    private void serve(Request request, Response response, Callback callback, boolean admin,
        Runnable whenAnswered) {
      // The identity's share of the permits goes back with the request's own.
      AtomicReference<AtomicInteger> share = new AtomicReference<>();
      Runnable done = () -> {
        AtomicInteger n = share.getAndSet(null);
        if (n != null) {
          n.decrementAndGet();
        }
        whenAnswered.run();
      };
      long start = System.nanoTime();
      long deadline = start + config.requestTimeout().toNanos();
      // One model for the whole request, even if an admin swaps it meanwhile.
      ModelSlot.Live now = slot.current();
      String requestId = nextRequestId();
      String path = Request.getPathInContext(request);
      String actor = "unauthenticated";
      Map<String, String> details = new LinkedHashMap<>();
      details.put("path", path.length() > 200 ? path.substring(0, 200) : path);
      Event event;
      int status;
      byte[] answer;
      long retryAfter = 0;
      String contentType = "application/json";
      String outcome;
      String raw = request.getHttpURI().getPath();
      // Jetty resolves "/a/../b" to "/b" and drops path parameters (":reload;x" runs as
      // ":reload"): a client that names one path and means another is refused, not routed, once
      // authenticated (so that the refusal has an actor, and counts towards a ban if it has
      // none), and on the ledger with the path as sent. An encoded "%2e%2e" never gets this far.
      String rewritten = hasDotSegment(raw) ? "a '.' or '..' segment"
          : raw != null && raw.indexOf(';') >= 0 ? "a ';' parameter" : null;
      if (rewritten != null) {
        path = raw.length() > 200 ? raw.substring(0, 200) : raw;
        details.put("path", path);
      }
      try {
        Identity id = auth.authenticate(request);
        actor = id.name();
        details.put("role", id.role());
        if (rewritten != null) {
          throw new ApiError(400, "bad_request", "the path has " + rewritten);
        }
        if (!ROLES.contains(id.role())) {
          // A certificate of our CA with some other role (a component's, a typo): no access.
          throw new ApiError(403, "forbidden", "identity '" + id.name() + "' has role '"
              + id.role() + "', which has no access here (roles: " + String.join(", ", ROLES)
              + ")");
        }
        if (!admin) {
          AtomicInteger n = perIdentity.computeIfAbsent(id.name(), k -> new AtomicInteger());
          int limit = config.perIdentityLimit();
          if (n.incrementAndGet() > limit) {
            n.decrementAndGet();
            throw new ApiError(503, "unavailable", "identity '" + id.name() + "' has " + limit
                + " requests in flight already, its share of the gateway; retry", 1);
          }
          share.set(n);
        }
        boolean scrape = !admin && path.equals("/metrics");
        answer = scrape ? metricsFor(request, id)
            : admin ? adminRoute(request, path, id, details, requestId, deadline)
            : route(request, path, id, details, now, deadline, requestId);
        details.put("output", Digest.of(answer).toString());
        details.put("latency_us", Long.toString((System.nanoTime() - start) / 1000));
        event = Event.now(EventKind.INFERENCE, actor, request.getMethod() + " " + path,
            now.model().digest().toString(), "ok", requestId, details);
        status = HttpStatus.OK_200;
        outcome = "ok";
        if (scrape) {
          contentType = "text/plain; version=0.0.4; charset=utf-8";
        }
      } catch (ApiError e) {
        if (e.status == 401 && !admin) {
          failedAuthentication(guard, ledger,
              request.getConnectionMetaData().getRemoteSocketAddress());
        }
        details.put("error", e.code);
        details.put("latency_us", Long.toString((System.nanoTime() - start) / 1000));
        if (e.status == 401) {
          // Who tried and why, for forensics: a revoked or stolen credential used again is not
          // the same as none (the reasons are the gateway's own words, clipped).
          String m = String.valueOf(e.getMessage());
          details.put("reason", m.length() > 200 ? m.substring(0, 200) : m);
          String presented = Authenticator.credential(request);
          if (presented != null) {
            details.put("credential", presented);
          }
        }
        boolean denied = e.status == 401 || e.status == 403;
        outcome = denied ? "denied" : "refused";
        event = Event.now(denied ? EventKind.ACCESS_DENIED : EventKind.INFERENCE, actor,
            request.getMethod() + " " + path, now.model().digest().toString(), outcome,
            requestId, details);
        ObjectNode err = Json.object();
        err.put("error", e.code);
        err.put("message", e.getMessage());
        answer = Json.canonical(err);
        status = e.status;
        retryAfter = e.retryAfter;
      } catch (RuntimeException e) {
        // A failure inside (the model, a loader): on the ledger like any request, with no detail
        // of it for the caller.
        details.put("error", "internal");
        details.put("latency_us", Long.toString((System.nanoTime() - start) / 1000));
        outcome = "failed";
        event = Event.now(EventKind.INFERENCE, actor, request.getMethod() + " " + path,
            now.model().digest().toString(), outcome, requestId, details);
        answer = "{\"error\":\"internal\",\"message\":\"the request could not be served\"}"
            .getBytes(StandardCharsets.UTF_8);
        status = HttpStatus.INTERNAL_SERVER_ERROR_500;
      }
      boolean predicted = status == HttpStatus.OK_200 && path.equals(predictPath);
      int s = status;
      byte[] a = answer;
      long r = retryAfter;
      String ct = contentType;
      String o = outcome;
      // The request is on the ledger before the answer leaves.
      ledger.appendAsync(event).whenComplete((index, failure) -> onPool(callback, done,
          () -> {
        // The permit goes back before the answer leaves: a client that sends its next request
        // as soon as it reads this answer must find it free.
        boolean ok = false;
        try {
          if (failure == null) {
            count(o, s, start);
            if (predicted) {
              raise(now, now.monitor().latency(System.nanoTime() - start));
            }
            ok = true;
          } else {
            count("failed", 500, start);
          }
        } catch (RuntimeException e) {
          ok = false;
        } finally {
          done.run();
        }
        if (ok) {
          send(response, callback, s, a, r, ct);
        } else {
          sendInternal(response, callback);
        }
      }));
    }

    /**
     * Runs {@code task} on the server's pool, with the other answers of its ledger batch (see
     * {@link AnswerQueue}); if the pool refuses it (the server is stopping), the permit goes back
     * and the exchange is failed rather than left hanging.
     */
    private void onPool(Callback callback, Runnable done, Runnable task) {
      answers.submit(task, e -> {
        done.run();
        callback.failed(e);
      });
    }

    /** Counters by name and tags, looked up once: a registry lookup per request is costly. */
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

    private Counter counter(String name, String tag, String value) {
      return counters.computeIfAbsent(name + '\n' + tag + '\n' + value,
          k -> metrics.counter(name, tag, value));
    }

    private void count(String outcome, int status, long start) {
      counters.computeIfAbsent(outcome + '\n' + status, k -> metrics.counter(
          "bastion.gateway.requests", "outcome", outcome, "status", Integer.toString(status)))
          .increment();
      latency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text exposition, for auditors and admins. */
    private byte[] metricsFor(Request request, Identity id) throws ApiError {
      requireMethod(request.getMethod(), HttpMethod.GET);
      if (!id.role().equals("auditor") && !id.role().equals("admin")) {
        throw new ApiError(403, "forbidden", "identity '" + id.name() + "' has role '"
            + id.role() + "', metrics need 'auditor' or 'admin'");
      }
      return metrics.scrape().getBytes(StandardCharsets.UTF_8);
    }

    private byte[] route(Request request, String path, Identity id, Map<String, String> details,
        ModelSlot.Live now, long deadline, String requestId) throws ApiError {
      String method = request.getMethod();
      Optional<String> withdrawn = slot.withdrawn(now);
      if (path.equals("/healthz")) {
        requireMethod(method, HttpMethod.GET);
        if (withdrawn.isPresent()) {
          throw new ApiError(503, "model_withdrawn", withdrawn.get());
        }
        return "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
      }
      if (path.equals(modelPath) || path.equals(predictPath)) {
        requireModel(id, now.model().name());
      }
      if (path.equals(modelPath)) {
        requireMethod(method, HttpMethod.GET);
        ObjectNode o = Json.object();
        ArrayNode versions = o.putArray("model_version_status");
        ObjectNode v = versions.addObject();
        v.put("version", Integer.toString(now.model().version()));
        v.put("state", withdrawn.isPresent() ? "END" : "AVAILABLE");
        v.put("digest", now.model().digest().toString());
        withdrawn.ifPresent(w -> v.put("error_message", w));
        return Json.canonical(o);
      }
      if (path.equals(predictPath)) {
        requireMethod(method, HttpMethod.POST);
        if (!id.role().equals(PREDICT_ROLE)) {
          throw new ApiError(403, "forbidden",
              "identity '" + id.name() + "' has role '" + id.role() + "', predict needs '"
                  + PREDICT_ROLE + "'");
        }
        if (withdrawn.isPresent()) {
          throw new ApiError(503, "model_withdrawn", withdrawn.get());
        }
        if (suspensions.suspended(id.name())) {
          details.put("guard.extraction", "suspended");
          throw suspended(id);
        }
        rateLimit(id);
        // Nothing left: refused before the body is read. What a request asks is taken once
        // it is known to be well formed and to pass the input guard (predict).
        Optional<QueryBudgets.Refusal> spent = budgets.check(id.name());
        if (spent.isPresent()) {
          throw budgetExhausted(id, 1, spent.get());
        }
        byte[] body = readBody(request, deadline);
        details.put("input", Digest.of(body).toString());
        return predict(body, id, details, now, deadline, requestId);
      }
      if (path.startsWith("/v1/models/")) {
        throw new ApiError(404, "not_found", "no such model or endpoint");
      }
      throw new ApiError(404, "not_found", "no such endpoint");
    }

    /** Records the behaviour monitor's alerts on the ledger and in the metrics. */
    private void raise(ModelSlot.Live now, List<BehaviourMonitor.Alert> alerts) {
      for (BehaviourMonitor.Alert a : alerts) {
        // Queued, not waited for: an alert is a record, and the request it came with is already
        // on the ledger or will be before its answer.
        ledger.appendAsync(Event.now(EventKind.ALERT, "gateway", "monitor." + a.signal(),
            now.model().digest().toString(), "raised", "monitor-" + now.model().name(),
            a.details()));
        counter("bastion.gateway.alerts", "signal", a.signal()).increment();
      }
    }

    /**
     * The admin listener: {@code GET /v1/admin/models/NAME} (what is served and what was before),
     * {@code POST /v1/admin/models/NAME:reload} (swap to the newest verified version) and {@code
     * POST /v1/admin/models/NAME:rollback} (back to the version served before, or to {@code
     * {"version":N}}), {@code POST /v1/admin/clients/NAME:reinstate} (lift a suspension or a
     * throttle for suspected extraction); role admin.
     */
    private byte[] adminRoute(Request request, String path, Identity id,
        Map<String, String> details, String requestId, long deadline) throws ApiError {
      String method = request.getMethod();
      if (path.equals("/healthz")) {
        requireMethod(method, HttpMethod.GET);
        return "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
      }
      if (!id.role().equals("admin")) {
        throw new ApiError(403, "forbidden", "identity '" + id.name() + "' has role '"
            + id.role() + "', the admin listener needs 'admin'");
      }
      String base = "/v1/admin/models/" + served().name();
      if (path.startsWith(base)) {
        requireModel(id, served().name());
      }
      if (path.equals(base)) {
        requireMethod(method, HttpMethod.GET);
        return slot.status();
      }
      if (path.equals(base + ":reload")) {
        requireMethod(method, HttpMethod.POST);
        requireNoBody(request, deadline);
        slot.reload(id, details, requestId);
        return slot.status();
      }
      if (path.equals(base + ":rollback")) {
        requireMethod(method, HttpMethod.POST);
        byte[] body = readBody(request, deadline);
        Optional<Integer> version = Optional.empty();
        if (body.length > 0) {
          try {
            com.fasterxml.jackson.databind.JsonNode o = Json.parse(body, "request body");
            com.fasterxml.jackson.databind.JsonNode v = o.path("version");
            if (!o.isObject() || o.size() != 1 || !v.isIntegralNumber() || !v.canConvertToInt()
                || v.asInt() < 1) {
              throw new ApiError(400, "bad_request",
                  "the body is empty or {\"version\":N} with N a positive version");
            }
            version = Optional.of(v.asInt());
          } catch (BadInputException e) {
            throw new ApiError(400, "bad_request", e.getMessage());
          }
        }
        slot.rollback(version, id, details, requestId);
        return slot.status();
      }
      String clients = "/v1/admin/clients/";
      if (path.startsWith(clients) && path.endsWith(":reinstate")) {
        requireMethod(method, HttpMethod.POST);
        requireNoBody(request, deadline);
        requireModel(id, served().name());
        String name = path.substring(clients.length(), path.length() - ":reinstate".length());
        if (!Identity.isName(name)) {
          throw new ApiError(400, "bad_request", "not an identity name");
        }
        if (!suspensions.suspended(name) && !suspensions.throttled(name)) {
          throw new ApiError(404, "not_found", "identity '" + name
              + "' is neither suspended nor throttled");
        }
        Map<String, String> d = new LinkedHashMap<>(details);
        d.put("identity", name);
        // On the ledger before it takes effect.
        ledger.append(Event.now(EventKind.CONFIG_CHANGE, id.name(), "client.reinstate",
            "identity:" + name, "ok", requestId, d));
        try {
          suspensions.reinstate(name);
        } catch (IOException e) {
          // The ledger said it would happen; it says now that it did not.
          ledger.append(Event.now(EventKind.CONFIG_CHANGE, id.name(), "client.reinstate",
              "identity:" + name, "failed", requestId, d));
          throw new ApiError(503, "unavailable", "the suspension list cannot be written", 1);
        }
        buckets.remove("throttled:" + name);
        slot.current().detector().forget(name);
        ObjectNode o = Json.object();
        o.put("identity", name);
        o.put("reinstated", true);
        return Json.canonical(o);
      }
      throw new ApiError(404, "not_found", "no such admin endpoint");
    }

    private ApiError suspended(Identity id) {
      return new ApiError(403, "suspended", "identity '" + id.name() + "' is suspended: its"
          + " queries looked like an attempt to copy the model; an admin can reinstate it");
    }

    /** Refuses an identity whose certificate limits its role to other models. */
    private void requireModel(Identity id, String model) throws ApiError {
      if (!id.mayUse(model)) {
        throw new ApiError(403, "forbidden", "identity '" + id.name() + "' has its role for "
            + String.join(", ", id.models()) + " only, not for '" + model + "'");
      }
    }

    private void requireMethod(String method, HttpMethod expected) throws ApiError {
      if (!expected.is(method)) {
        throw new ApiError(405, "method_not_allowed", "use " + expected.asString());
      }
    }

    private void rateLimit(Identity id) throws ApiError {
      // A throttled identity (suspected of extraction) gets one request a second.
      boolean slow = suspensions.throttled(id.name());
      long rate = slow ? THROTTLED_RATE : config.ratePerSecond();
      long burst = slow ? THROTTLED_RATE : config.burst();
      Bucket bucket =
          buckets.computeIfAbsent(
              (slow ? "throttled:" : "") + id.name(),
              k ->
                  Bucket.builder()
                      .addLimit(
                          l -> l.capacity(burst).refillGreedy(rate, Duration.ofSeconds(1)))
                      .build());
      ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
      if (!probe.isConsumed()) {
        long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999) / 1_000_000_000);
        throw new ApiError(429, "rate_limited",
            "rate limit of " + rate + "/s exceeded for '" + id.name() + "'"
                + (slow ? " (throttled: suspected of extraction)" : ""),
            seconds);
      }
    }

    /**
     * Feeds one answered instance to the extraction detector; on its alarm, an alert on the
     * ledger and the policy's action.
     */
    private void watchExtraction(ModelSlot.Live now, Identity id, Map<String, String> values,
        String label, Map<String, String> details, String requestId) throws ApiError {
      ExtractionDetector.Verdict v;
      try {
        v = now.detector().observe(id.name(), values, label);
      } catch (BadInputException e) {
        throw new ApiError(400, "bad_request", e.getMessage());
      }
      details.put("guard.extraction", v.suspected() ? "suspected" : "pass");
      if (!v.alarm()) {
        return;
      }
      ExtractionPolicy action = config.extraction();
      Map<String, String> d = new LinkedHashMap<>();
      d.put("identity", id.name());
      d.put("reasons", v.reasons().toString());
      d.put("queries", Long.toString(v.queries()));
      d.put("w", Double.toString(v.w()));
      d.put("log_distance_sd", Double.toString(v.logDistanceSd()));
      d.put("spread", Double.toString(v.spread()));
      d.put("action", action.toString());
      try {
        switch (action) {
          case SUSPEND -> suspensions.suspend(id.name());
          case THROTTLE -> suspensions.throttle(id.name());
          case ALERT -> { }
        }
      } catch (IOException e) {
        // In force in memory all the same; the alert says it will not survive a restart.
        d.put("persisted", "false");
      }
      if (action == ExtractionPolicy.SUSPEND) {
        details.put("guard.extraction", "suspended");
      }
      ledger.append(Event.now(EventKind.ALERT, "gateway", "guard.extraction",
          now.model().digest().toString(), "raised", requestId, d));
      counter("bastion.gateway.alerts", "signal", "extraction").increment();
      if (action == ExtractionPolicy.SUSPEND) {
        // Nothing more for this identity, the rest of this batch included.
        throw suspended(id);
      }
    }

    /** Reads the body under the same limits as any other, and refuses one that is not empty. */
    private void requireNoBody(Request request, long deadline) throws ApiError {
      if (readBody(request, deadline).length > 0) {
        throw new ApiError(400, "bad_request", "this endpoint takes no body");
      }
    }

    private byte[] readBody(Request request, long deadline) throws ApiError {
      long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
      if (declared > config.maxBodyBytes()) {
        throw new ApiError(413, "payload_too_large",
            "body of " + declared + " bytes exceeds " + config.maxBodyBytes());
      }
      try (InputStream in = Request.asInputStream(request)) {
        if (declared >= 0) {
          // Jetty holds the body to its declared length: read it into an array of that size,
          // grown as bytes arrive (a client declaring much and sending little holds little).
          byte[] body = new byte[(int) Math.min(declared, 64 << 10)];
          for (int at = 0, n; at < declared; at += n) {
            if (at == body.length) {
              body = Arrays.copyOf(body, (int) Math.min(declared, 2L * body.length));
            }
            n = in.read(body, at, body.length - at);
            if (n < 0) {
              throw new ApiError(400, "bad_request", "the body ended before its Content-Length");
            }
            // A body trickled in slowly is cut off at the deadline, not at each read's timeout.
            if (System.nanoTime() - deadline > 0) {
              throw timeout();
            }
          }
          return body;
        }
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(1024);
        byte[] chunk = new byte[4096];
        for (int n; (n = in.read(chunk)) >= 0; ) {
          body.write(chunk, 0, n);
          if (body.size() > config.maxBodyBytes()) {
            throw new ApiError(413, "payload_too_large",
                "body exceeds " + config.maxBodyBytes() + " bytes");
          }
          if (System.nanoTime() - deadline > 0) {
            throw timeout();
          }
        }
        return body.toByteArray();
      } catch (IOException e) {
        if (System.nanoTime() - deadline > 0
            || e.getCause() instanceof java.util.concurrent.TimeoutException) {
          throw timeout();
        }
        throw new ApiError(400, "bad_request", "cannot read the request body");
      }
    }

    private ApiError budgetExhausted(Identity id, int asked, QueryBudgets.Refusal r) {
      String what = r.left() == 0 ? "is used up"
          : "has " + r.left() + " predictions left, this request asks " + asked;
      return new ApiError(429, "budget_exhausted", "daily query budget of "
          + config.dailyBudget() + " predictions for '" + id.name() + "' on this model " + what
          + "; it renews at 00:00 UTC", r.renewsInSeconds());
    }

    private ApiError timeout() {
      return new ApiError(408, "request_timeout", "the request took longer than "
          + config.requestTimeout().toMillis() + " ms");
    }

    private byte[] predict(byte[] body, Identity id, Map<String, String> details,
        ModelSlot.Live now, long deadline, String requestId) throws ApiError {
      ServedModel served = now.model();
      OutputPolicy policy = config.outputs().getOrDefault(id.role(), OutputPolicy.FULL);
      List<Map<String, String>> checked;
      InputGuard.Verdict verdict;
      try {
        checked =
            PredictRequest.parse(
                body, served.model().spec(), config.maxInstances(), tokenizer::tokenize);
        verdict = now.guard().check(checked);
      } catch (BadInputException e) {
        throw new ApiError(400, "bad_request", e.getMessage());
      }
      // The input guard's decision is on the ledger with the request, refused or not.
      details.put("guard.input", verdict.decision());
      // Three decimals without String.format, which is slow on this path.
      details.put("ood.max", java.math.BigDecimal.valueOf(Math.round(verdict.maxScore() * 1000), 3)
          .toPlainString());
      details.put("ood.flagged", Integer.toString(verdict.flagged()));
      counter("bastion.gateway.guard.input", "decision", verdict.decision()).increment();
      if (verdict.refusal().isPresent()) {
        String[] r = verdict.refusal().get();
        throw new ApiError(400, r[0], r[1]);
      }
      if (checked.size() > 1 && suspensions.throttled(id.name())) {
        // Throttled: one prediction a second, not one batch a second.
        throw new ApiError(429, "rate_limited", "identity '" + id.name() + "' is throttled"
            + " (suspected of extraction): one instance per request, at most "
            + THROTTLED_RATE + " request a second; this request has " + checked.size(), 1);
      }
      // The budget counts predictions: every instance of the batch, all or none.
      Optional<QueryBudgets.Refusal> refused = budgets.take(id.name(), checked.size());
      if (refused.isPresent()) {
        throw budgetExhausted(id, checked.size(), refused.get());
      }
      try {
        budgets.flushIfDue();
      } catch (IOException e) {
        // Fail closed: a budget that cannot be kept is not granted.
        throw new ApiError(503, "unavailable", "query budgets cannot be recorded", 1);
      }
      ObjectNode out = Json.object();
      ArrayNode predictions = out.putArray("predictions");
      int i = 0;
      for (Map<String, String> values : checked) {
        if (System.nanoTime() - deadline > 0) {
          throw new ApiError(503, "timeout", "the request took longer than "
              + config.requestTimeout().toMillis() + " ms; send fewer instances", 1);
        }
        String where = "instances[" + i++ + "]";
        try {
          modelCalls.incrementAndGet();
          var result = served.model().predict(values, where);
          policy.write(predictions.addObject(), result.label(), result.scores());
          raise(now, now.monitor().prediction(result.label(),
              result.scores().getOrDefault(result.label(), 0.0)));
          watchExtraction(now, id, values, result.label(), details, requestId);
        } catch (BadInputException e) {
          throw new ApiError(400, "bad_request", e.getMessage());
        }
      }
      if (suspensions.suspended(id.name())) {
        // Suspended while this request ran (another of its requests raised the alarm): its
        // answers do not leave either.
        details.put("guard.extraction", "suspended");
        throw suspended(id);
      }
      return Json.canonical(out);
    }

    private static final byte[] BANNED = ("{\"error\":\"banned\",\"message\":\"too many failed"
        + " authentications from this address; retry later\"}").getBytes(StandardCharsets.UTF_8);

    private void send(Response response, Callback callback, int status, byte[] body,
        long retryAfter) {
      send(response, callback, status, body, retryAfter, "application/json");
    }

    private void send(Response response, Callback callback, int status, byte[] body,
        long retryAfter, String contentType) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
      response.getHeaders().put("Cache-Control", "no-store");
      if (retryAfter > 0) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(retryAfter));
      }
      if (status >= 400) {
        // A refused request's body may be left unread, and then the connection cannot carry
        // another request: say so, rather than let the client reuse a connection that closes
        // under it.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      response.write(true, java.nio.ByteBuffer.wrap(body), callback);
    }
  }

  @Override
  public String toString() {
    ServedModel m = served();
    return "Gateway[" + m.name() + " v" + m.version() + " on port " + port() + "]";
  }
}
