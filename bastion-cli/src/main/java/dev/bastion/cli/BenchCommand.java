package dev.bastion.cli;

import dev.bastion.attest.modelsign.Bundle;
import dev.bastion.attest.modelsign.ModelSigner;
import dev.bastion.attest.modelsign.ModelVerifier;
import dev.bastion.attest.modelsign.SigningKey;
import dev.bastion.attest.modelsign.TrustRoot;
import dev.bastion.core.BadInputException;
import dev.bastion.crypto.Pem;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bastion bench sign}: model signing throughput against one {@code openssl dgst -sha256}
 * process over the same files, in one run on the same machine, so the ratio is comparable across
 * noisy hosts where absolute figures are not.
 */
@Command(
    name = "bench",
    description = "Benchmarks.",
    subcommands = {BenchCommand.Sign.class, LedgerBench.class, ProofBench.class, DataBench.class,
        PoisoningBench.class, ServeBench.class})
final class BenchCommand {
  /** Upper bound for --size: the directory is written to the temporary directory. */
  static final long MAX_SIZE = 1L << 40;

  /** Lower bound for --size: below this the layout has no large files and timings are noise. */
  static final long MIN_SIZE = 1L << 20;

  private BenchCommand() {}

  /**
   * Parses the --size value: a byte count with an optional binary suffix, from 1M to 1T.
   *
   * @throws BadInputException naming the value, if it is not a size within the bounds
   */
  static long parseSize(String text) throws BadInputException {
    return Sizes.parse("--size", text, MIN_SIZE, MAX_SIZE);
  }

  /** One file of the generated model: its path relative to the root, and its size. */
  record FileSpec(String name, long size) {}

  /**
   * The benchmark's model: about 20% of the bytes in small files (4 KiB to 252 KiB), 30% in 32
   * medium files, and 50% in 4 large files of 12.5% each, which is how checkpoints look (many
   * small configs and tokenizer files beside a few big weight shards). No file holds more than an
   * eighth of the total, so two cores can share the work; the files method cannot split one file.
   */
  static List<FileSpec> layout(long total, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<FileSpec> files = new ArrayList<>();
    long large = total / 8;
    for (int i = 0; i < 4; i++) {
      files.add(new FileSpec(String.format(Locale.ROOT, "weights/shard-%02d.bin", i), large));
    }
    long medium = total * 3 / 10 / 32;
    for (int i = 0; i < 32; i++) {
      files.add(new FileSpec(String.format(Locale.ROOT, "layers/layer-%02d.bin", i), medium));
    }
    long left = total - 4 * large - 32 * medium;
    int i = 0;
    while (left > 0) {
      long size = Math.min(left, 4096L * (1 + rnd.nextInt(63)));
      files.add(new FileSpec(String.format(Locale.ROOT, "small/%03d/f-%05d.json", i / 500, i), size));
      left -= size;
      i++;
    }
    return files;
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = {
        "Sign and verify a generated model (mixed file sizes, warm page cache) with an in-memory"
            + " EC P-256 key, and hash the same files with one `openssl dgst -sha256` process.",
        "Reports medians over --runs interleaved repetitions (after one untimed warm-up each); the"
            + " last line is `ratio R (bastion X GB/s, openssl Y GB/s)`, R = X / Y, GB = 10^9 bytes.",
        "Bastion's figure is bytes hashed by sign plus verify (twice the size) over their time."
      })
  static final class Sign implements Callable<Integer> {
    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1G",
        description = "total size of the generated model, e.g. 512M, 4G (default: ${DEFAULT-VALUE})")
    String size = "1G";

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5",
        description = "timed repetitions of each side, 1 to 100 (default: ${DEFAULT-VALUE})")
    int runs = 5;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
        description = "seed for the file layout and contents (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      long total = parseSize(size);
      if (runs < 1 || runs > 100) {
        throw new BadInputException("--runs " + runs + ": expected 1 to 100");
      }
      String openssl = findOpenssl();
      PrintWriter out = spec.commandLine().getOut();
      Path dir = Files.createTempDirectory("bastion-bench-");
      try {
        return run(total, openssl, dir.resolve("model"), out);
      } finally {
        deleteTree(dir);
      }
    }

    private int run(long total, String openssl, Path model, PrintWriter out) throws Exception {
      List<FileSpec> files = layout(total, seed);
      generate(model, files, seed);
      long cached = warm(model, files);
      out.printf(Locale.ROOT, "model: %d files, %s (%d large of %s, 32 medium of %s, %d small"
              + " of 4-252 KiB); %d cores; page cache warmed (%s read)%n",
          files.size(), human(total), 4, human(files.get(0).size()), human(files.get(4).size()),
          files.size() - 36, Runtime.getRuntime().availableProcessors(), human(cached));
      out.flush();

      KeyPair kp = ecKeyPair();
      SigningKey key = SigningKey.fromPem(
          Pem.encode("PRIVATE KEY", kp.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII),
          "benchmark key");
      TrustRoot trust = new TrustRoot.Key(kp.getPublic());

      List<String> command = new ArrayList<>(List.of(openssl, "dgst", "-sha256"));
      files.forEach(f -> command.add(f.name()));
      double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      signAndVerify(model, key, trust); // warm-up: JIT, and the page cache once more
      opensslDigest(command, model);
      // Interleaved, so that both sides see the same background load on a shared machine.
      double[] bastion = new double[runs];
      double[] ossl = new double[runs];
      for (int r = 0; r < runs; r++) {
        bastion[r] = 2.0 * total / signAndVerify(model, key, trust); // bytes per ns = GB/s
        ossl[r] = (double) total / opensslDigest(command, model);
      }
      out.printf(Locale.ROOT, "load average before %.2f, after %.2f%n", load,
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      double x = median(bastion);
      double y = median(ossl);
      out.printf(Locale.ROOT, "bastion sign+verify: %s GB/s, median %.2f GB/s%n", list(bastion), x);
      out.printf(Locale.ROOT, "openssl dgst -sha256 (one process): %s GB/s, median %.2f GB/s%n",
          list(ossl), y);
      out.printf(Locale.ROOT, "ratio %.2f (bastion %.2f GB/s, openssl %.2f GB/s)%n", x / y, x, y);
      out.flush();
      return 0;
    }
  }

  /** Nanoseconds for one signature and one verification of the model. */
  private static long signAndVerify(Path model, SigningKey key, TrustRoot trust) throws Exception {
    long t0 = System.nanoTime();
    Bundle b = ModelSigner.sign(model, key, ModelSigner.Options.files());
    ModelVerifier.verify(model, b.toJson(), trust, ModelVerifier.Options.defaults());
    return System.nanoTime() - t0;
  }

  /** Nanoseconds for one {@code openssl dgst} process, start to exit. */
  private static long opensslDigest(List<String> command, Path model)
      throws IOException, InterruptedException, BadInputException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(command)
        .directory(model.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new BadInputException("openssl dgst did not finish in 10 minutes");
    }
    long nanos = System.nanoTime() - t0;
    if (p.exitValue() != 0) {
      throw new BadInputException("openssl dgst -sha256 failed (exit " + p.exitValue() + ")");
    }
    return nanos;
  }

  /** The openssl binary on the PATH, checked by running {@code openssl version}. */
  private static String findOpenssl() throws BadInputException {
    try {
      Process p = new ProcessBuilder("openssl", "version")
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return "openssl";
      }
      p.destroyForcibly();
    } catch (IOException e) {
      // not installed: reported below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new BadInputException("openssl not found on the PATH; the benchmark compares against it");
  }

  /** Writes the files with seeded pseudo-random contents: the same seed, the same bytes. */
  static void generate(Path model, List<FileSpec> files, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    byte[] block = new byte[1 << 20];
    ByteBuffer bb = ByteBuffer.wrap(block);
    for (FileSpec f : files) {
      Path p = model.resolve(f.name());
      Files.createDirectories(p.getParent());
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        for (long left = f.size(); left > 0; ) {
          int n = (int) Math.min(block.length, left);
          rnd.nextBytes(block);
          bb.clear().limit(n);
          while (bb.hasRemaining()) {
            ch.write(bb);
          }
          left -= n;
        }
      }
    }
  }

  /** Reads every file once so both sides start from the page cache; returns the bytes read. */
  private static long warm(Path model, List<FileSpec> files) throws IOException {
    ByteBuffer bb = ByteBuffer.allocateDirect(1 << 20);
    long read = 0;
    for (FileSpec f : files) {
      try (FileChannel ch = FileChannel.open(model.resolve(f.name()), StandardOpenOption.READ)) {
        int n;
        while ((n = ch.read(bb.clear())) > 0) {
          read += n;
        }
      }
    }
    return read;
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  static String list(double[] values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      b.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", values[i]));
    }
    return b.append(']').toString();
  }

  private static String human(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }

  static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
