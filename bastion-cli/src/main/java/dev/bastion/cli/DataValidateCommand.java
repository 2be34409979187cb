package dev.bastion.cli;

import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.profile.Drift;
import dev.bastion.data.profile.Profile;
import dev.bastion.data.profile.Profiler;
import dev.bastion.data.profile.ValidationReport;
import dev.bastion.pipeline.Home;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bastion data validate}: schema checks and drift against a signed reference profile. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Validate a CSV file in one pass: the schema (columns, types, categories, presence, numeric"
          + " ranges, row count) and, with --reference, per-column drift against a signed profile"
          + " (its signature is verified first; a bad one fails).",
      "Drift: numeric columns by the two-sample Kolmogorov-Smirnov test on the profiles' sketches,"
          + " categorical ones by the chi-squared test of homogeneity; p-values Holm-corrected"
          + " over the columns tested at --alpha. A column drifts only if its test is significant"
          + " AND its effect size reaches its threshold: PSI over the reference's deciles"
          + " (--psi) or Wasserstein-1 divided by the reference's IQR (--wasserstein) for numbers,"
          + " Jensen-Shannon distance, base 2 (--js), for categories.",
      "Every issue is listed (column, test, statistic, threshold); --json prints the report as"
          + " JSON. Exit 0 pass, 1 fail, 2 bad input."
    })
final class DataValidateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DATA", description = "the CSV file")
  Path data;

  @Option(names = "--schema", required = true, paramLabel = "SCHEMA", description = "the schema")
  Path schemaFile;

  @Option(names = "--reference", paramLabel = "PROFILE",
      description = "a signed profile to test drift against")
  Path reference;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  @Option(names = "--alpha", defaultValue = "0.01", paramLabel = "A",
      description = "family-wise significance level of the drift tests (default: ${DEFAULT-VALUE})")
  double alpha;

  @Option(names = "--psi", defaultValue = "0.2", paramLabel = "X",
      description = "PSI effect threshold for numeric columns (default: ${DEFAULT-VALUE})")
  double psi;

  @Option(names = "--wasserstein", defaultValue = "0.1", paramLabel = "X",
      description = "normalised Wasserstein effect threshold (default: ${DEFAULT-VALUE})")
  double wasserstein;

  @Option(names = "--js", defaultValue = "0.1", paramLabel = "X",
      description = "Jensen-Shannon distance threshold for categorical columns"
          + " (default: ${DEFAULT-VALUE})")
  double js;

  @CommandLine.Mixin DelimiterOption csv = new DelimiterOption();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // Each bound named on its own; a threshold of Infinity would turn its test off.
    if (!(alpha > 0 && alpha < 1)) {
      throw new dev.bastion.core.BadInputException("--alpha " + alpha + ": expected in (0, 1)");
    }
    if (!(psi >= 0 && Double.isFinite(psi))) {
      throw new dev.bastion.core.BadInputException("--psi " + psi + ": expected a finite >= 0");
    }
    if (!(wasserstein >= 0 && Double.isFinite(wasserstein))) {
      throw new dev.bastion.core.BadInputException(
          "--wasserstein " + wasserstein + ": expected a finite >= 0");
    }
    if (!(js >= 0 && js <= 1)) {
      throw new dev.bastion.core.BadInputException("--js " + js + ": expected in [0, 1]");
    }
    Drift.Options options = new Drift.Options(alpha, psi, wasserstein, js);
    Schema schema = Schema.load(schemaFile);
    Profile ref = null;
    if (reference != null) {
      Profile read;
      try (Home home = Home.open(Home.defaultDir())) {
        read = SignedProfiles.read(home, reference);
      }
      // A profile of other data would make every drift test silently absent.
      List<String> missing = schema.columns().stream().map(Schema.Column::name)
          .filter(c -> !read.columnNames().contains(c)).toList();
      if (!missing.isEmpty()) {
        throw new dev.bastion.core.BadInputException(reference + ": a profile of other data: no"
            + " column " + String.join(", ", missing) + " of " + schemaFile);
      }
      if (read.rows() == 0) {
        throw new dev.bastion.core.BadInputException(reference + ": profiles no rows; a"
            + " reference needs data to compare with");
      }
      ref = read;
    }
    ValidationReport report =
        validate(data, csv.apply(CsvReader.Options.STREAMING), schema, ref, options);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.pretty(report.toJson()));
    } else {
      List<String> lines = report.issueLines();
      lines.forEach(out::println);
      out.printf(Locale.ROOT, "%s: %s: %d rows, %d schema issues%s%n", data,
          report.ok() ? "PASS" : "FAIL", report.schema().rows(), report.schema().issueCount(),
          ref == null ? "" : ", " + report.drift().stream().filter(Drift.Test::drifted).count()
              + " of " + report.drift().size() + " columns drifted");
    }
    out.flush();
    return report.ok() ? 0 : 1;
  }

  /** One pass over {@code data}: schema checks and its profile, then drift against {@code ref}. */
  static ValidationReport validate(Path data, CsvReader.Options csvOptions, Schema schema,
      Profile ref, Drift.Options options) throws Exception {
    Profiler.Outcome o = Profiler.run(data, csvOptions, schema);
    List<Drift.Test> drift = ref == null ? List.of()
        : Drift.compare(ref, o.profile(), schema, options);
    return new ValidationReport(data.toString(), o.validation().orElseThrow(), drift, ref != null);
  }
}
