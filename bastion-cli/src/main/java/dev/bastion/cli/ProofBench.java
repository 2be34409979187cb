package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.ledger.tlog.Rfc9162;
import dev.bastion.ledger.tlog.TreeStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bastion bench proofs}: inclusion and consistency proofs from the stored tree, generated
 * and verified, at a large size and, in the same run, at a small one.
 */
@Command(
    name = "proofs",
    description = {
      "Build a stored Merkle tree of N random leaves, then time inclusion-proof generation and"
          + " verification (and consistency proofs) for random entries; the same at 1000 leaves"
          + " in the same run, so the growth with log n shows. Medians in microseconds."
    })
final class ProofBench implements Callable<Integer> {
  @Option(names = "--entries", paramLabel = "N", defaultValue = "10M",
      description = "leaves, 1K to 1G (default: ${DEFAULT-VALUE})")
  String entries = "10M";

  @Option(names = "--proofs", paramLabel = "P", defaultValue = "20000",
      description = "proofs timed at each size, 100 to 1000000 (default: ${DEFAULT-VALUE})")
  int proofs = 20_000;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    long n = Sizes.parse("--entries", entries, 1000, 1L << 30);
    if (proofs < 100 || proofs > 1_000_000) {
      throw new BadInputException("--proofs " + proofs
          + ": expected 100 to 1000000");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path tmp = Files.createTempDirectory("bastion-bench-proofs-");
    try {
      double[] small = measure(tmp.resolve("small"), 1000, out);
      double[] large = measure(tmp.resolve("large"), n, out);
      out.printf(Locale.ROOT, "ratio %.2f (inclusion proof generate+verify: %.1f us at %d"
          + " leaves, %.1f us at 1000)%n", (large[0] + large[1]) / (small[0] + small[1]),
          large[0] + large[1], n, small[0] + small[1]);
      out.flush();
      return 0;
    } finally {
      BenchCommand.deleteTree(tmp);
    }
  }

  /** {generate, verify, consistency generate+verify} medians in microseconds. */
  private double[] measure(Path dir, long n, PrintWriter out) throws Exception {
    SplittableRandom rnd = new SplittableRandom(n);
    long t0 = System.nanoTime();
    byte[] leaf = new byte[32];
    try (TreeStore tree = TreeStore.open(dir)) {
      for (long i = 0; i < n; i++) {
        for (int j = 0; j < 32; j += 8) {
          long v = rnd.nextLong();
          for (int k = 0; k < 8; k++) {
            leaf[j + k] = (byte) (v >>> (8 * k));
          }
        }
        tree.append(leaf.clone());
      }
      tree.sync();
      double build = (System.nanoTime() - t0) / 1e9;
      byte[] root = tree.root();
      double[] gen = new double[proofs];
      double[] ver = new double[proofs];
      double[] cons = new double[proofs];
      for (int warm = 0; warm < 2; warm++) {
        for (int p = 0; p < proofs; p++) {
          long index = rnd.nextLong(n);
          long a = System.nanoTime();
          List<byte[]> proof = tree.inclusionProof(index, n);
          byte[] h = tree.leafHash(index);
          long b = System.nanoTime();
          Rfc9162.verifyInclusion(index, n, h, proof, root);
          long c = System.nanoTime();
          long size1 = 1 + rnd.nextLong(n);
          byte[] root1 = tree.root(size1);
          Rfc9162.verifyConsistency(size1, n, root1, root, tree.consistencyProof(size1, n));
          long d = System.nanoTime();
          gen[p] = (b - a) / 1e3;
          ver[p] = (c - b) / 1e3;
          cons[p] = (d - c) / 1e3;
        }
      }
      double[] m = {BenchCommand.median(gen), BenchCommand.median(ver), BenchCommand.median(cons)};
      out.printf(Locale.ROOT, "%d leaves (built in %.1f s): inclusion proof generate %.1f us,"
          + " verify %.1f us; consistency proof (root, generate, verify) %.1f us; medians of %d%n",
          n, build, m[0], m[1], m[2], proofs);
      out.flush();
      return m;
    }
  }
}
