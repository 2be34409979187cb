package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.NoteVerifier;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bastion bench ledger}: durable appends with group commit against a plain file written
 * with the same bytes and the same number of fsyncs, in the same run.
 */
@Command(
    name = "ledger",
    description = {
      "Append N events of about 200 bytes to a fresh ledger with at most W appends in flight"
          + " (as a server with W requests open), each acknowledged only after fsync (group"
          + " commit: one signed checkpoint and one fsync per batch), then write the same bytes"
          + " to a plain file in as many chunks, one fsync each: the disk's own limit at that"
          + " cadence.",
      "Six untimed runs of at most 100000 events first (the JIT). Reports medians over --runs,"
          + " and the time from append to acknowledgement (p50, p99, p99.9); the last line is"
          + " `ratio R (bastion X events/s, plain file Y events/s)`, R = X / Y."
    })
final class LedgerBench implements Callable<Integer> {
  /** Untimed runs of at most 100,000 events first. */
  static final int WARM_UP_RUNS = 6;

  @Option(names = "--events", paramLabel = "N", defaultValue = "200000",
      description = "events per run, 1000 to 100000000 (default: ${DEFAULT-VALUE})")
  long events = 200_000;

  @Option(names = "--in-flight", paramLabel = "W", defaultValue = "512",
      description = "appends queued and not yet acknowledged at most, 1 to 1000000"
          + " (default: ${DEFAULT-VALUE})")
  int inFlight = 512;

  @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
      description = "timed repetitions of each side, 1 to 100 (default: ${DEFAULT-VALUE})")
  int runs = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (events < 1000 || events > 100_000_000) {
      throw new BadInputException("--events " + events + ": expected 1000 to 100000000");
    }
    if (inFlight < 1 || inFlight > 1_000_000) {
      throw new BadInputException("--in-flight " + inFlight + ": expected 1 to 1000000");
    }
    if (runs < 1 || runs > 100) {
      throw new BadInputException("--runs " + runs + ": expected 1 to 100");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path tmp = Files.createTempDirectory("bastion-bench-ledger-");
    try {
      NoteSigner signer = NoteSigner.generate("bench-ledger");
      out.printf(Locale.ROOT, "%d events of about %d bytes, at most %d in flight, %d cores%n",
          events, Json.canonical(sample().toJson()).length, inFlight,
          Runtime.getRuntime().availableProcessors());
      out.flush();
      // Untimed, until the JIT has compiled the commit path: with one such run the first two
      // timed runs were still 40% slower than the rest.
      for (int w = 0; w < WARM_UP_RUNS; w++) {
        run(tmp.resolve("warm-up-" + w), signer, Math.min(events, 100_000));
        BenchCommand.deleteTree(tmp.resolve("warm-up-" + w));
      }
      double[] bastion = new double[runs];
      double[] plain = new double[runs];
      Latency latency = new Latency();
      long commits = 0;
      for (int r = 0; r < runs; r++) {
        Path dir = tmp.resolve("run-" + r);
        long[] result = run(dir.resolve("ledger"), signer, events, latency);
        bastion[r] = events * 1e9 / result[0];
        commits = result[1];
        plain[r] = events * 1e9 / plainFile(dir.resolve("ledger"), dir.resolve("plain"), commits);
        BenchCommand.deleteTree(dir);
      }
      double x = BenchCommand.median(bastion);
      double y = BenchCommand.median(plain);
      out.printf(Locale.ROOT, "fsyncs in the last run: %d, %.0f events each%n", commits,
          (double) events / commits);
      out.printf(Locale.ROOT, "append to acknowledgement, all runs: p50 %.2f ms, p99 %.2f ms,"
          + " p99.9 %.2f ms%n", latency.quantile(0.5), latency.quantile(0.99),
          latency.quantile(0.999));
      out.printf(Locale.ROOT, "bastion ledger: %s events/s, median %.0f%n",
          BenchCommand.list(bastion), x);
      out.printf(Locale.ROOT, "plain file, same bytes and fsyncs: %s events/s, median %.0f%n",
          BenchCommand.list(plain), y);
      out.printf(Locale.ROOT, "ratio %.2f (bastion %.0f events/s, plain file %.0f events/s)%n",
          x / y, x, y);
      out.flush();
      return 0;
    } finally {
      BenchCommand.deleteTree(tmp);
    }
  }

  /** One event of about 200 bytes in canonical JSON. */
  private static Event sample() {
    return new Event(EventKind.INFERENCE, Instant.parse("2026-01-01T00:00:00Z"), "client-0042",
        "predict", "sha256:" + "0".repeat(64), "ok", "req-00000000",
        Map.of("latency_us", "1234"));
  }

  /** {nanoseconds for all appends, commits made}, after checking the ledger verifies. */
  private long[] run(Path dir, NoteSigner signer, long n) throws Exception {
    return run(dir, signer, n, new Latency());
  }

  private long[] run(Path dir, NoteSigner signer, long n, Latency latency) throws Exception {
    Ledger ledger = Ledger.open(dir, signer);
    long t0;
    long elapsed;
    int producers = Runtime.getRuntime().availableProcessors();
    Semaphore window = new Semaphore(inFlight);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(producers)) {
      List<Future<?>> futures = new ArrayList<>();
      t0 = System.nanoTime();
      for (int t = 0; t < producers; t++) {
        final int id = t;
        String client = "client-" + (10_000 + id);
        String model = "sha256:" + "0".repeat(64);
        futures.add(pool.submit(() -> {
          for (long i = id; i < n; i += producers) {
            window.acquireUninterruptibly();
            long sent = System.nanoTime();
            ledger.appendAsync(new Event(EventKind.INFERENCE, Instant.now(), client, "predict",
                    model, "ok", "req-" + (100_000_000 + i),
                    Map.of("latency_us", Long.toString(1000 + i % 1000))))
                .whenComplete((index, e) -> {
                  if (e != null) {
                    failed.compareAndSet(null, e);
                  }
                  latency.record(System.nanoTime() - sent);
                  window.release();
                });
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      window.acquireUninterruptibly(inFlight); // every append acknowledged
      elapsed = System.nanoTime() - t0;
    }
    if (failed.get() != null) {
      throw new IllegalStateException("an append failed: " + failed.get().getMessage(),
          failed.get());
    }
    long commits = ledger.syncs();
    ledger.close();
    LedgerVerifier.Result r =
        LedgerVerifier.verify(dir, NoteVerifier.parse(signer.verifierKey()));
    if (r.size() != n) {
      throw new IllegalStateException("the ledger holds " + r.size() + " of " + n + " events");
    }
    return new long[] {elapsed, commits};
  }

  /**
   * Nanoseconds to write the ledger's segment bytes to a plain file in {@code commits} chunks,
   * each followed by an fsync.
   */
  private static long plainFile(Path ledger, Path file, long commits) throws Exception {
    List<Path> segments;
    try (Stream<Path> s = Files.list(ledger.resolve("segments"))) {
      segments = s.sorted().toList();
    }
    long total = 0;
    for (Path p : segments) {
      total += Files.size(p);
    }
    long chunk = Math.max(1, total / Math.max(1, commits));
    long elapsed = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      long pending = 0;
      for (Path p : segments) {
        // One segment (at most 16 MiB) in memory at a time; reading it is not timed.
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p));
        long t0 = System.nanoTime();
        while (b.hasRemaining()) {
          int n = (int) Math.min(b.remaining(), chunk - pending);
          ByteBuffer slice = b.slice(b.position(), n);
          while (slice.hasRemaining()) {
            ch.write(slice);
          }
          b.position(b.position() + n);
          pending += n;
          if (pending == chunk) {
            ch.force(false);
            pending = 0;
          }
        }
        elapsed += System.nanoTime() - t0;
      }
      long t0 = System.nanoTime();
      ch.force(false);
      elapsed += System.nanoTime() - t0;
    }
    return elapsed;
  }

  /** Latencies in buckets of 10 µs up to 100 ms (the last bucket takes the rest). */
  static final class Latency {
    private final AtomicLongArray buckets = new AtomicLongArray(10_001);

    void record(long nanos) {
      buckets.incrementAndGet((int) Math.min(nanos / 10_000, 10_000));
    }

    /** The {@code q} quantile in milliseconds, at the upper edge of its bucket. */
    double quantile(double q) {
      long total = 0;
      for (int i = 0; i < buckets.length(); i++) {
        total += buckets.get(i);
      }
      long seen = 0;
      for (int i = 0; i < buckets.length(); i++) {
        seen += buckets.get(i);
        if (seen > 0 && seen >= q * total) {
          return (i + 1) * 0.01;
        }
      }
      return 0;
    }
  }
}
