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
      "Append N events of about 200 bytes to a fresh ledger from T threads, each append"
          + " acknowledged only after fsync (group commit: one fsync and one signed checkpoint per"
          + " commit), then write the same bytes to a plain file in as many chunks, one fsync"
          + " each: the disk's own limit at that cadence.",
      "Reports medians over --runs; the last line is"
          + " `ratio R (bastion X events/s, plain file Y events/s)`, R = X / Y."
    })
final class LedgerBench implements Callable<Integer> {
  @Option(names = "--events", paramLabel = "N", defaultValue = "200000",
      description = "events per run, 1000 to 100000000 (default: ${DEFAULT-VALUE})")
  long events = 200_000;

  @Option(names = "--threads", paramLabel = "T", defaultValue = "64",
      description = "appending threads, 1 to 4096 (default: ${DEFAULT-VALUE})")
  int threads = 64;

  @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
      description = "timed repetitions of each side, 1 to 100 (default: ${DEFAULT-VALUE})")
  int runs = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (events < 1000 || events > 100_000_000) {
      throw new BadInputException("--events " + events + ": expected 1000 to 100000000");
    }
    if (threads < 1 || threads > 4096) {
      throw new BadInputException("--threads " + threads + ": expected 1 to 4096");
    }
    if (runs < 1 || runs > 100) {
      throw new BadInputException("--runs " + runs + ": expected 1 to 100");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path tmp = Files.createTempDirectory("bastion-bench-ledger-");
    try {
      NoteSigner signer = NoteSigner.generate("bench-ledger");
      out.printf(Locale.ROOT, "%d events of about %d bytes, %d threads, %d cores%n", events,
          Json.canonical(sample().toJson()).length, threads, Runtime.getRuntime().availableProcessors());
      out.flush();
      run(tmp.resolve("warm-up"), signer, Math.min(events, 20_000)); // JIT
      double[] bastion = new double[runs];
      double[] plain = new double[runs];
      long commits = 0;
      for (int r = 0; r < runs; r++) {
        Path dir = tmp.resolve("run-" + r);
        long[] result = run(dir.resolve("ledger"), signer, events);
        bastion[r] = events * 1e9 / result[0];
        commits = result[1];
        plain[r] = events * 1e9 / plainFile(dir.resolve("ledger"), dir.resolve("plain"), commits);
        BenchCommand.deleteTree(dir);
      }
      double x = BenchCommand.median(bastion);
      double y = BenchCommand.median(plain);
      out.printf(Locale.ROOT, "commits (fsyncs) in the last run: %d, %.0f events each%n", commits,
          (double) events / commits);
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
    Ledger ledger = Ledger.open(dir, signer);
    long t0;
    long elapsed;
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<Future<?>> futures = new ArrayList<>();
      t0 = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        final int id = t;
        futures.add(pool.submit(() -> {
          for (long i = id; i < n; i += threads) {
            ledger.append(new Event(EventKind.INFERENCE, Instant.now(),
                String.format(Locale.ROOT, "client-%04d", id), "predict",
                "sha256:" + "0".repeat(64), "ok", String.format(Locale.ROOT, "req-%08d", i),
                Map.of("latency_us", Long.toString(1000 + i % 1000))));
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      elapsed = System.nanoTime() - t0;
    }
    long commits = ledger.commits();
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
    List<byte[]> segments = new ArrayList<>();
    try (Stream<Path> s = Files.list(ledger.resolve("segments"))) {
      for (Path p : s.sorted().toList()) {
        segments.add(Files.readAllBytes(p));
      }
    }
    long total = segments.stream().mapToLong(b -> b.length).sum();
    long chunk = Math.max(1, total / Math.max(1, commits));
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      long pending = 0;
      for (byte[] seg : segments) {
        ByteBuffer b = ByteBuffer.wrap(seg);
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
      }
      ch.force(false);
    }
    return System.nanoTime() - t0;
  }
}
