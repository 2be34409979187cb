package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.data.profile.Drift;
import dev.bastion.data.profile.Profile;
import dev.bastion.data.profile.Profiler;
import dev.bastion.data.profile.SchemaSuggester;
import dev.bastion.data.profile.ValidationReport;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bastion bench data}: profiling and validating a large generated CSV file against only
 * parsing it, in the same run.
 */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = {
      "Generate N rows by resampling credit-g with noise (deterministic for a seed), then, --runs"
          + " times interleaved: profile the file; validate it (schema checks, its profile, drift"
          + " against the first profile) in one pass; and only parse it with the same CSV reader."
          + " One untimed warm-up of each on a 100000-row file first.",
      "The last line is `ratio R (bastion X rows/s, parse-only Y rows/s)`, where X is the slower"
          + " of the profile and validate medians and R = X / Y. The heap line shows the JVM's"
          + " limit and, over the timed passes, the most heap in use just before a collection and"
          + " the most in use just after one (bound it with BASTION_JAVA_OPTS=-Xmx64m)."
    })
final class DataBench implements Callable<Integer> {
  @Option(names = "--rows", paramLabel = "N", defaultValue = "10000000",
      description = "rows to generate, 1000 to 10000000000 (default: ${DEFAULT-VALUE})")
  long rows = 10_000_000;

  @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
      description = "timed repetitions of each side, 1 to 100 (default: ${DEFAULT-VALUE})")
  int runs = 3;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
      description = "generator seed (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--source", paramLabel = "CSV",
      description = "the table to resample (default: examples/credit/credit-g.csv of the"
          + " Bastion checkout)")
  Path source;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (rows < 1000 || rows > 10_000_000_000L) {
      throw new BadInputException("--rows " + rows + ": expected 1000 to 10000000000");
    }
    if (runs < 1 || runs > 100) {
      throw new BadInputException("--runs " + runs + ": expected 1 to 100");
    }
    Path src = source != null ? source : defaultSource();
    Table table = new CsvReader().read(src);
    DataGenerator gen = new DataGenerator(table);
    PrintWriter out = spec.commandLine().getOut();
    Path dir = Files.createTempDirectory("bastion-bench-data-");
    try {
      Path file = dir.resolve("data.csv");
      long t0 = System.nanoTime();
      long size = gen.write(file, rows, seed);
      double genSeconds = (System.nanoTime() - t0) / 1e9;
      out.printf(Locale.ROOT, "data: %d rows, %.1f MiB, resampled from %s (seed %d) in %.1f s;"
              + " %d cores%n", rows, size / 1048576.0, src.getFileName(), seed, genSeconds,
          Runtime.getRuntime().availableProcessors());
      out.flush();
      Schema schema = schemaFor(table, src);

      Path warm = dir.resolve("warm.csv");
      gen.write(warm, 100_000, seed + 1);
      Profile warmRef = Profiler.profile(warm, CsvReader.Options.STREAMING);
      DataValidateCommand.validate(warm, CsvReader.Options.STREAMING, schema, warmRef,
          Drift.Options.DEFAULTS);
      parseOnly(warm);
      Files.delete(warm);

      HeapWatch heap = HeapWatch.start();
      var os = (com.sun.management.OperatingSystemMXBean)
          ManagementFactory.getOperatingSystemMXBean();
      long[] cpu = new long[3];
      double load = os.getSystemLoadAverage();
      double[] profile = new double[runs];
      double[] validate = new double[runs];
      double[] parse = new double[runs];
      Profile reference = null;
      ValidationReport last = null;
      for (int r = 0; r < runs; r++) {
        long c0 = os.getProcessCpuTime();
        long a = System.nanoTime();
        Profile p = Profiler.profile(file, CsvReader.Options.STREAMING);
        profile[r] = rows / ((System.nanoTime() - a) / 1e9);
        long c1 = os.getProcessCpuTime();
        cpu[0] += c1 - c0;
        if (reference == null) {
          reference = p;
        }
        a = System.nanoTime();
        last = DataValidateCommand.validate(file, CsvReader.Options.STREAMING, schema,
            reference, Drift.Options.DEFAULTS);
        validate[r] = rows / ((System.nanoTime() - a) / 1e9);
        long c2 = os.getProcessCpuTime();
        cpu[1] += c2 - c1;
        a = System.nanoTime();
        long n = parseOnly(file);
        parse[r] = rows / ((System.nanoTime() - a) / 1e9);
        cpu[2] += os.getProcessCpuTime() - c2;
        if (n != rows || p.rows() != rows || last.schema().rows() != rows) {
          throw new IllegalStateException("row counts disagree: " + n + ", " + p.rows());
        }
      }
      out.printf(Locale.ROOT, "validation: %s, %d schema issues, %d of %d columns drifted%n",
          last.ok() ? "PASS" : "FAIL", last.schema().issueCount(),
          last.drift().stream().filter(Drift.Test::drifted).count(), last.drift().size());
      double x1 = BenchCommand.median(profile);
      double x2 = BenchCommand.median(validate);
      double y = BenchCommand.median(parse);
      out.printf(Locale.ROOT, "profile: %s rows/s, median %.0f%n", list(profile), x1);
      out.printf(Locale.ROOT, "validate (schema + profile + drift): %s rows/s, median %.0f%n",
          list(validate), x2);
      out.printf(Locale.ROOT, "parse only: %s rows/s, median %.0f%n", list(parse), y);
      out.printf(Locale.ROOT, "cpu per pass (all threads, incl. GC): profile %.2f s, validate %.2f s,"
              + " parse only %.2f s; load average before %.2f, after %.2f%n",
          cpu[0] / 1e9 / runs, cpu[1] / 1e9 / runs, cpu[2] / 1e9 / runs, load,
          os.getSystemLoadAverage());
      out.printf(Locale.ROOT, "threads: profile and validate read a file of %d MiB or more as two"
              + " halves at once unless bastion.profile.threads is 2 or 3 (this one: %s), parse"
              + " only on one thread; by CPU time, parse only over validate %.2f%n",
          Profiler.SPLIT_BYTES >> 20, Profiler.splits(size) ? "yes" : "no",
          (double) cpu[2] / cpu[1]);
      heap.stop();
      out.printf(Locale.ROOT, "heap: limit %.0f MiB; in use at most %.1f MiB (just before a"
              + " collection), at most %.1f MiB just after one, over %d collections%n",
          Runtime.getRuntime().maxMemory() / 1048576.0, heap.before() / 1048576.0,
          heap.after() / 1048576.0, heap.collections());
      double x = Math.min(x1, x2);
      out.printf(Locale.ROOT, "ratio %.2f (bastion %.0f rows/s, parse-only %.0f rows/s)%n",
          x / y, x, y);
      out.flush();
      return 0;
    } finally {
      BenchCommand.deleteTree(dir);
    }
  }

  /** The suggested schema of the source table, accepting any row count. */
  private static Schema schemaFor(Table table, Path src) throws Exception {
    Profile p = Profiler.profile(src, CsvReader.Options.STREAMING);
    String label = table.columns().get(table.columns().size() - 1);
    ObjectNode s = SchemaSuggester.suggest(p, "bench", label);
    s.putObject("rows").put("min", 1).put("max", Long.MAX_VALUE);
    return Schema.parse(Json.canonical(s), "bench schema");
  }

  private static long parseOnly(Path file) throws Exception {
    long[] cells = {0};
    long n = new CsvReader(CsvReader.Options.STREAMING).stream(file, new CsvReader.RowVisitor() {
      @Override
      public void header(List<String> columns) {}

      @Override
      public void row(long row, long line, String[] c) {
        cells[0] += c.length;
      }
    });
    return cells[0] >= 0 ? n : -1;
  }

  private static Path defaultSource() throws BadInputException {
    String root = System.getProperty("bastion.root", ".");
    Path p = Path.of(root, "examples", "credit", "credit-g.csv");
    if (!Files.isRegularFile(p)) {
      throw new BadInputException(p + ": not found; give the table to resample with --source");
    }
    return p;
  }

  private static String list(double[] v) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", v[i]));
    }
    return b.append(']').toString();
  }
}
