package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.data.poison.PoisoningBenchmark;
import dev.bastion.data.poison.Scan;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bastion bench poisoning}: seeded attacks on breast-cancer, credit-g and diabetes, scanned
 * with the default detectors and the out-of-fold logistic-regression baseline in the same run.
 */
@Command(
    name = "poisoning",
    mixinStandardHelpOptions = true,
    description = {
      "Inject seeded attacks (random and targeted label flips at 5%% and 10%%, duplicates, a"
          + " feature shift, a backdoor trigger at 1%% and 3%%) into the three data sets and report"
          + " TPR, FPR (default thresholds) and AUROC per attack and detector, the backdoor's"
          + " success after filtering (mean over --splits seeded splits, with a 95%% confidence"
          + " interval), and schema/volume faults over 30 resampled batches.",
      "Prints Markdown tables (as in docs/poisoning.md). Deterministic for a given --seed."
    })
final class PoisoningBench implements Callable<Integer> {
  /** The data sets: file, label column. */
  static final List<String[]> SETS =
      List.of(
          new String[] {"breast-cancer", "breast-cancer.csv", "diagnosis"},
          new String[] {"credit-g", "credit-g.arff", "class"},
          new String[] {"diabetes", "diabetes.arff", "class"});

  @Option(names = "--data", paramLabel = "DIR",
      description = "folder holding the data sets (default: datasets/ here, else in the"
          + " project the launcher runs from)")
  Path dir;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "seed of the attacks, folds and splits (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--repeats", paramLabel = "N", defaultValue = "20",
      description = "label-flip draws averaged per attack (and backdoor splits also scanned"
          + " with every detector), 1 to 100 (default: ${DEFAULT-VALUE})")
  int repeats = 20;

  @Option(names = "--splits", paramLabel = "N", defaultValue = "400",
      description = "seeded 70/30 splits the backdoor's success is averaged over, 1 to 1000"
          + " (default: ${DEFAULT-VALUE})")
  int splits = 400;

  @Option(names = "--threads", paramLabel = "N",
      description = "threads the draws run on, 1 to 64; the tables do not depend on it"
          + " (default: the number of cores, at most 64)")
  Integer threads;

  @Option(names = "--only", paramLabel = "NAME",
      description = "one data set: breast-cancer, credit-g or diabetes")
  String only;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (repeats < 1 || repeats > 100) {
      throw new BadInputException("--repeats " + repeats + ": expected 1 to 100");
    }
    if (splits < 1 || splits > 1000) {
      throw new BadInputException("--splits " + splits + ": expected 1 to 1000");
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int t = threads != null ? threads : Math.min(cores, 64);
    if (t < 1 || t > 64) {
      throw new BadInputException("--threads " + t + ": expected 1 to 64");
    }
    Path folder = dir != null ? dir : defaultDir();
    if (!Files.isDirectory(folder)) {
      throw new BadInputException(folder + ": no such folder; give the data sets with --data DIR");
    }
    List<PoisoningBenchmark.DataSet> sets = new java.util.ArrayList<>();
    for (String[] s : SETS) {
      if (only != null && !only.equals(s[0])) {
        continue;
      }
      DataScanCommand.DataFile f = DataScanCommand.read(folder.resolve(s[1]));
      sets.add(new PoisoningBenchmark.DataSet(s[0], f.table(), f.kinds(), s[2]));
    }
    if (sets.isEmpty()) {
      throw new BadInputException(
          "--only " + only + ": expected breast-cancer, credit-g or diabetes");
    }
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    PoisoningBenchmark.Report r =
        PoisoningBenchmark.run(sets, seed, repeats, splits, t, Scan.Options.DEFAULT);
    out.print(PoisoningBenchmark.markdown(r));
    out.printf(Locale.ROOT, "%nseed %d, repeats %d, splits %d; %.1f s, %d thread%s on %d cores%n",
        seed, repeats, splits, (System.nanoTime() - t0) / 1e9, t, t == 1 ? "" : "s", cores);
    out.flush();
    return 0;
  }

  private static Path defaultDir() {
    Path here = Path.of("datasets");
    String root = System.getProperty("bastion.root");
    if (!Files.isDirectory(here) && root != null) {
      return Path.of(root, "datasets");
    }
    return here;
  }
}
