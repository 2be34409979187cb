package dev.bastion.ledger;

import dev.bastion.ledger.tlog.NoteSigner;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The process {@link LedgerCrashTest} kills: opens the ledger in {@code args[0]} with the Ed25519
 * key in {@code args[1]}, prints {@code ready}, then appends from {@code args[2]} threads as fast
 * as it can, printing {@code INDEX MARKER} for every acknowledged append, until it is killed.
 */
final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    NoteSigner signer =
        NoteSigner.fromPrivateKey("test-ledger", Files.readAllBytes(Path.of(args[1])));
    int threads = Integer.parseInt(args[2]);
    String life = args[3];
    // One write(2) per line: a pipe write that small is atomic, so a kill never splits a line.
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    Ledger ledger = Ledger.open(dir, signer);
    synchronized (out) {
      out.write("ready\n");
      out.flush();
    }
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (long n = 0; ; n++) {
          String marker = life + "-" + thread + "-" + n;
          long index = ledger.append(new Event(EventKind.INFERENCE, Instant.now(),
              "client-" + thread, "predict", "sha256:" + "ab".repeat(32), "ok", marker,
              Map.of("input", "sha256:" + "cd".repeat(32), "latency_us", Long.toString(n))));
          try {
            synchronized (out) {
              out.write(index + " " + marker + "\n");
              out.flush();
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
      th.start();
    }
    Thread.currentThread().join();
  }
}
