package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.crypto.FieldTokenizer;
import dev.bastion.crypto.Identity;
import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.OutputPolicy;
import dev.bastion.serve.PredictRequest;
import dev.bastion.serve.ServedModel;
import dev.bastion.train.Classifier;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bastion bench serve}: the gateway with every control on against a bare Jetty HTTPS
 * server serving the same model from the same process, both driven by the same closed-loop load
 * generator on loopback.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Init a temporary Bastion home, run the credit-risk pipeline to get a verified registered"
          + " model, then serve it twice in this process: the gateway with every control on"
          + " (mutual TLS with a role, rate limit, daily budget, concurrency limit, output policy,"
          + " every request on the ledger before its answer) and a bare Jetty HTTPS server (TLS"
          + " 1.3, server certificate only, nothing else) with the same parse, tokenisation and"
          + " model.",
      "C client threads, each with one persistent TLS 1.3 connection to each server, send the"
          + " same one-instance request in a closed loop: a warm-up, then rounds alternating which"
          + " side goes first. Every answer must be 200 on a kept-alive connection.",
      "The last line is `ratio R (secured X req/s p99 A ms, plain Y req/s p99 B ms)`, R = X / Y."
    })
final class ServeBench implements Callable<Integer> {
  /** The client identity the benchmark issues, role predict. */
  static final String CLIENT = "bench-client";

  /** Rate limit and burst per identity: far above what loopback on a few cores reaches. */
  static final long RATE = 1_000_000;

  /** Daily budget per identity: far above what a run can ask. */
  static final long BUDGET = 1_000_000_000L;

  /** Output policy of role predict on the gateway; the plain server writes the same JSON. */
  static final OutputPolicy POLICY = new OutputPolicy("probabilities", 6);


  @Option(names = "--warm-up", paramLabel = "W", defaultValue = "10",
      description = "seconds of warm-up of each side before measuring, 0 to 600 (default:"
          + " ${DEFAULT-VALUE}; the JIT is still compiling the secured path after a few seconds)")
  int warmUp = 10;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "10",
      description = "measured seconds of each side, 1 to 3600 (default: ${DEFAULT-VALUE})")
  int seconds = 10;

  @Option(names = "--concurrency", paramLabel = "C", defaultValue = "8",
      description = "client threads, each with its own connection, 1 to 256"
          + " (default: ${DEFAULT-VALUE})")
  int concurrency = 8;

  @Option(names = "--soak", paramLabel = "MINUTES", defaultValue = "0",
      description = "after the measurement, run the secured side at 80%% of its measured"
          + " throughput for MINUTES (0 to 1440) and sample the heap after GC each minute"
          + " (default: ${DEFAULT-VALUE}, no soak)")
  int soak = 0;

  @Option(names = "--pipeline", paramLabel = "FILE",
      description = "pipeline definition to run for the model (default: the credit example)")
  Path pipeline;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (seconds < 1 || seconds > 3600) {
      throw new BadInputException("--seconds " + seconds + ": expected 1 to 3600");
    }
    if (warmUp < 0 || warmUp > 600) {
      throw new BadInputException("--warm-up " + warmUp + ": expected 0 to 600");
    }
    if (concurrency < 1 || concurrency > 256) {
      throw new BadInputException("--concurrency " + concurrency + ": expected 1 to 256");
    }
    if (soak < 0 || soak > 1440) {
      throw new BadInputException("--soak " + soak + ": expected 0 to 1440");
    }
    Path definition = pipeline != null ? pipeline : DemoCommand.defaultPipeline();
    if (!Files.isRegularFile(definition)) {
      throw new BadInputException(definition + ": not found; give a pipeline with --pipeline");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path tmp = Files.createTempDirectory("bastion-bench-serve-");
    try {
      // The benchmark's own, temporary home exports nowhere: its checkpoints would otherwise
      // land among the real ledger's in BASTION_CHECKPOINT_DIR.
      String exports = System.getProperty(Home.CHECKPOINT_DIR_PROPERTY);
      System.setProperty(Home.CHECKPOINT_DIR_PROPERTY, "");
      try {
        return run(definition, tmp.resolve("home"), out);
      } finally {
        if (exports == null) {
          System.clearProperty(Home.CHECKPOINT_DIR_PROPERTY);
        } else {
          System.setProperty(Home.CHECKPOINT_DIR_PROPERTY, exports);
        }
      }
    } finally {
      BenchCommand.deleteTree(tmp);
    }
  }

  private int run(Path definition, Path homeDir, PrintWriter out) throws Exception {
    long t0 = System.nanoTime();
    PipelineDefinition def = PipelineDefinition.load(definition);
    long secured;
    long ledgerBefore;
    Result result;
    try (Home home = Home.init(homeDir)) {
      Demo.approveAndRun(home, definition, def, line -> {});
      ServedModel served =
          ServedModel.load(def.modelName(), home.registry(), home.chainVerifier(), home.trust(),
              home.integrity().openSession("serve"));
      Keyring keys = home.keyring();
      issue(home, CLIENT);
      byte[] body = Demo.exampleRequest(def).getBytes(StandardCharsets.UTF_8);
      String path = "/v1/models/" + served.name() + ":predict";
      int limit = Math.max(16, concurrency);
      // Each side's connections idle while the other side runs its round or its warm-up: both
      // servers wait longer than that.
      java.time.Duration idle =
          java.time.Duration.ofSeconds(Math.max(60, 2L * Math.max(seconds, warmUp)));
      Gateway.Config config = Gateway.Config.defaults().withPort(0).withRate(RATE, RATE)
          .withBudget(BUDGET, Optional.of(homeDir.resolve("gateway").resolve("budgets.json")))
          .withMaxConcurrent(limit)
          // One client identity drives the whole load here: all of the limit is its share.
          .withMaxConcurrentPerIdentity(limit)
          .withOutput(Gateway.PREDICT_ROLE, POLICY)
          .withExtraction(dev.bastion.serve.ExtractionPolicy.ALERT)
          .withRequestTimeout(idle);
      out.printf(Locale.ROOT, "model %s v%d %s, trained and verified in a temporary home in %.1f"
              + " s%n", served.name(), served.version(), served.digest(),
          (System.nanoTime() - t0) / 1e9);
      out.printf(Locale.ROOT, "request: one instance of %s, %d bytes, the same for both sides;"
              + " %d client threads on loopback, one persistent TLS 1.3 connection each; %d"
              + " cores%n", def.data().getFileName(), body.length, concurrency,
          Runtime.getRuntime().availableProcessors());
      out.printf(Locale.ROOT, "secured: the gateway, client certificate of '%s' (role predict)"
              + " checked against the CA and its CRL on every request, rate limit %d/s and daily"
              + " budget %d per identity (set high so they never throttle the benchmark; still"
              + " counted on every request), concurrency limit %d (all of it for the one"
              + " client), output policy %s, input guard (flag), behaviour monitor, extraction"
              + " detector (on every instance; its alarm only alerts, since one client repeating"
              + " one request at this rate is what its volume signal is for), request timeout"
              + " max(60 s, 2 S, 2 W) (the connections idle while the other side runs; the plain"
              + " side waits as long), every request on the"
              + " ledger (fsync, group commit) before its answer%n",
          CLIENT, RATE, BUDGET, limit, POLICY);
      out.println("plain: bare Jetty 12 HTTPS (TLS 1.3, server certificate only), no client"
          + " authentication, no limits, no ledger; the same parse, tokenisation and model");
      out.flush();
      ledgerBefore = home.ledger().size();
      long syncsBefore = home.ledger().syncs();
      try (Gateway gateway = Gateway.start(config, served, keys, home.trust(), home.ledger());
          PlainServer plain = PlainServer.start(served, keys, idle)) {
        Target sec = new Target("secured", gateway.port(), path, body,
            context(keys.keyStore(CLIENT, "bench".toCharArray()), keys.trustStore()));
        Target pln = new Target("plain", plain.port(), path, body,
            context(null, keys.trustStore()));
        result = new LoadGenerator(concurrency, sec, pln).run(warmUp, seconds, soak, out);
      }
      secured = result.securedTotal;
      long syncs = home.ledger().syncs() - syncsBefore;
      out.printf(Locale.ROOT, "ledger: %d fsyncs for %d secured requests (%.1f requests each)%n",
          syncs, secured, (double) secured / Math.max(1, syncs));
    }
    // Every secured request, warm-up included, must be on the ledger, and the ledger must verify.
    LedgerVerifier.Result ledger =
        LedgerVerifier.verify(homeDir.resolve("ledger"), Home.ledgerVerifier(homeDir));
    long added = ledger.size() - ledgerBefore;
    String others = "";
    if (added != secured) {
      // Something else was logged meanwhile (an alert, a refused handshake): count the answered
      // requests themselves, and name the rest.
      List<Event> events = LedgerVerifier.events(homeDir.resolve("ledger"));
      List<Event> since = events.subList((int) ledgerBefore, events.size());
      long answered = since.stream().filter(e -> e.kind() == EventKind.INFERENCE
          && e.actor().equals(CLIENT) && e.outcome().equals("ok")).count();
      if (answered != secured) {
        throw new CheckFailedException("the ledger holds " + answered + " answered requests of '"
            + CLIENT + "' for " + secured + " secured requests");
      }
      Map<String, Long> rest = new java.util.TreeMap<>();
      since.stream().filter(e -> !(e.kind() == EventKind.INFERENCE && e.actor().equals(CLIENT)
              && e.outcome().equals("ok")))
          .forEach(e -> rest.merge(e.kind() + " " + e.action() + " " + e.outcome(), 1L,
              Long::sum));
      others = "; besides them " + rest;
    }
    out.printf(Locale.ROOT, "ledger verified: %d entries, one per secured request (%d)%s%n",
        added, secured, others);
    Stats x = result.secured;
    Stats y = result.plain;
    out.printf(Locale.ROOT, "secured: %d requests in %.1f s, %.0f req/s, p50 %.3f ms, p99 %.3f ms,"
        + " max %.3f ms%n", x.count, x.seconds, x.rate(), x.p50(), x.p99(), x.max());
    out.printf(Locale.ROOT, "plain:   %d requests in %.1f s, %.0f req/s, p50 %.3f ms, p99 %.3f ms,"
        + " max %.3f ms%n", y.count, y.seconds, y.rate(), y.p50(), y.p99(), y.max());
    out.printf(Locale.ROOT, "cpu per request, whole process (clients included): secured %.0f us,"
        + " plain %.0f us; load average %.2f%n", x.cpuPerRequest(), y.cpuPerRequest(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    out.println("  secured by thread: " + x.cpuByThread());
    out.println("  plain by thread:   " + y.cpuByThread());
    double r = x.rate() / y.rate();
    double dp99 = x.p99() - y.p99();
    out.printf(Locale.ROOT, "targets: R >= 0.85 %s; p99 difference %.2f ms <= 1 ms %s; heap %.0f"
            + " MiB peak, limit %.0f MiB%n", r >= 0.85 ? "met" : "NOT met", dp99,
        dp99 <= 1 ? "met" : "NOT met", peakHeap() / 1048576.0,
        Runtime.getRuntime().maxMemory() / 1048576.0);
    out.printf(Locale.ROOT, "ratio %.2f (secured %.0f req/s p99 %.2f ms, plain %.0f req/s p99"
        + " %.2f ms)%n", r, x.rate(), x.p99(), y.rate(), y.p99());
    out.flush();
    return 0;
  }

  /** Issues a client identity with role predict and logs it, as {@code identity issue} does. */
  private static void issue(Home home, String name)
      throws BastionException, IOException, GeneralSecurityException {
    Identity id = home.keyring().issueClient(name, Gateway.PREDICT_ROLE);
    home.ledger().append(Event.now(EventKind.KEY_OPERATION, "operator", "identity-issue",
        "cert:" + id.certificate().getSerialNumber().toString(16), "ok", "identity-" + name,
        Map.of("identity", name, "role", Gateway.PREDICT_ROLE,
            "certificate", Digest.of(id.certificate().getEncoded()).toString())));
  }

  private static SSLContext context(KeyStore keys, KeyStore trust)
      throws GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "bench".toCharArray());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(keys == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  /** A server under load: where it is, what to send, how to connect. */
  record Target(String name, int port, String path, byte[] body, SSLContext tls) {}

  /** Latencies of one side, in nanoseconds, sorted, and the time they took. */
  static final class Stats {
    final long count;
    final double seconds;
    final long[] sorted;
    final long cpuNanos;
    final Map<String, Long> threads;

    Stats(long[] samples, double seconds, long cpuNanos, Map<String, Long> threads) {
      this.cpuNanos = cpuNanos;
      this.threads = Map.copyOf(threads);
      this.sorted = samples.clone();
      Arrays.sort(sorted);
      this.count = sorted.length;
      this.seconds = seconds;
    }

    /** Process CPU time (every thread: servers, clients, ledger, GC) per request, microseconds. */
    double cpuPerRequest() {
      return count == 0 ? Double.NaN : cpuNanos / 1e3 / count;
    }

    /** CPU per request by thread group, largest first, then the rest (GC, JIT). */
    String cpuByThread() {
      StringBuilder b = new StringBuilder();
      long named = 0;
      List<Map.Entry<String, Long>> groups = new ArrayList<>(threads.entrySet());
      groups.sort(Map.Entry.<String, Long>comparingByValue().reversed());
      for (Map.Entry<String, Long> e : groups) {
        named += e.getValue();
        if (e.getValue() / 1e3 / count >= 1) {
          b.append(String.format(Locale.ROOT, "%s %.0f, ", e.getKey(), e.getValue() / 1e3 / count));
        }
      }
      return b.append(String.format(Locale.ROOT, "other (GC, JIT, VM) %.0f us",
          (cpuNanos - named) / 1e3 / count)).toString();
    }

    double rate() {
      return count / seconds;
    }

    /** The q-quantile in milliseconds (nearest rank). */
    double quantile(double q) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(q * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    double p50() {
      return quantile(0.50);
    }

    double p99() {
      return quantile(0.99);
    }

    double max() {
      return quantile(1.0);
    }
  }

  /** What a run measured; {@code securedTotal} counts warm-up and checks too. */
  record Result(Stats secured, Stats plain, long securedTotal) {}

  /**
   * C closed-loop clients, each with one persistent connection to each side: a warm-up of each
   * side, then rounds in which the sides take turns, the first side alternating.
   */
  static final class LoadGenerator {
    private static final java.lang.management.ThreadMXBean THREADS =
        ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean CPU =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final int clients;
    private final Target[] targets;

    LoadGenerator(int clients, Target secured, Target plain) {
      this.clients = clients;
      this.targets = new Target[] {secured, plain};
    }

    Result run(int warmUp, int seconds, int soakMinutes, PrintWriter out) throws Exception {
      Connection[][] conns = new Connection[2][clients];
      long securedTotal = 0;
      try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
        for (int s = 0; s < 2; s++) {
          for (int i = 0; i < clients; i++) {
            conns[s][i] = new Connection(targets[s]);
          }
        }
        // Both sides must answer the same bytes, or they are not doing the same work.
        byte[] a = conns[0][0].exchange();
        byte[] b = conns[1][0].exchange();
        securedTotal++;
        if (!Arrays.equals(a, b)) {
          throw new CheckFailedException("the two sides answer differently: "
              + new String(a, StandardCharsets.UTF_8) + " and "
              + new String(b, StandardCharsets.UTF_8));
        }
        long warm = warmUp * 1000L;
        for (int s = 0; s < 2; s++) {
          Phase p = phase(pool, conns[s], warm);
          if (s == 0) {
            securedTotal += p.samples.length;
          }
        }
        int rounds = Math.min(4, seconds);
        long each = seconds * 1000L / rounds;
        out.printf(Locale.ROOT, "warm-up %.1f s each side, then %d rounds of %.1f s each side,"
            + " the first side alternating%n", warm / 1e3, rounds, each / 1e3);
        out.flush();
        List<long[]> samples = new ArrayList<>(List.of(new long[0], new long[0]));
        double[] elapsed = new double[2];
        long[] cpu = new long[2];
        List<Map<String, Long>> byThread = List.of(new java.util.TreeMap<>(),
            new java.util.TreeMap<>());
        for (int r = 0; r < rounds; r++) {
          double[] rate = new double[2];
          double[] perRequest = new double[2];
          for (int k = 0; k < 2; k++) {
            int s = (r + k) % 2;
            Phase p = phase(pool, conns[s], each);
            samples.set(s, concat(samples.get(s), p.samples));
            elapsed[s] += p.seconds;
            cpu[s] += p.cpuNanos;
            p.threads.forEach((g, v) -> byThread.get(s).merge(g, v, Long::sum));
            rate[s] = p.samples.length / p.seconds;
            perRequest[s] = p.cpuNanos / 1e3 / Math.max(1, p.samples.length);
            if (s == 0) {
              securedTotal += p.samples.length;
            }
          }
          out.printf(Locale.ROOT, "round %d (%s first): secured %.0f req/s (cpu %.0f us each),"
                  + " plain %.0f req/s (cpu %.0f us each)%n",
              r + 1, targets[r % 2].name(), rate[0], perRequest[0], rate[1], perRequest[1]);
          out.flush();
        }
        Stats secured = new Stats(samples.get(0), elapsed[0], cpu[0], byThread.get(0));
        if (soakMinutes > 0) {
          securedTotal += soak(pool, conns[0], soakMinutes, 0.8 * secured.rate(), out);
        }
        return new Result(secured,
            new Stats(samples.get(1), elapsed[1], cpu[1], byThread.get(1)), securedTotal);
      } finally {
        for (Connection[] side : conns) {
          for (Connection c : side) {
            if (c != null) {
              c.close();
            }
          }
        }
      }
    }

    /**
     * The secured side paced at {@code rate} requests per second for {@code minutes}, the heap
     * used after a full collection sampled before and after each minute; returns the requests
     * sent. Latencies are from each request's send, not its scheduled time.
     */
    private long soak(ExecutorService pool, Connection[] conns, int minutes, double rate,
        PrintWriter out) throws Exception {
      long interval = (long) (1e9 * conns.length / rate);
      out.printf(Locale.ROOT, "soak: secured side at %.0f req/s (80%% of its measured %.0f) for %d"
          + " minutes, heap after GC sampled every minute%n", rate, rate / 0.8, minutes);
      out.flush();
      double[] heap = new double[minutes + 1];
      heap[0] = heapAfterGc();
      long sent = 0;
      for (int m = 1; m <= minutes; m++) {
        Phase p = phase(pool, conns, 60_000, interval);
        sent += p.samples.length;
        heap[m] = heapAfterGc();
        Stats st = new Stats(p.samples, p.seconds, p.cpuNanos, Map.of());
        out.printf(Locale.ROOT, "soak minute %d: %.0f req/s, p50 %.3f ms, p99 %.3f ms, heap after"
            + " GC %.1f MiB%n", m, st.rate(), st.p50(), st.p99(), heap[m]);
        out.flush();
      }
      out.printf(Locale.ROOT, "soak: heap after GC %.1f MiB at the start, %.1f MiB at the end,"
          + " slope %.3f MiB/minute (least squares over %d samples)%n", heap[0], heap[minutes],
          slope(heap), heap.length);
      return sent;
    }

    /** The least-squares slope of {@code y} against its index. */
    static double slope(double[] y) {
      int n = y.length;
      double mx = (n - 1) / 2.0;
      double my = Arrays.stream(y).average().orElse(0);
      double num = 0;
      double den = 0;
      for (int i = 0; i < n; i++) {
        num += (i - mx) * (y[i] - my);
        den += (i - mx) * (i - mx);
      }
      return den == 0 ? 0 : num / den;
    }

    /** MiB of heap in use after a full collection. */
    private static double heapAfterGc() {
      System.gc();
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    /** Latencies of one phase and its length. */
    record Phase(long[] samples, double seconds, long cpuNanos, Map<String, Long> threads) {}

    /** CPU nanoseconds of every live thread, by id, with names. */
    private static Map<Long, Map.Entry<String, Long>> threadCpu() {
      Map<Long, Map.Entry<String, Long>> m = new java.util.HashMap<>();
      for (java.lang.management.ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
        if (t != null) {
          long c = THREADS.getThreadCpuTime(t.getThreadId());
          if (c >= 0) {
            m.put(t.getThreadId(), Map.entry(t.getThreadName(), c));
          }
        }
      }
      return m;
    }

    /** CPU used by each group of threads (names without their numbers) between two snapshots. */
    private static Map<String, Long> threadDelta(
        Map<Long, Map.Entry<String, Long>> before, Map<Long, Map.Entry<String, Long>> after) {
      Map<String, Long> m = new java.util.TreeMap<>();
      after.forEach((id, e) -> {
        long b = before.containsKey(id) ? before.get(id).getValue() : 0;
        String group = e.getKey().replaceAll("([-#_ ]?[0-9]+)+$", "");
        m.merge(group, e.getValue() - b, Long::sum);
      });
      return m;
    }

    private Phase phase(ExecutorService pool, Connection[] conns, long millis) throws Exception {
      return phase(pool, conns, millis, 0);
    }

    /** A phase in which each client sends every {@code interval} ns at most (0: back to back). */
    private Phase phase(ExecutorService pool, Connection[] conns, long millis, long interval)
        throws Exception {
      Map<Long, Map.Entry<String, Long>> threads = threadCpu();
      long cpu = CPU.getProcessCpuTime();
      long start = System.nanoTime();
      long end = start + millis * 1_000_000L;
      List<Future<long[]>> futures = new ArrayList<>();
      for (Connection c : conns) {
        futures.add(pool.submit(() -> c.loop(end, interval)));
      }
      long[] all = new long[0];
      for (Future<long[]> f : futures) {
        try {
          all = concat(all, f.get());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof BastionException b) {
            throw b;
          }
          throw new CheckFailedException("a benchmark request failed: " + e.getCause(),
              e.getCause());
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long used = CPU.getProcessCpuTime() - cpu;
      return new Phase(all, seconds, used, threadDelta(threads, threadCpu()));
    }

    private static long[] concat(long[] a, long[] b) {
      long[] c = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, c, a.length, b.length);
      return c;
    }
  }

  /**
   * One persistent HTTP/1.1 connection over TLS 1.3, one request at a time. Any answer but 200,
   * or one that closes the connection, fails the benchmark.
   */
  static final class Connection implements AutoCloseable {
    private final Target target;
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] request;
    private final StringBuilder line = new StringBuilder();

    Connection(Target target) throws IOException {
      this.target = target;
      this.socket = (SSLSocket) target.tls().getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), target.port());
      socket.setEnabledProtocols(new String[] {"TLSv1.3"});
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(30_000);
      socket.startHandshake();
      this.in = new BufferedInputStream(socket.getInputStream(), 16384);
      this.out = new BufferedOutputStream(socket.getOutputStream(), 16384);
      String head = "POST " + target.path() + " HTTP/1.1\r\n"
          + "Host: localhost:" + target.port() + "\r\n"
          + "Content-Type: application/json\r\n"
          + "Content-Length: " + target.body().length + "\r\n\r\n";
      byte[] h = head.getBytes(StandardCharsets.US_ASCII);
      this.request = Arrays.copyOf(h, h.length + target.body().length);
      System.arraycopy(target.body(), 0, request, h.length, target.body().length);
    }

    /**
     * Sends requests until {@code end} (System.nanoTime), one every {@code interval} ns at most
     * (0: back to back); returns each one's latency.
     */
    long[] loop(long end, long interval) throws IOException, BastionException {
      long[] samples = new long[1024];
      int n = 0;
      long now = System.nanoTime();
      long next = now;
      while (now < end) {
        if (interval > 0) {
          if (next > now) {
            java.util.concurrent.locks.LockSupport.parkNanos(next - now);
            now = System.nanoTime();
          }
          next += interval;
        }
        exchange();
        long done = System.nanoTime();
        if (n == samples.length) {
          samples = Arrays.copyOf(samples, n * 2);
        }
        samples[n++] = done - now;
        now = done;
      }
      return Arrays.copyOf(samples, n);
    }

    /** One request and its answer's body. */
    byte[] exchange() throws IOException, BastionException {
      out.write(request);
      out.flush();
      String status = readLine();
      long length = -1;
      boolean chunked = false;
      boolean close = false;
      for (String h = readLine(); !h.isEmpty(); h = readLine()) {
        int colon = h.indexOf(':');
        String name = colon < 0 ? h : h.substring(0, colon).strip();
        String value = colon < 0 ? "" : h.substring(colon + 1).strip();
        if (name.equalsIgnoreCase("Content-Length")) {
          length = Long.parseLong(value);
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
          chunked = value.equalsIgnoreCase("chunked");
        } else if (name.equalsIgnoreCase("Connection")) {
          close = value.equalsIgnoreCase("close");
        }
      }
      byte[] body = chunked ? readChunked() : readN(length);
      if (!status.startsWith("HTTP/1.1 200 ") || close) {
        throw new CheckFailedException(target.name() + " answered '" + status + "'"
            + (close ? " and closed the connection" : "") + ": " + oneLine(body));
      }
      return body;
    }

    /** The start of an answer's body on one line, for an error message. */
    private static String oneLine(byte[] body) {
      String text = new String(body, StandardCharsets.UTF_8).replaceAll("\\s+", " ").strip();
      return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private byte[] readN(long length) throws IOException {
      if (length < 0 || length > 1 << 20) {
        throw new IOException(target.name() + ": answer without a usable Content-Length");
      }
      byte[] b = in.readNBytes((int) length);
      if (b.length != length) {
        throw new EOFException(target.name() + ": connection closed in an answer");
      }
      return b;
    }

    private byte[] readChunked() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      while (true) {
        String size = readLine();
        int semi = size.indexOf(';');
        long n = Long.parseLong(semi < 0 ? size.strip() : size.substring(0, semi).strip(), 16);
        if (n == 0) {
          while (!readLine().isEmpty()) {
            // trailers
          }
          return b.toByteArray();
        }
        b.write(readN(n));
        readLine();
      }
    }

    private String readLine() throws IOException {
      line.setLength(0);
      while (true) {
        int c = in.read();
        if (c < 0) {
          throw new EOFException(target.name() + ": connection closed");
        }
        if (c == '\n') {
          int len = line.length();
          if (len > 0 && line.charAt(len - 1) == '\r') {
            line.setLength(len - 1);
          }
          return line.toString();
        }
        if (line.length() > 8192) {
          throw new IOException(target.name() + ": header line too long");
        }
        line.append((char) c);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /**
   * The baseline: Jetty 12 over TLS 1.3 with a server certificate only, the same thread pool as
   * the gateway, and one handler that parses, tokenises and predicts as the gateway does, writing
   * the same JSON as the gateway's output policy, and nothing else.
   */
  static final class PlainServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;

    private PlainServer(Server server, ServerConnector connector) {
      this.server = server;
      this.connector = connector;
    }

    static PlainServer start(ServedModel served, Keyring keyring, java.time.Duration idle)
        throws Exception {
      // The same certificate and protocol as the gateway; no client authentication.
      SslContextFactory.Server ssl = Gateway.serverTls(keyring);
      QueuedThreadPool threads = new QueuedThreadPool(32, 4);
      threads.setName("bench-plain");
      Server server = new Server(threads);
      HttpConfiguration http = new HttpConfiguration();
      http.setSendServerVersion(false);
      http.setSendXPoweredBy(false);
      ServerConnector connector = new ServerConnector(server,
          new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      connector.setIdleTimeout(idle.toMillis());
      server.addConnector(connector);
      server.setHandler(new Predict(served, keyring.tokenizer()));
      server.start();
      return new PlainServer(server, connector);
    }

    int port() {
      return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
      server.stop();
    }
  }

  /** The plain server's only endpoint: POST /v1/models/NAME:predict. */
  private static final class Predict extends Handler.Abstract {
    private final ServedModel served;
    private final FieldTokenizer tokenizer;
    private final String path;

    Predict(ServedModel served, FieldTokenizer tokenizer) {
      this.served = served;
      this.tokenizer = tokenizer;
      this.path = "/v1/models/" + served.name() + ":predict";
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback)
        throws IOException {
      if (!HttpMethod.POST.is(request.getMethod())
          || !Request.getPathInContext(request).equals(path)) {
        return false; // Jetty answers 404
      }
      byte[] answer;
      int status = 200;
      try (InputStream in = Request.asInputStream(request)) {
        answer = predict(in.readNBytes(1 << 20));
      } catch (BadInputException e) {
        status = 400;
        ObjectNode err = Json.object();
        err.put("error", "bad_request");
        err.put("message", e.getMessage());
        answer = Json.canonical(err);
      }
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put("Cache-Control", "no-store");
      response.write(true, ByteBuffer.wrap(answer), callback);
      return true;
    }

    private byte[] predict(byte[] body) throws BadInputException {
      List<Map<String, String>> instances =
          PredictRequest.parse(body, served.model().spec(), 1000, tokenizer::tokenize);
      ObjectNode out = Json.object();
      ArrayNode predictions = out.putArray("predictions");
      int i = 0;
      for (Map<String, String> values : instances) {
        Classifier.Result r = served.model().predict(values, "instances[" + i++ + "]");
        ObjectNode p = predictions.addObject();
        p.put("label", r.label());
        ObjectNode probs = p.putObject("probabilities");
        r.scores().forEach((k, v) -> probs.put(k,
            BigDecimal.valueOf(v).setScale(POLICY.n(), RoundingMode.HALF_EVEN).doubleValue()));
      }
      return Json.canonical(out);
    }
  }
}
